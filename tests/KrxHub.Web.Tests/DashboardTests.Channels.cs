using System.Text.Json;
using Microsoft.Playwright;

namespace KrxHub.Web.Tests;

/// <summary>The alert channel panel of the conditions page.</summary>
public sealed partial class DashboardTests
{
    private async Task<JsonElement?> StoredChannelAsync(string channel) =>
        (await Hub.Store.GetAlertChannelsAsync(CancellationToken.None)).Where(c => c.Channel == channel).Select(c => JsonDocument.Parse(c.Settings).RootElement.Clone())
            .Cast<JsonElement?>().SingleOrDefault();

    [BrowserFact]
    public async Task The_conditions_page_lists_the_alert_channels_edits_one_without_showing_its_secret_tests_it_and_drops_it()
    {
        await Page.GotoAsync("/conditions");
        var panel = Page.GetByTestId("alert-channels");
        await Assertions.Expect(panel.Locator("tbody tr")).ToHaveCountAsync(5);
        var webhook = panel.Locator("tr[data-channel=webhook]");
        // The shared hub sets the webhook in its environment (DashboardHub.WebhookPort): configured, from env.
        await Assertions.Expect(webhook).ToHaveAttributeAsync("data-configured", "true");
        await Assertions.Expect(webhook).ToHaveAttributeAsync("data-source", "env");
        await Assertions.Expect(panel.Locator("tr[data-channel=slack]")).ToContainTextAsync("설정 안 됨");
        await Assertions.Expect(Page.GetByTestId("test-slack")).ToBeDisabledAsync();

        // The log channel is always there: its test succeeds.
        await Page.GetByTestId("test-log").ClickAsync();
        await Assertions.Expect(Page.GetByTestId("test-result-log")).ToHaveAttributeAsync("data-ok", "true");

        // A bad URL: the API's 400 message in the form, nothing stored.
        await Page.GetByTestId("edit-webhook").ClickAsync();
        var form = Page.GetByTestId("channel-form-webhook");
        await form.Locator("input[name=url]").FillAsync("ftp://127.0.0.1/hook");
        await Page.GetByTestId("save-channel").ClickAsync();
        await Assertions.Expect(Page.GetByTestId("channel-form-error")).ToContainTextAsync("http or https");
        Assert.Null(await StoredChannelAsync("webhook"));

        // Saved with a secret: listed as set through the API, the secret shown only as ***.
        await form.Locator("input[name=url]").FillAsync("http://127.0.0.1:9/hook");
        await form.Locator("input[name=secret]").FillAsync("ui-hmac-secret");
        await Page.GetByTestId("save-channel").ClickAsync();
        await Assertions.Expect(form).ToHaveCountAsync(0);
        await Assertions.Expect(webhook).ToHaveAttributeAsync("data-source", "api");
        await Assertions.Expect(webhook).ToContainTextAsync("secret=***");
        Assert.Equal("ui-hmac-secret", (await StoredChannelAsync("webhook"))!.Value.GetProperty("secret").GetString());

        // Edited again: the secret input is empty ("변경하지 않음"); saving a new URL keeps the stored secret.
        await Page.GetByTestId("edit-webhook").ClickAsync();
        var secret = form.Locator("input[name=secret]");
        await Assertions.Expect(secret).ToHaveValueAsync(string.Empty);
        await Assertions.Expect(secret).ToHaveAttributeAsync("placeholder", "변경하지 않음");
        await Assertions.Expect(form.Locator("input[name=url]")).ToHaveValueAsync("http://127.0.0.1:9/hook");
        await form.Locator("input[name=url]").FillAsync("http://127.0.0.1:9/other");
        await Page.GetByTestId("save-channel").ClickAsync();
        await Assertions.Expect(webhook).ToContainTextAsync("url=http://127.0.0.1:9/other");
        var stored = (await StoredChannelAsync("webhook"))!.Value;
        Assert.Equal(("http://127.0.0.1:9/other", "ui-hmac-secret"), (stored.GetProperty("url").GetString(), stored.GetProperty("secret").GetString()));
        Assert.DoesNotContain("ui-hmac-secret", await panel.InnerTextAsync(), StringComparison.Ordinal);

        // Its test goes through the real channel: nothing listens on port 9, and the error shows in the row.
        await Page.GetByTestId("test-webhook").ClickAsync();
        var result = Page.GetByTestId("test-result-webhook");
        await Assertions.Expect(result).ToHaveAttributeAsync("data-ok", "false");
        Assert.False(string.IsNullOrWhiteSpace(await result.TextContentAsync()));
        await ScreenshotAsync("conditions-channels");

        // Dropping the API settings hands the channel back to the environment's settings.
        await Page.GetByTestId("edit-webhook").ClickAsync();
        await Page.GetByTestId("drop-channel").ClickAsync();
        await Assertions.Expect(webhook).ToHaveAttributeAsync("data-source", "env");
        await Assertions.Expect(webhook).ToContainTextAsync($"url=http://127.0.0.1:{Hub.WebhookPort}/hook");
        Assert.Null(await StoredChannelAsync("webhook"));
        // Chromium logs the deliberate 400 of the bad URL as a failed resource; nothing else may be logged.
        Assert.Equal(1, ConsoleErrors.RemoveAll(e => e.Contains("/api/alerts/channels", StringComparison.Ordinal) && e.Contains("status of 400", StringComparison.Ordinal)));
        AssertNoConsoleErrors();
    }
}
