using System.Text.RegularExpressions;
using KrxHub.Features.Collection;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Kiwoom;
using KrxHub.Sources.KrxOpenApi;
using KrxHub.Testing;

namespace KrxHub.Tests.Collection;

/// <summary>Settings from KRXHUB_ variables: one line naming the key when something is wrong, the hub's defaults otherwise.</summary>
public sealed partial class CollectionConfigTests
{
    [Theory]
    [InlineData("KRXHUB_KIWOOM__APPKEY=abc", "KRXHUB_KIWOOM__SECRETKEY is missing (KRXHUB_KIWOOM__APPKEY is set)")]
    [InlineData("KRXHUB_KIWOOM__SECRETKEY=abc", "KRXHUB_KIWOOM__APPKEY is missing (KRXHUB_KIWOOM__SECRETKEY is set)")]
    [InlineData("KRXHUB_KIWOOM__APPKEY=a;KRXHUB_KIWOOM__SECRETKEY=b;KRXHUB_KIWOOM__MOCK=yes", "KRXHUB_KIWOOM__MOCK 'yes' is not true or false")]
    [InlineData("KRXHUB_KIWOOM__APPKEY=a;KRXHUB_KIWOOM__SECRETKEY=b;KRXHUB_KIWOOM__BASEURL=ftp://api.kiwoom.com", "KRXHUB_KIWOOM__BASEURL must be an absolute http(s) URL such as https://api.kiwoom.com")]
    [InlineData("KRXHUB_KIWOOM__APPKEY=a;KRXHUB_KIWOOM__SECRETKEY=b;KRXHUB_KIWOOM__REQUESTSPERSECOND=fast", "KRXHUB_KIWOOM__REQUESTSPERSECOND 'fast' is not a number (use . for decimals)")]
    [InlineData("KRXHUB_KIWOOM__REVOKEONSHUTDOWN=maybe", "KRXHUB_KIWOOM__REVOKEONSHUTDOWN 'maybe' is not true or false")]
    [InlineData("KRXHUB_KRX__OPENAPIURL=https://data-dbg.krx.co.kr/svc/apis", "KRXHUB_KRX__AUTHKEY is missing (KRXHUB_KRX__OPENAPIURL set)")]
    [InlineData("KRXHUB_KRX__AUTHKEY=k;KRXHUB_KRX__OPENAPIURL=data-dbg", "KRXHUB_KRX__OPENAPIURL must be an absolute http(s) URL such as https://data-dbg.krx.co.kr/svc/apis")]
    [InlineData("KRXHUB_COLLECTION__WATCHLIST=005930,12", "KRXHUB_COLLECTION__WATCHLIST: ")]
    [InlineData("KRXHUB_COLLECTION__EODAT=25:00", "KRXHUB_COLLECTION__EODAT '25:00' is not a time span such as 00:00:10 or 18:00")]
    [InlineData("KRXHUB_COLLECTION__DAILYBASIS=split", "KRXHUB_COLLECTION__DAILYBASIS 'split' is not raw or adjusted")]
    [InlineData("KRXHUB_KIWOOM__APPKY=abc", "KRXHUB_KIWOOM__APPKY is not a setting; known: KRXHUB_KIWOOM__APPKEY, ")]
    [InlineData("KRXHUB_KRX__DATASYSTEM__LOGIN=me", "KRXHUB_KRX__DATASYSTEM__LOGIN is not a setting; known: ")]
    [InlineData("KRXHUB_CALENDAR__FILE=krx-2027.csv", "KRXHUB_CALENDAR__FILE is not a setting; known: KRXHUB_CALENDAR__EXTENSIONFILE")]
    public void A_bad_setting_is_one_line_naming_its_environment_variable(string variables, string expected)
    {
        var environment = variables.Split(';').Select(v => v.Split('=', 2)).ToDictionary(p => p[0], p => (string?)p[1]);

        var error = Assert.Throws<CliException>(() => KiwoomMarket.Settings(environment));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.Equal(2, error.ExitCode);
    }

