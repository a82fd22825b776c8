using KrxHub.Core;
using KrxHub.Features.Import;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Storage;

namespace KrxHub.Tests;

/// <summary>A clock stopped at a fixed instant, so that "future date" does not depend on when tests run.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public static readonly FixedTime Default = new(new DateTimeOffset(2025, 6, 30, 9, 0, 0, TimeSpan.Zero));

    private readonly System.Collections.Concurrent.ConcurrentDictionary<TimeSpan, int> _timers = new();

    public override DateTimeOffset GetUtcNow() => now;

    /// <summary>
    /// How many timers (Task.Delay on this clock, among others) were created with this due time: a loop that waits its
    /// poll interval between rounds creates one per round, so a test can wait for rounds instead of sleeping.
    /// </summary>
    public int TimersOf(TimeSpan dueTime) => _timers.GetValueOrDefault(dueTime);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _timers.AddOrUpdate(dueTime, 1, (_, n) => n + 1);
        return base.CreateTimer(callback, state, dueTime, period);
    }
}

internal static class TestData
{
    public static KrxCalendar Calendar => BundledData.LoadCalendar();

    /// <summary>The bundled master: 2,882 listed and the delisted stocks.</summary>
    public static async Task LoadMasterAsync(MarketStore store)
    {
        var listed = MasterFiles.ReadListed(BundledData.Master);
        var delisted = MasterFiles.ReadDelisted(BundledData.Delisted);
        await ImportCommand.ImportStocksAsync(store, FixedTime.Default, BundledLoader.MasterJob, new { },
            new ParsedRecords<Stock>([.. delisted.Records.Select(s => s with { AsOf = BundledLoader.DelistedAsOf }),
                .. listed.Records.Select(s => s with { AsOf = BundledLoader.MasterAsOf })], []), "bundled:krx-master", CancellationToken.None);
    }

    public static async Task<ImportSummary> ImportAsync(MarketStore store, string path, ImportOptions options, PriceBasis? basis = null, TimeProvider? time = null)
    {
        var file = ImportReader.Open(path, options);
        return await ImportCommand.ImportAsync(store, Calendar, time ?? FixedTime.Default, file, basis ?? file.Basis, show: false, CancellationToken.None);
    }

    /// <summary>
    /// Real bars of one stock (005930, 2024-01-02..05, raw values) stored on <paramref name="basis"/>, so that the next run
    /// of that basis is not a first load: its bars are staged and promoted, where a first load on SQLite writes straight
    /// into daily_bars (see DailyBarLoad).
    /// </summary>
    public static async Task SeedBasisAsync(MarketStore store, string directory, PriceBasis basis)
    {
        var path = TempFile(directory, $"seed-{basis.Name()}.csv",
            ["code,date,open,high,low,close,volume,change_pct", .. RealRawRows(["005930"], new DateOnly(2024, 1, 2), new DateOnly(2024, 1, 5))]);
        var summary = await ImportAsync(store, path, new ImportOptions { Format = ImportFormat.PykrxCsv }, basis);
        Xunit.Assert.Equal(4, summary.Changed);
    }

    /// <summary>Every daily bar of the store, ordered, as comparable text (provenance excluded unless asked for).</summary>
    public static async Task<List<string>> AllBarsAsync(MarketStore store, bool withFetchedAt = false)
    {
        var result = new List<string>();
        foreach (var date in await store.GetDatesWithBarsAsync(DateOnly.MinValue, DateOnly.MaxValue, CancellationToken.None))
        {
            foreach (var b in await store.GetBarsOnDateAsync(date, null, null, CancellationToken.None))
            {
                result.Add(FormattableString.Invariant($"{b.Code},{b.Date:yyyy-MM-dd},{b.Basis},{b.Open},{b.High},{b.Low},{b.Close},{b.Volume},{b.TradingValue},{b.MarketCap},{b.ListedShares},{b.NoTrade}{(withFetchedAt ? "," + b.FetchedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : string.Empty)}"));
            }
        }

        result.Sort(StringComparer.Ordinal);
        return result;
    }

    /// <summary>Real raw KRX bars (marcap window) of some stocks (null: all) and dates, as pykrx-style CSV lines without header.</summary>
    public static List<string> RealRawRows(string[]? codes, DateOnly from, DateOnly to)
    {
        var wanted = codes?.ToHashSet(StringComparer.Ordinal);
        var rows = new List<string>();
        using var gz = new System.IO.Compression.GZipStream(File.OpenRead(BundledData.RawWindow), System.IO.Compression.CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        var header = reader.ReadLine()!.Split(',').Select(h => h.Trim('"')).ToList();
        int I(string name) => header.IndexOf(name);
        while (reader.ReadLine() is { } line)
        {
            var f = line.Split(',').Select(x => x.Trim('"')).ToArray();
            var date = DateOnly.Parse(f[I("Date")], System.Globalization.CultureInfo.InvariantCulture);
            if ((wanted is not null && !wanted.Contains(f[I("Code")])) || date < from || date > to)
            {
                continue;
            }

            static string Int(string s) => decimal.Parse(s, System.Globalization.CultureInfo.InvariantCulture).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
            rows.Add(string.Join(',', f[I("Code")], f[I("Date")], Int(f[I("Open")]), Int(f[I("High")]), Int(f[I("Low")]), Int(f[I("Close")]), Int(f[I("Volume")]), f[I("ChagesRatio")]));
        }

        rows.Sort(StringComparer.Ordinal);
        return rows;
    }

    /// <summary>Writes lines to a temp file with the given extension.</summary>
    public static string TempFile(string directory, string name, IEnumerable<string> lines)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllLines(path, lines);
        return path;
    }
}
