using KrxHub.Core;

namespace KrxHub.Storage;

/// <summary>What one complete listing changed in the master.</summary>
/// <param name="Absent">Stocks of the master missing from it for the first time (counted, not yet delisted).</param>
/// <param name="Delisted">Stocks now marked delisted, inferred: missing from this listing and from an earlier one of another date.</param>
/// <param name="Reinstated">Stocks inferred delisted earlier that this listing lists again: the inference is undone.</param>
public sealed record ListingInference(IReadOnlyList<StockCode> Absent, IReadOnlyList<Stock> Delisted, IReadOnlyList<StockCode> Reinstated);

/// <summary>Delistings (migration 7): inferred from complete listings, or exact from an exchange's delisting list.</summary>
public sealed partial class MarketStore
{
    /// <summary>Listings of this many different dates in a row must lack a stock before it is taken to be delisted.</summary>
    public const int AbsencesToDelist = 2;

    /// <summary>
    /// Records a complete listing (every stock of KOSPI, KOSDAQ and KONEX as of <paramref name="asOf"/>; the listing's
    /// stocks must already be upserted). A stock of the master that is neither in it nor delisted, that was listed by then
    /// and of which nothing newer is known (its as_of is older) is counted absent, once per date; on its
    /// <see cref="AbsencesToDelist"/>th absence in a row it is marked delisted, inferred, from the day after its last bar
    /// (of either basis; without bars, the day after the last listing that had it), so that its last session stays in the
    /// universe as it does with KRX's own delisting dates. A listed stock's count is reset, and an inferred delisting undone.
    /// <paramref name="coversUnclassified"/> false: the listing holds stocks only (KRX MDCSTAT01901), so an entry of the master
    /// without a security group (known only from Kiwoom's lists, which also hold ETFs and other securities) is not counted.
    /// </summary>
    public async Task<ListingInference> RecordCompleteListingAsync(IReadOnlyCollection<StockCode> listed, DateOnly asOf, bool coversUnclassified,
        CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(listed);
        var present = listed.Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        var rows = await ReadListingStateAsync(ct);
        var reset = new List<string>();
        var reinstated = new List<StockCode>();
        var absent = new List<(string Code, int Count)>();
        var delisted = new List<StockCode>();
        foreach (var r in rows)
        {
            if (present.Contains(r.Code))
            {
                if (r.Inferred && r.DelistingDate is not null)
                {
                    reinstated.Add(StockCode.Parse(r.Code));
                }
                else if (r.AbsentCount > 0)
                {
                    reset.Add(r.Code);
                }

                continue;
            }

            var says = r.DelistingDate is null && (r.ListingDate is null || r.ListingDate <= asOf) && (r.AsOf is null || r.AsOf < asOf)
                && (r.LastAbsentOn is null || r.LastAbsentOn < asOf) && (coversUnclassified || r.SecurityGroup is not null);
            if (says)
            {
                absent.Add((r.Code, r.AbsentCount + 1));
                if (r.AbsentCount + 1 >= AbsencesToDelist)
                {
                    delisted.Add(StockCode.Parse(r.Code));
                }
            }
        }

        // Every change of this listing in one transaction: (code, absences, last absence, delisting date, inferred).
        var lastBars = await LastBarDatesAsync(delisted, ct);
        var asOfByCode = rows.ToDictionary(r => r.Code, r => r.AsOf, StringComparer.Ordinal);
        var changes = new List<(string Code, int Count, DateOnly? LastAbsentOn, DateOnly? DelistingDate)>();
        changes.AddRange(reset.Select(c => (c, 0, (DateOnly?)null, (DateOnly?)null)));
        changes.AddRange(reinstated.Select(c => (c.Value, 0, (DateOnly?)null, (DateOnly?)null)));
        foreach (var (code, count) in absent)
        {
            DateOnly? delistingDate = count >= AbsencesToDelist
                ? (lastBars.TryGetValue(code, out var last) ? last : asOfByCode[code] ?? asOf).AddDays(1)
                : null;
            changes.Add((code, count, asOf, delistingDate));
        }

        var now = _time.GetUtcNow();
        var d = _dialect;
        await d.ExecuteEachAsync("""
            UPDATE stocks SET absent_count = @count, last_absent_on = @last_absent_on, delisting_date = @delisting_date,
                delisting_inferred = (@inferred = 1), updated_at = @updated_at
            WHERE code = @code AND (delisting_date IS NULL OR delisting_inferred)
            """, changes, (p, c) =>
        {
            p.Add(d.Text("code", c.Code));
            p.Add(d.Long("count", c.Count));
            p.Add(d.Date("last_absent_on", c.LastAbsentOn));
            p.Add(d.Date("delisting_date", c.DelistingDate));
            p.Add(d.Long("inferred", c.DelistingDate is null ? 0 : 1));
            p.Add(d.Instant("updated_at", now));
        }, ct);

        var stocks = new List<Stock>(delisted.Count);
        foreach (var code in delisted)
        {
            stocks.Add((await GetStockAsync(code, ct))!);
        }

        return new ListingInference([.. absent.Where(a => a.Count < AbsencesToDelist).Select(a => StockCode.Parse(a.Code))], stocks, reinstated);
    }

