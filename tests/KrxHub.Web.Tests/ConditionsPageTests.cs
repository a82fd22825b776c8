using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace KrxHub.Web.Tests;

/// <summary>The conditions page beyond creating: editing a saved condition, switching it off and on, and retrying a dead alert.</summary>
[Collection(DashboardCollection.Name)]
public sealed class ConditionsPageTests(DashboardHub hub) : DashboardPageTest(hub)
{
    [BrowserFact]
    public async Task Editing_a_condition_shows_a_typo_at_its_column_saves_the_fix_and_switches_it_off_and_on()
    {
        const string original = "close > sma(close, 5)";
        var id = await CreateAsync(new { name = "5일선 위", expression = original, intervalSeconds = 60 });
        try
        {
            await Page.GotoAsync("/conditions");
            var row = Page.Locator($"[data-testid=conditions] tbody tr[data-id='{id}']");
            await row.GetByTestId("edit-condition").ClickAsync();
            await Assertions.Expect(Page.GetByTestId("editing")).ToContainTextAsync("5일선 위");
            var expression = Page.Locator("input[name=expression]");
            await Assertions.Expect(expression).ToHaveValueAsync(original);
            await Assertions.Expect(Page.Locator("input[name=interval]")).ToHaveValueAsync("60");

            // A typo: PUT answers 400 with the column, shown under the expression as typed; the stored condition is unchanged.
            const string typo = "close > sma(close, 5) and volume > 2 * avg(volum, 20)";
            var problem = await (await Hub.Http.PostAsJsonAsync("/api/screen", new { expression = typo })).Content.ReadFromJsonAsync<JsonElement>();
            var column = problem.GetProperty("column").GetInt32();
            Assert.Equal(typo.IndexOf("volum,", StringComparison.Ordinal) + 1, column);
            await expression.FillAsync(typo);
            await Page.GetByTestId("save-condition").ClickAsync();
            var error = Page.GetByTestId("condition-error");
            await Assertions.Expect(error).ToHaveAttributeAsync("data-column", column.ToString(CultureInfo.InvariantCulture));
            await Assertions.Expect(error).ToContainTextAsync(problem.GetProperty("errors").GetProperty("expression")[0].GetString()!);
            var lines = (await error.TextContentAsync())!.Split('\n');
            Assert.Equal((typo, new string(' ', column - 1) + "^"), (lines[1], lines[2]));
            Assert.Equal(original, (await GetAsync(id)).GetProperty("expression").GetString());
            await ScreenshotAsync("conditions-edit-error");

            // Fixed and saved: the list shows it, the other fields are kept, the form leaves edit mode.
            const string fix = "close > sma(close, 5) and volume > 2 * avg(volume, 20)";
            await expression.FillAsync(fix);
            await Page.GetByTestId("save-condition").ClickAsync();
            await Assertions.Expect(Page.GetByTestId("editing")).ToHaveCountAsync(0);
            await Assertions.Expect(error).ToHaveCountAsync(0);
            await Assertions.Expect(row).ToContainTextAsync(fix);
            var saved = await GetAsync(id);
            Assert.Equal((fix, "5일선 위", 60, true), (saved.GetProperty("expression").GetString(), saved.GetProperty("name").GetString(),
                saved.GetProperty("intervalSeconds").GetInt32(), saved.GetProperty("active").GetBoolean()));

            // Switched off and on again from the list.
            foreach (var active in new[] { false, true })
            {
                await row.GetByTestId("active-toggle").ClickAsync();
                await Assertions.Expect(row).ToHaveAttributeAsync("data-active", active ? "true" : "false");
                Assert.Equal(active, (await GetAsync(id)).GetProperty("active").GetBoolean());
                if (!active)
                {
                    await ScreenshotAsync("conditions-inactive");
                }
            }

            Assert.Equal(fix, (await GetAsync(id)).GetProperty("expression").GetString());
            ExpectFailedRequests(1, $"/api/conditions/{id}", 400);
            AssertNoConsoleErrors();
        }
        finally
        {
            await Hub.Http.DeleteAsync(new Uri($"/api/conditions/{id}", UriKind.Relative));
        }
    }

    [BrowserFact]
    public async Task A_dead_lettered_webhook_alert_is_retried_from_the_alerts_list()
    {
        var id = await CreateAsync(new { name = "삼성전자 웹훅", expression = "code == \"005930\" and close > 0", channels = new[] { "webhook" } });
        try
        {
            // Evaluated now on the simulator's live bars: 005930 enters, and its webhook alert goes to a port nobody listens on,
            // with one attempt: dead-lettered.
            using (var evaluated = await Hub.Http.PostAsync(new Uri($"/api/conditions/{id}/evaluate", UriKind.Relative), null))
            {
                Assert.True(evaluated.IsSuccessStatusCode, await evaluated.Content.ReadAsStringAsync());
            }

            var alert = await EventuallyAsync(async () => (await Hub.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts?status=dead"))!
                .FirstOrDefault(a => a.GetProperty("conditionId").GetInt64() == id));
            Assert.Equal(("005930", "webhook", 1), (alert.GetProperty("code").GetString(), alert.GetProperty("channel").GetString(), alert.GetProperty("attempts").GetInt32()));
            var alertId = alert.GetProperty("id").GetInt64();

            await Page.GotoAsync("/conditions");
            var row = Page.Locator($"[data-testid=alerts] tbody tr[data-id='{alertId}']");
            await Assertions.Expect(row).ToHaveAttributeAsync("data-status", "dead");
            await Assertions.Expect(row).ToContainTextAsync(alert.GetProperty("lastError").GetString()!);
            await ScreenshotAsync("conditions-dead-alert");

            // The receiver is up now: the retried alert goes through (the list polls every 5 s), with the same idempotency key.
            await using var receiver = await WebhookReceiver.StartAsync(Hub.WebhookPort);
            await row.GetByTestId("retry-alert").ClickAsync();
            await Assertions.Expect(row).ToHaveAttributeAsync("data-status", "sent", new LocatorAssertionsToHaveAttributeOptions { Timeout = Timeout });
            await Assertions.Expect(row.GetByTestId("retry-alert")).ToHaveCountAsync(0);
            using var delivered = JsonDocument.Parse(Assert.Single(receiver.Bodies));
            Assert.Equal(("005930", "entry"), (delivered.RootElement.GetProperty("code").GetString(), delivered.RootElement.GetProperty("event").GetString()));
            var sent = (await Hub.Http.GetFromJsonAsync<JsonElement[]>("/api/alerts?status=sent"))!.Single(a => a.GetProperty("id").GetInt64() == alertId);
            Assert.Equal(alert.GetProperty("idempotencyKey").GetString(), sent.GetProperty("idempotencyKey").GetString());
            AssertNoConsoleErrors();
        }
        finally
        {
            await Hub.Http.DeleteAsync(new Uri($"/api/conditions/{id}", UriKind.Relative));
        }
    }

    private async Task<long> CreateAsync(object condition)
    {
        using var created = await Hub.Http.PostAsJsonAsync(new Uri("/api/conditions", UriKind.Relative), condition);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(created.IsSuccessStatusCode, body.ToString());
        return body.GetProperty("id").GetInt64();
    }

    private async Task<JsonElement> GetAsync(long id) => await Hub.Http.GetFromJsonAsync<JsonElement>($"/api/conditions/{id}");

    private static async Task<JsonElement> EventuallyAsync(Func<Task<JsonElement>> find)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (await find() is { ValueKind: not JsonValueKind.Undefined } found)
            {
                return found;
            }

            await Task.Delay(200, timeout.Token);
        }
    }
}