    [Fact]
    public void Without_keys_there_is_no_source_and_mock_selects_the_mock_host_and_one_request_a_second()
    {
        var none = KiwoomMarket.Settings(new Dictionary<string, string?> { ["KRXHUB_KIWOOM__APPKEY"] = "", ["KRXHUB_COLLECTION__WATCHLIST"] = "005930, 000660" });
        Assert.Null(none.Kiwoom);
        Assert.Null(none.Krx);
        Assert.Equal(["005930", "000660"], none.Collection.WatchlistCodes.Select(c => c.Value));
        Assert.Equal((new TimeSpan(8, 0, 0), new TimeSpan(18, 0, 0)), (none.Collection.MasterAt, none.Collection.EodAt));

        var mock = KiwoomMarket.Settings(new Dictionary<string, string?>
        {
            ["KRXHUB_KIWOOM__APPKEY"] = "app-key-7731",
            ["KRXHUB_KIWOOM__SECRETKEY"] = "secret-9913",
            ["KRXHUB_KIWOOM__MOCK"] = "true",
            ["KRXHUB_KIWOOM__PAGECAP"] = "25",
            ["KRXHUB_KRX__AUTHKEY"] = "krx-key-4410",
        });
        Assert.Equal((KiwoomOptions.MockBaseUrl, KiwoomOptions.MockWsUrl, 1.0, 25), (mock.Kiwoom!.EffectiveBaseUrl, mock.Kiwoom.EffectiveWsUrl, mock.Kiwoom.EffectiveRequestsPerSecond, mock.Kiwoom.PageCap));
        Assert.Equal(KrxOpenApiOptions.DefaultOpenApiUrl, mock.Krx!.OpenApiUrl);
        foreach (var secret in new[] { "app-key-7731", "secret-9913", "krx-key-4410" })
        {
            Assert.DoesNotContain(secret, mock.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_env_example_documents_every_setting_and_nothing_else()
    {
        var documented = EnvName().Matches(File.ReadAllText(Path.Combine(TestPaths.RepoRoot, ".env.example"))).Select(m => m.Value).ToHashSet();
        var settings = new HashSet<string> { "KRXHUB_DATA_DIR", "KRXHUB_DATABASE" };
        settings.UnionWith(SettingsBinder.Keys<KiwoomOptions>().Append(HubSettings.RevokeOnShutdownKey).Select(k => SettingsBinder.EnvName(KiwoomOptions.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<KrxOpenApiOptions>().Select(k => SettingsBinder.EnvName(KrxOpenApiOptions.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<KrxDataSystemOptions>().Select(k => SettingsBinder.EnvName(KrxDataSystemOptions.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<CollectionSettings>().Select(k => SettingsBinder.EnvName(CollectionSettings.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<Features.Live.LiveOptions>().Select(k => SettingsBinder.EnvName(Features.Live.LiveOptions.SectionName, k)));
        settings.UnionWith([Sources.Simulation.SimulatorOptions.AlwaysOpenVariable, Sources.Simulation.SimulatorOptions.SeedVariable]);
        settings.UnionWith(SettingsBinder.Keys<Features.TradingCalendar.CalendarSettings>().Select(k => SettingsBinder.EnvName(Features.TradingCalendar.CalendarSettings.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<Features.Conditions.AlertSettings>().Select(k => SettingsBinder.EnvName(Features.Conditions.AlertSettings.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<Features.Access.AccessSettings>().Select(k => SettingsBinder.EnvName(Features.Access.AccessSettings.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<Features.Access.SecretsSettings>().Select(k => SettingsBinder.EnvName(Features.Access.SecretBox.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<Features.Observability.MetricsSettings>().Select(k => SettingsBinder.EnvName(Features.Observability.MetricsSettings.SectionName, k)));
        settings.UnionWith(SettingsBinder.Keys<Features.Observability.OtlpSettings>().Select(k => SettingsBinder.EnvName(Features.Observability.OtlpSettings.SectionName, k)));
        settings.Add(Features.Observability.ObservabilitySettings.LogFormatVariable);
        settings.UnionWith(SettingsBinder.Keys<Features.Backup.BackupSettings>().Select(k => SettingsBinder.EnvName(Features.Backup.BackupSettings.SectionName, k)));

        Assert.Empty(settings.Except(documented).Order());
        Assert.Empty(documented.Except(settings).Order());
    }

    [Fact]
    public async Task Serve_and_collect_with_a_bad_setting_exit_with_one_line_and_write_nothing()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var environment = new Dictionary<string, string?> { ["KRXHUB_KIWOOM__APPKEY"] = "abc" };

        string[][] verbs = [["serve", "--no-bundled", "--urls", "http://127.0.0.1:0"], ["collect", "daily"], ["backfill", "daily", "--from", "2024-01-02"]];
        foreach (var verb in verbs)
        {
            var (exit, _, stderr) = await CliProcess.RunAsync(environment, [.. verb, .. test.CliArgs]);
            Assert.Equal(2, exit);
            Assert.Equal("error: KRXHUB_KIWOOM__SECRETKEY is missing (KRXHUB_KIWOOM__APPKEY is set)", stderr.Trim());
        }

        var (noKeys, _, missing) = await CliProcess.RunAsync(null, ["collect", "krx-daily", .. test.CliArgs]);
        Assert.Equal(2, noKeys);
        Assert.Equal("error: `collect krx-daily` needs a KRX Open API key: set KRXHUB_KRX__AUTHKEY (see .env.example)", missing.Trim());
        Assert.False(File.Exists(Path.Combine(test.DataDirectory, "krxhub.db")), "nothing may be written");
    }

    [Fact]
    public async Task An_appsettings_json_in_the_working_directory_is_read_and_the_environment_wins_over_it()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var directory = Directory.CreateTempSubdirectory("krxhub-appsettings-").FullName;
        try
        {
            async Task<(int Exit, string Stderr)> RunAsync(string json, Dictionary<string, string?>? environment)
            {
                await File.WriteAllTextAsync(Path.Combine(directory, "appsettings.json"), json);
                var start = CliProcess.StartInfo(environment, ["collect", "daily", "--date", "2024-01-13", .. test.CliArgs]);
                start.WorkingDirectory = directory;
                using var process = System.Diagnostics.Process.Start(start)!;
                var stderr = await process.StandardError.ReadToEndAsync();
                await process.StandardOutput.ReadToEndAsync();
                await process.WaitForExitAsync();
                return (process.ExitCode, stderr.Trim());
            }

            Assert.Equal((2, "error: KRXHUB_KIWOOM__SECRETKEY is missing (KRXHUB_KIWOOM__APPKEY is set)"),
                await RunAsync("""{ "Kiwoom": { "AppKey": "from-the-file" } }""", null));

            // With the secret from the environment the settings pass; the Saturday is refused next, before any request.
            Assert.Equal((2, "error: 2024-01-13 is not a KRX session (Saturday)"),
                await RunAsync("""{ "Kiwoom": { "AppKey": "from-the-file", "BaseUrl": "http://127.0.0.1:9" } }""",
                    new Dictionary<string, string?> { ["KRXHUB_KIWOOM__SECRETKEY"] = "from-the-environment" }));

            var (exit, stderr) = await RunAsync("""{ "Kiwoom": { "AppKey": """, null);
            Assert.Equal(2, exit);
            Assert.StartsWith("error: appsettings.json cannot be read: ", stderr, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', stderr);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [GeneratedRegex("KRXHUB_[A-Z_]+[A-Z]")]
    private static partial Regex EnvName();
}