    /// <summary>
    /// Applies an exchange's delisting list: each stock's delisting date becomes exact (no longer inferred). A code the
    /// master lacks is added as a delisted stock; a stored stock listed on or after the listed delisting date is a later
    /// listing under a reused code and is left alone. Returns how many stocks were added or changed.
    /// </summary>
    public async Task<int> ApplyDelistingsAsync(IReadOnlyCollection<Stock> delisted, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(delisted);
        var now = _time.GetUtcNow();
        return (int)await _dialect.ExecuteEachAsync("""
            INSERT INTO stocks (code, name, market, security_group, share_class, listing_date, delisting_date, listed_shares, industry, updated_at, as_of)
            VALUES (@code, @name, @market, @security_group, @share_class, @listing_date, @delisting_date, @listed_shares, @industry, @updated_at, @as_of)
            ON CONFLICT (code) DO UPDATE SET
                delisting_date = excluded.delisting_date, delisting_inferred = FALSE, absent_count = 0, last_absent_on = NULL,
                updated_at = excluded.updated_at
            WHERE (stocks.listing_date IS NULL OR stocks.listing_date < excluded.delisting_date)
              AND (stocks.delisting_date IS DISTINCT FROM excluded.delisting_date OR stocks.delisting_inferred)
            """, [.. delisted.Where(s => s.DelistingDate is not null)], (p, s) => BindStock(p, s, now), ct);
    }

    private sealed record ListingState(string Code, DateOnly? ListingDate, DateOnly? DelistingDate, bool Inferred, DateOnly? AsOf, int AbsentCount,
        DateOnly? LastAbsentOn, string? SecurityGroup);

    private async Task<IReadOnlyList<ListingState>> ReadListingStateAsync(CancellationToken ct)
    {
        return await QueryAsync(
            "SELECT code, listing_date, delisting_date, delisting_inferred, as_of, absent_count, last_absent_on, security_group FROM stocks",
            r => new ListingState(r.GetString(0), _dialect.NullableDate(r, 1), _dialect.NullableDate(r, 2), _dialect.ReadBool(r, 3),
                _dialect.NullableDate(r, 4), Convert.ToInt32(r.GetValue(5), System.Globalization.CultureInfo.InvariantCulture),
                _dialect.NullableDate(r, 6), StoreDialect.NullableString(r, 7)), ct);
    }

    /// <summary>The date of each stock's newest daily bar of either basis; stocks without bars are left out.</summary>
    private async Task<Dictionary<string, DateOnly>> LastBarDatesAsync(IReadOnlyList<StockCode> codes, CancellationToken ct)
    {
        var last = new Dictionary<string, DateOnly>(StringComparer.Ordinal);
        if (codes.Count == 0)
        {
            return last;
        }

        await using var connection = await _dialect.OpenAsync(ct);
        foreach (var code in codes)
        {
            await using var select = Command(connection, null, "SELECT max(date) FROM daily_bars WHERE code = @code");
            select.Parameters.Add(_dialect.Text("code", code.Value));
            await using var reader = await select.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct) && _dialect.NullableDate(reader, 0) is { } date)
            {
                last[code.Value] = date;
            }
        }

        return last;
    }
}
