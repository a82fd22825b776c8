using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Sources.Import;
using KrxHub.Testing;
using KrxHub.Tests;
using Microsoft.Playwright;

namespace KrxHub.Web.Tests;

/// <summary>The stock page's investor flows: real KRX flows of 005930 imported through `krxhub import`'s path, and the card without flows.</summary>
[Collection(DashboardCollection.Name)]
public sealed class InvestorFlowsPageTests(DashboardHub hub) : DashboardPageTest(hub)
{
    private static readonly string[] Investors = ["individual", "foreign", "institution-total"];

    [BrowserFact]
    public async Task The_stock_page_draws_real_KRX_flows_daily_and_cumulative_and_names_the_commands_that_bring_them_in()
    {
        // 000660 has no stored flows: the card says which commands bring them in.
        await Page.GotoAsync("/stocks/000660");
        var empty = Page.GetByTestId("investor-empty");
        await Assertions.Expect(empty).ToContainTextAsync("krxhub collect investors --codes 000660");
        await Assertions.Expect(empty).ToContainTextAsync("krxhub backfill investors");
        await Assertions.Expect(empty).ToContainTextAsync("krxhub import");
        await Assertions.Expect(Page.GetByTestId("investor-chart")).ToHaveCountAsync(0);

        await ImportReferenceFlowsAsync();
        var flows = (await Hub.Http.GetFromJsonAsync<JsonElement[]>("/api/stocks/005930/investors"))!;
        var values = Investors.ToDictionary(i => i, i => flows.Where(f => f.GetProperty("investor").GetString() == i)
            .OrderBy(f => f.GetProperty("date").GetString(), StringComparer.Ordinal).Select(f => f.GetProperty("netValue").GetDecimal()).ToList());
        Assert.All(values.Values, v => Assert.Equal(6, v.Count)); // 2021-01-15..22: six sessions
        // Individuals bought 870,709,684,700 won of 005930 net on 2021-01-22 (KRX TRDVAL3); the volume file filled the shares.
        Assert.Equal(870_709_684_700m, values["individual"][^1]);
        Assert.Equal(9_884_815, flows.Single(f => f.GetProperty("investor").GetString() == "individual" && f.GetProperty("date").GetString() == "2021-01-22")
            .GetProperty("netVolume").GetInt64());

        await Page.GotoAsync("/stocks/005930");
        var chart = Page.GetByTestId("investor-chart");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-series", "3");
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-mode", "daily");
        foreach (var investor in Investors)
        {
            await Assertions.Expect(chart).ToHaveAttributeAsync($"data-last-{investor}", Text(values[investor][^1]));
        }

        await Assertions.Expect(chart.Locator("canvas").First).ToBeVisibleAsync();
        var daily = await chart.ScreenshotAsync();
        await chart.ScrollIntoViewIfNeededAsync();
        await ScreenshotAsync("stock-005930-flows");

        await Page.GetByTestId("flow-tabs").Locator("button[data-value=c]").ClickAsync();
        await Assertions.Expect(chart).ToHaveAttributeAsync("data-mode", "cumulative");
        foreach (var investor in Investors)
        {
            await Assertions.Expect(chart).ToHaveAttributeAsync($"data-last-{investor}", Text(values[investor].Sum()));
        }

        Assert.NotEqual(daily, await chart.ScreenshotAsync());
        await ScreenshotAsync("stock-005930-flows-cumulative");
        AssertNoConsoleErrors();
    }

    /// <summary>
    /// ../shared/reference/investor holds KRX's MDCSTAT02302 answers for 005930 (net value and net volume, 2021-01-15..22) as CSV
    /// with the body's keys as columns; written back as the JSON body KRX sends, they go through `krxhub import --code --measure`.
    /// </summary>
    private async Task ImportReferenceFlowsAsync()
    {
        var directory = Directory.CreateTempSubdirectory("krxhub-flows-");
        try
        {
            foreach (var (measure, name) in new[] { (InvestorMeasure.Value, "value"), (InvestorMeasure.Volume, "volume") })
            {
                var csv = TestPaths.Reference("investor", $"krx_MDCSTAT02302_005930_netbuy_{name}_by_date_20210115_20210122.csv");
                var lines = File.ReadAllLines(csv).Where(l => l.Length > 0).ToList();
                var keys = lines[0].Split(',');
                var records = lines.Skip(1).Select(l => keys.Zip(l.Split(',')).ToDictionary(p => p.First, p => p.Second)).ToList();
                var body = Path.Combine(directory.FullName, $"MDCSTAT02302-005930-netbuy-{name}.json");
                await File.WriteAllTextAsync(body, JsonSerializer.Serialize(new { output = records }));
                var summary = await TestData.ImportAsync(Hub.Store, body, new ImportOptions { Code = StockCode.Parse("005930"), Measure = measure });
                Assert.True(summary.Accepted > 0, summary.ToString());
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Text(decimal value) => value.ToString("0", CultureInfo.InvariantCulture);
}
