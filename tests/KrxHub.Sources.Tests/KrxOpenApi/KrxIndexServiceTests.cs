using KrxHub.Sources.KrxOpenApi;

namespace KrxHub.Sources.Tests.KrxOpenApi;

public class KrxIndexServiceTests
{
    [Fact]
    public async Task The_index_service_gives_the_configured_indices_by_their_KRX_codes_with_real_levels()
    {
        await using var server = await FakeKrxServer.StartAsync();
        KrxIndexKit.Serve(server);

        var parsed = await KrxTestKit.Client(server).GetIndexBarsAsync(KrxIndexKit.Jan8, CancellationToken.None);

        Assert.Empty(parsed.Rejected);
        Assert.Equal(["1001", "1028", "2001"], parsed.Records.Select(b => b.IndexCode).Order(StringComparer.Ordinal));
        foreach (var (code, row) in new[] { ("1001", KrxIndexKit.Kospi), ("1028", KrxIndexKit.Kospi200), ("2001", KrxIndexKit.Kosdaq) })
        {
            var bar = parsed.Records.Single(b => b.IndexCode == code);
            Assert.Equal((KrxIndexKit.Jan8, KrxIndexKit.Number(row[0]), KrxIndexKit.Number(row[1]), KrxIndexKit.Number(row[2]), KrxIndexKit.Number(row[3])),
                (bar.Date, bar.Open, bar.High, bar.Low, bar.Close));
            Assert.Equal(((long)KrxIndexKit.Number(row[4]), KrxIndexKit.Number(row[5]), KrxIndexKit.Number(row[6])), (bar.Volume!.Value, bar.TradingValue, bar.MarketCap));
            Assert.Equal(KrxOpenApiClient.Source, bar.Source);
        }

        Assert.Equal(3152.18m, parsed.Records.Single(b => b.IndexCode == "1001").Close);
        Assert.Equal(["/svc/apis/idx/kospi_dd_trd", "/svc/apis/idx/kosdaq_dd_trd"], server.OpenApiCalls.Select(c => c.Path));
        Assert.All(server.OpenApiCalls, c => Assert.Equal(("?basDd=20210108", FakeKrxServer.AuthKey), (c.Query, c.Header("AUTH_KEY"))));
    }

    [Fact]
    public async Task Index_names_and_paths_are_settings()
    {
        await using var server = await FakeKrxServer.StartAsync();
        KrxIndexKit.Serve(server);
        var options = KrxTestKit.Options(server) with { IndexNames = "코스피 100=1034", KosdaqIndexPath = "idx/kospi_dd_trd" };

        var parsed = await KrxTestKit.Client(server, options).GetIndexBarsAsync(KrxIndexKit.Jan8, CancellationToken.None);

        // 코스피 100 in both answers (the KOSDAQ path pointed at the KOSPI series), close only: open/high/low were "-".
        Assert.Equal([("1034", 3293.96m), ("1034", 3293.96m)], parsed.Records.Select(b => (b.IndexCode, b.Close)));
        Assert.Null(parsed.Records[0].Open);
        Assert.Equal("KRXHUB_KRX__INDEXNAMES must be name=code pairs separated by ';', e.g. 코스피=1001;코스닥=2001",
            (KrxTestKit.Options(server) with { IndexNames = "코스피" }).Validate());
    }

    [Fact]
    public async Task A_day_without_index_rows_is_no_data_and_an_answer_of_another_day_is_refused()
    {
        await using var server = await FakeKrxServer.StartAsync();
        KrxIndexKit.Serve(server, basDd: "20210107");
        var client = KrxTestKit.Client(server);

        var other = await Assert.ThrowsAsync<KrxPayloadException>(() => client.GetIndexBarsAsync(KrxIndexKit.Jan8, CancellationToken.None));
        await Assert.ThrowsAsync<KrxNoDataException>(() => client.GetIndexBarsAsync(new DateOnly(2021, 1, 11), CancellationToken.None));

        Assert.Contains("another day (BAS_DD 2021-01-07)", other.Message, StringComparison.Ordinal);
    }
}
