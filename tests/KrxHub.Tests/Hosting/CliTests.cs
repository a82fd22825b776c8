using KrxHub.Core.Validation;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>The `krxhub` verbs as a user runs them.</summary>
public class CliTests
{
    [Theory]
    [InlineData("import")]
    [InlineData("serve")]
    [InlineData("db migrate")]
    [InlineData("quality-report")]
    [InlineData("backtest")]
    [InlineData("collect")]
    [InlineData("backfill")]
    [InlineData("calendar")]
    [InlineData("backup")]
    [InlineData("restore")]
    [InlineData("healthcheck")]
    public async Task Every_verb_has_help_with_examples(string verb)
    {
        var (exit, stdout, _) = await CliProcess.RunAsync([.. verb.Split(' '), "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Examples:", stdout, StringComparison.Ordinal);
        Assert.Contains("--data-dir", stdout, StringComparison.Ordinal);
        Assert.Contains("--database", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_of_the_stated_format_fails_in_one_line_and_writes_nothing()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var html = TestData.TempFile(test.DataDirectory, "error.csv", ["<html><body>LOGOUT</body></html>"]);
        var (exit, _, stderr) = await CliProcess.RunAsync(["import", html, .. test.CliArgs]);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("error:", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(test.DataDirectory, "krxhub.db")), "nothing may be written");

        var (exit2, _, stderr2) = await CliProcess.RunAsync(["import", TestPaths.Data("history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz"), "--format", "fdr-csv", "--code", "005930", .. test.CliArgs]);
        Assert.Equal(2, exit2);
        Assert.Contains("not a", stderr2, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(test.DataDirectory, "krxhub.db")));
    }

    [Fact]
    public async Task A_KRX_body_without_its_session_date_needs_the_date_option()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var sample = TestPaths.Data("samples", "krx", "MDCSTAT01501-STK-20210122.json");
        var (exit, _, stderr) = await CliProcess.RunAsync(["import", sample, .. test.CliArgs]);
        Assert.Equal(2, exit);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains("--date", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_CSV_that_can_hold_either_basis_needs_the_basis_option()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var csv = TestData.TempFile(test.DataDirectory, "p.csv", ["code,date,open,high,low,close,volume,change_pct", "005930,2024-01-02,78200,79800,78200,79600,17142847,1.4"]);
        var (exit, _, stderr) = await CliProcess.RunAsync(["import", csv, .. test.CliArgs]);
        Assert.Equal(2, exit);
        Assert.Contains("--basis", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_prints_a_summary_and_the_quality_report_shows_the_day()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var master = await CliProcess.RunAsync(["import", TestPaths.Data("samples", "krx", "MDCSTAT01901-ALL-20260414.json"), .. test.CliArgs]);
        Assert.True(master.ExitCode == 0, master.Stderr);
        var import = await CliProcess.RunAsync(["import", TestPaths.Data("samples", "krx", "MDCSTAT01501-STK-20210122.json"), "--date", "2021-01-22", .. test.CliArgs]);
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Contains("accepted", import.Stdout, StringComparison.Ordinal);
        Assert.Contains("quarantined", import.Stdout, StringComparison.Ordinal);

        var report = await CliProcess.RunAsync(["quality-report", "--date", "2021-01-22", .. test.CliArgs]);
        Assert.True(report.ExitCode == 0, report.Stderr);
        Assert.Contains("raw bars", report.Stdout, StringComparison.Ordinal);

        var migrate = await CliProcess.RunAsync(["db", "migrate", .. test.CliArgs]);
        Assert.Equal(0, migrate.ExitCode);
        Assert.Contains("schema at version", migrate.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Importing_prices_into_a_store_without_a_master_loads_the_bundled_master_first()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var csv = TestData.TempFile(test.DataDirectory, "p.csv", ["code,date,open,high,low,close,volume,change_pct", "005930,2024-01-02,78200,79800,78200,79600,17142847,1.4"]);
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["import", csv, "--basis", "raw", .. test.CliArgs]);
        Assert.True(exit == 0, stderr);
        Assert.Contains("loading the bundled KRX master", stdout, StringComparison.Ordinal);
        await using (var store = await test.OpenAsync())
        {
            Assert.Equal(2_882, (await store.GetAllStocksAsync(CancellationToken.None)).Count(s => s.DelistingDate is null));
            Assert.Equal(["005930,2024-01-02,Raw,78200,79800,78200,79600,17142847,,,,False"], await TestData.AllBarsAsync(store));
        }

        // With a master in place, nothing is loaded again.
        var again = await CliProcess.RunAsync(["import", csv, "--basis", "raw", .. test.CliArgs]);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.DoesNotContain("loading the bundled KRX master", again.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_no_bundled_an_import_into_a_store_without_a_master_quarantines_unknown_codes()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var csv = TestData.TempFile(test.DataDirectory, "p.csv", ["code,date,open,high,low,close,volume,change_pct", "005930,2024-01-02,78200,79800,78200,79600,17142847,1.4"]);
        var (exit, stdout, stderr) = await CliProcess.RunAsync(["import", csv, "--basis", "raw", "--no-bundled", .. test.CliArgs]);
        Assert.True(exit == 0, stderr);
        Assert.DoesNotContain("loading the bundled KRX master", stdout, StringComparison.Ordinal);
        await using var store = await test.OpenAsync();
        Assert.Empty(await store.GetAllStocksAsync(CancellationToken.None));
        Assert.Equal(ReasonCodes.UnknownCode, Assert.Single(Assert.Single(await store.GetQuarantineAsync(null, null, 10, 0, CancellationToken.None)).Reasons));
    }
}
