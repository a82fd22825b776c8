using System.Collections.Concurrent;
using KrxHub.Core;
using KrxHub.Storage;

namespace KrxHub.Features.Live;

/// <summary>
/// The last stored price of a stock: the close of its latest stored minute bar (written from live ticks) when that is
/// newer than its latest daily bar, else that daily close, on whichever basis is newer (raw where both have the date:
/// a session's adjusted close is its raw close unless a corporate action followed it). <see cref="AsOf"/> is the end of
/// the minute or the session's close; <see cref="Change"/> is against the previous daily close on the same basis (null
/// when none is stored); <see cref="Basis"/> says which daily basis the price or its change comes from.
/// </summary>
public sealed record StoredQuote(
    StockCode Code,
    decimal Price,
    decimal? Change,
    decimal? ChangePct,
    long Volume,
    decimal? Value,
    DateTimeOffset AsOf,
    string Source,
    PriceBasis? Basis = null);

/// <summary>
/// Reads <see cref="StoredQuote"/>s for the stale path (REST without live data, WebSocket snapshots of stocks that have not
/// traded live). Answers are cached for a short while: thousands of clients subscribing at once cost one read per stock.
/// </summary>
public sealed class StoredQuotes(MarketStore store, KrxCalendar calendar, TimeProvider time)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MinuteBarLookback = TimeSpan.FromDays(7);

    private readonly ConcurrentDictionary<StockCode, (StoredQuote? Quote, DateTimeOffset Until)> _cache = new();

    public async Task<IReadOnlyDictionary<StockCode, StoredQuote>> GetAsync(IReadOnlyCollection<StockCode> codes, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var now = time.GetUtcNow();
        var result = new Dictionary<StockCode, StoredQuote>(codes.Count);
        var missing = new List<StockCode>();
        foreach (var code in codes)
        {
            if (_cache.TryGetValue(code, out var cached) && cached.Until > now)
            {
                if (cached.Quote is not null)
                {
                    result[code] = cached.Quote;
                }
            }
            else
            {
                missing.Add(code);
            }
        }

        if (missing.Count == 0)
        {
            return result;
        }

        var tomorrow = KrxCalendar.KstDate(now).AddDays(1);
        var last = await store.GetLastClosesBeforeAsync(missing.ToDictionary(c => c, _ => tomorrow), null, ct);
        var previous = new Dictionary<StockCode, StoredClose>();
        foreach (var basis in last.Values.Select(c => c.Basis).Distinct())
        {
            var before = last.Where(kv => kv.Value.Basis == basis).ToDictionary(kv => kv.Key, kv => kv.Value.Date);
            foreach (var (code, close) in await store.GetLastClosesBeforeAsync(before, basis, ct))
            {
                previous[code] = close;
            }
        }

        foreach (var code in missing)
        {
            var quote = await ReadAsync(code, last.GetValueOrDefault(code), previous.GetValueOrDefault(code), now, ct);
            _cache[code] = (quote, now + CacheFor);
            if (quote is not null)
            {
                result[code] = quote;
            }
        }

        return result;
    }

    private async Task<StoredQuote?> ReadAsync(StockCode code, StoredClose? lastDaily, StoredClose? beforeLast, DateTimeOffset now, CancellationToken ct)
    {
        // Minute bars after the last daily bar (or within the lookback when there is none) are the newer stored values.
        var minutesFrom = lastDaily is { } d
            ? new DateTimeOffset(d.Date.AddDays(1).ToDateTime(TimeOnly.MinValue), KrxCalendar.KstOffset)
            : now - MinuteBarLookback;
        var minutes = await store.GetMinuteBarsAsync(code, minutesFrom, now.AddMinutes(1), ct);
        if (minutes.Count > 0)
        {
            var lastBar = minutes[^1];
            var day = KrxCalendar.KstDate(lastBar.Start);
            var ofDay = minutes.Where(m => KrxCalendar.KstDate(m.Start) == day).ToList();
            var reference = lastDaily?.Close;
            return new StoredQuote(code, lastBar.Close, lastBar.Close - reference, Percent(lastBar.Close, reference),
                ofDay.Sum(m => m.Volume), ofDay.Sum(m => m.TradingValue ?? 0m), lastBar.Start.AddMinutes(1), lastBar.Source, lastDaily?.Basis);
        }

        if (lastDaily is not { } daily)
        {
            return null;
        }

        var bars = await store.GetBarsAsync(code, daily.Date, daily.Date, daily.Basis, ct);
        if (bars.Count == 0)
        {
            return null;
        }

        var bar = bars[0];
        var asOf = calendar.Hours(daily.Date)?.Close ?? new DateTimeOffset(daily.Date.ToDateTime(new TimeOnly(15, 30)), KrxCalendar.KstOffset);
        var prior = beforeLast?.Close;
        return new StoredQuote(code, bar.Close, bar.Close - prior, Percent(bar.Close, prior), bar.Volume, bar.TradingValue,
            asOf.ToOffset(KrxCalendar.KstOffset), bar.Source, daily.Basis);
    }

    /// <summary>Change in percent, rounded to two decimals like KRX's fluctuation rate.</summary>
    public static decimal? Percent(decimal price, decimal? basis) =>
        basis is > 0m ? Math.Round((price - basis.Value) / basis.Value * 100m, 2, MidpointRounding.AwayFromZero) : null;
}
