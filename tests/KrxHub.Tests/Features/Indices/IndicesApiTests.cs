using System.Globalization;
using System.Net;
using System.Text.Json;
using KrxHub.Testing;
using static KrxHub.Tests.ApiCalls;

namespace KrxHub.Tests;

/// <summary>GET /api/indices… through the real HTTP pipeline, on both backends, over the bundled index files.</summary>
public class IndicesApiTests
{
    public static TheoryData<string, string, string> IndexFiles
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var backend in Backends.All)
            {
                data.Add(backend, "1001", "ks11");
                data.Add(backend, "2001", "kq11");
                data.Add(backend, "1028", "ks200");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task The_index_list_shows_KOSPI_KOSDAQ_and_KOSPI_200_with_their_last_close_and_provenance(string backend)
    {
        var list = await GetJsonAsync(backend, "/api/indices");

        var byCode = list.EnumerateArray().ToDictionary(i => i.GetProperty("code").GetString()!);
        Assert.Equal(["1001", "1028", "2001"], byCode.Keys.Order(StringComparer.Ordinal));
        var kospi = byCode["1001"];
        Assert.Equal("KOSPI", kospi.GetProperty("nameEn").GetString());
        Assert.Equal("2026-03-20", kospi.GetProperty("last").GetString());
        Assert.Equal(5781.2m, kospi.GetProperty("lastClose").GetDecimal());
        Assert.Equal("1995-05-02", kospi.GetProperty("first").GetString());
        Assert.Equal(7784, kospi.GetProperty("sessions").GetInt64());
        Assert.Equal("bundled:FinanceData/fdr_krx_data_cache (KRX index)", kospi.GetProperty("source").GetString());
        Assert.Equal(1161.52m, byCode["2001"].GetProperty("lastClose").GetDecimal());
        Assert.Equal(862.5m, byCode["1028"].GetProperty("lastClose").GetDecimal());
    }

    [Theory]
    [MemberData(nameof(IndexFiles))]
    public async Task Index_bars_equal_the_bundled_source_on_several_dates(string backend, string code, string file)
    {
        var reference = ReferenceIndex.Read(TestPaths.Reference("index", "fdr_krx_data_cache", $"{file}_daily_all_years.csv"));
        string[] dates = ["1998-01-05", "2008-10-24", "2020-03-19", "2024-01-02", "2026-03-10", "2026-03-20"];

        foreach (var date in dates)
        {
            var bars = await GetJsonAsync(backend, $"/api/indices/{code}/bars?from={date}&to={date}");
            var bar = Assert.Single(bars.EnumerateArray());
            var expected = reference[DateOnly.Parse(date, CultureInfo.InvariantCulture)];
            Assert.Equal(date, bar.GetProperty("date").GetString());
            Assert.Equal(ReferenceIndex.Number(expected[0]), bar.GetProperty("open").GetDecimal());
            Assert.Equal(ReferenceIndex.Number(expected[1]), bar.GetProperty("high").GetDecimal());
            Assert.Equal(ReferenceIndex.Number(expected[2]), bar.GetProperty("low").GetDecimal());
            Assert.Equal(ReferenceIndex.Number(expected[3]), bar.GetProperty("close").GetDecimal());
            Assert.Equal(ReferenceIndex.Number(expected[4]), bar.GetProperty("volume").GetInt64());
            Assert.Equal(ReferenceIndex.Number(expected[5]), bar.GetProperty("tradingValue").GetDecimal());
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Closes_on_2026_03_10_are_the_values_FinanceDataReader_asserts(string backend)
    {
        // FinanceDataReader's own tests: KS11 5532.59, KQ11 1137.68, KS200 823.02 on 2026-03-10; names work as codes.
        foreach (var (code, close) in new[] { ("KOSPI", 5532.59m), ("KOSDAQ", 1137.68m), ("KOSPI200", 823.02m) })
        {
            var bars = await GetJsonAsync(backend, $"/api/indices/{code}/bars?from=2026-03-09&to=2026-03-11");
            Assert.Equal(["2026-03-09", "2026-03-10", "2026-03-11"], bars.EnumerateArray().Select(b => b.GetProperty("date").GetString()));
            Assert.Equal(close, bars[1].GetProperty("close").GetDecimal());
        }
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_range_of_bars_is_every_stored_session_in_order(string backend)
    {
        var reference = ReferenceIndex.Read(ReferenceIndex.Kosdaq);
        var expected = reference.Keys.Where(d => d >= new DateOnly(2025, 1, 1) && d <= new DateOnly(2025, 12, 31)).Order().ToList();

        var bars = await GetJsonAsync(backend, "/api/indices/2001/bars?from=2025-01-01&to=2025-12-31");

        Assert.Equal(expected.Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
            bars.EnumerateArray().Select(b => b.GetProperty("date").GetString()));
        Assert.Equal(expected.Select(d => ReferenceIndex.Number(reference[d][3])), bars.EnumerateArray().Select(b => (decimal?)b.GetProperty("close").GetDecimal()));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Early_KOSPI_200_bars_without_published_open_high_low_serve_them_as_null(string backend)
    {
        var bars = await GetJsonAsync(backend, "/api/indices/1028/bars?from=1990-01-03&to=1990-01-03");

        var bar = Assert.Single(bars.EnumerateArray());
        Assert.Equal(100m, bar.GetProperty("close").GetDecimal());
        Assert.Equal(JsonValueKind.Null, bar.GetProperty("open").ValueKind);
        Assert.Equal(JsonValueKind.Null, bar.GetProperty("high").ValueKind);
        Assert.Equal(4_024_570, bar.GetProperty("volume").GetInt64());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Constituents_on_a_date_are_the_newest_KRX_list_dated_on_or_before_it(string backend)
    {
        var body = await GetJsonAsync(backend, "/api/indices/KOSPI/constituents?date=2026-02-15");

        Assert.Equal("1001", body.GetProperty("index").GetString());
        Assert.Equal("2026-01-23", body.GetProperty("date").GetString());
        Assert.Equal("2026-02-15", body.GetProperty("requestedDate").GetString());
        var file = File.ReadLines(TestPaths.Reference("index", "krx_MDCSTAT00601_KOSPI_constituents_20260123.csv")).Skip(1).Select(l => l.Split(',')).ToList();
        var rows = body.GetProperty("constituents").EnumerateArray().ToList();
        Assert.Equal(file.Count, rows.Count);
        Assert.Equal(file.Count, body.GetProperty("count").GetInt32());
        Assert.Equal(file.Select(f => f[0]).Order(StringComparer.Ordinal), rows.Select(r => r.GetProperty("code").GetString()!).Order(StringComparer.Ordinal));
        // The largest first: Samsung Electronics, close 152,100 and market cap 900,376,927,936,200 on 2026-01-23.
        Assert.Equal(("005930", "삼성전자", "KOSPI", 152_100m, 900_376_927_936_200m),
            (rows[0].GetProperty("code").GetString(), rows[0].GetProperty("name").GetString(), rows[0].GetProperty("market").GetString(),
             rows[0].GetProperty("close").GetDecimal(), rows[0].GetProperty("marketCap").GetDecimal()));
        var totalCap = file.Sum(f => decimal.Parse(f[6], CultureInfo.InvariantCulture));
        Assert.Equal(Math.Round(900_376_927_936_200m / totalCap, 8), rows[0].GetProperty("weight").GetDecimal());

        var older = await GetJsonAsync(backend, "/api/indices/1001/constituents?date=2021-01-29");
        Assert.Equal("2021-01-29", older.GetProperty("date").GetString());
        Assert.Equal(796, older.GetProperty("count").GetInt32());
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Bad_index_requests_are_400_problems_naming_the_parameter_and_unknown_ones_404(string backend)
    {
        await AssertProblemAsync(backend, "/api/indices/SP500/bars", HttpStatusCode.BadRequest, "code");
        await AssertProblemAsync(backend, "/api/indices/1001/bars?from=2026-13-01", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(backend, "/api/indices/1001/bars?from=2026-03-10&to=2026-03-01", HttpStatusCode.BadRequest, "from");
        await AssertProblemAsync(backend, "/api/indices/1001/constituents?date=soon", HttpStatusCode.BadRequest, "date");
        await AssertProblemAsync(backend, "/api/indices/5042/bars", HttpStatusCode.NotFound, null);
        await AssertProblemAsync(backend, "/api/indices/1001/constituents?date=2010-01-04", HttpStatusCode.NotFound, null);
    }
}
