namespace KrxHub.Core.Validation;

/// <summary>
/// Validates daily bars row by row against the schema and KRX rules. Pure: the caller supplies the
/// stock master, the calendar, "today" (KST) and the last stored raw closes. The work is split in two
/// steps so the caller can look up previous closes for exactly the codes and dates of the batch:
/// <see cref="ParseRows"/>, then <see cref="ApplyBatchRules"/>.
/// </summary>
public sealed class DailyBarValidator(KrxCalendar calendar, IReadOnlyDictionary<StockCode, Stock> master, DateOnly todayKst)
{
    private readonly SortedSet<DateOnly> _provisionalRejections = [];

    /// <summary>
    /// Dates whose rows were rejected as <see cref="ReasonCodes.NotASession"/> on a provisional (rule-derived) calendar day:
    /// if KRX traded that day, the rules are wrong for it and the override file must say so.
    /// </summary>
    public IReadOnlyList<DateOnly> ProvisionalRejections
    {
        get
        {
            lock (_provisionalRejections)
            {
                return [.. _provisionalRejections];
            }
        }
    }

    /// <summary>Liquidation trading lasts 7 sessions; 21 calendar days before the delisting date covers it with holidays.</summary>
    public const int LiquidationWindowDays = 21;

    public List<ValidatedRow> ParseRows(IEnumerable<RawDailyRow> rows, PriceBasis basis, string source, DateTimeOffset fetchedAt)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var result = new List<ValidatedRow>(rows.TryGetNonEnumeratedCount(out var count) ? count : 0);
        foreach (var raw in rows)
        {
            result.Add(ParseRow(raw, basis, source, fetchedAt));
        }

        return result;
    }

    /// <summary>For each stock in the batch, the first date it appears: the store's last raw close before it feeds the limit check.</summary>
    public static Dictionary<StockCode, DateOnly> FirstDatePerCode(IEnumerable<ValidatedRow> rows)
    {
        var first = new Dictionary<StockCode, DateOnly>();
        foreach (var r in rows)
        {
            if (r.Bar is { Basis: PriceBasis.Raw } bar && (!first.TryGetValue(bar.Code, out var d) || bar.Date < d))
            {
                first[bar.Code] = bar.Date;
            }
        }

        return first;
    }

    /// <summary>Rules that need the whole batch: conflicting duplicates and the daily price limit.</summary>
    public ValidatedBatch ApplyBatchRules(List<ValidatedRow> rows, IReadOnlyDictionary<StockCode, PreviousClose> previousCloses)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(previousCloses);
        MarkDuplicates(rows);

        // Walk each stock's raw bars in date order so that each bar's base is the previous session's close.
        var raw = rows.Where(r => r.Accepted && !r.DroppedAsDuplicate && r.Bar!.Basis == PriceBasis.Raw)
            .OrderBy(r => r.Bar!.Code.Value, StringComparer.Ordinal).ThenBy(r => r.Bar!.Date);
        StockCode? code = null;
        PreviousClose? prev = null;
        foreach (var row in raw)
        {
            var bar = row.Bar!;
            if (code != bar.Code)
            {
                code = bar.Code;
                prev = previousCloses.TryGetValue(bar.Code, out var p) && p.Date < bar.Date ? p : null;
            }

            CheckPriceLimit(row, prev);
            if (row.Accepted)
            {
                prev = new PreviousClose(bar.Date, bar.Close);
            }
        }

        return new ValidatedBatch { Rows = rows };
    }

    private void CheckPriceLimit(ValidatedRow row, PreviousClose? prev)
    {
        var bar = row.Bar!;
        if (bar.NoTrade)
        {
            return;
        }

        // A new listing's first day trades within 60%–400% of its offering price, not the daily limit, and the
        // liquidation trading (정리매매) of the last sessions before a delisting has no daily limit at all.
        if (master.TryGetValue(bar.Code, out var stock) &&
            (stock.ListingDate == bar.Date || (stock.DelistingDate is { } delisted && bar.Date < delisted && bar.Date.AddDays(LiquidationWindowDays) >= delisted)))
        {
            return;
        }

        // The source's own change field gives the exact base price, including ex-rights and split adjustments;
        // otherwise use our last close, but only if it is from the previous session.
        decimal basePrice;
        if (row.SourceBasePrice is > 0m and var fromSource)
        {
            basePrice = fromSource;
        }
        else if (prev is { } p && calendar.PreviousSession(bar.Date) == p.Date && p.Close > 0m)
        {
            basePrice = p.Close;
        }
        else
        {
            return;
        }

        var (lower, upper) = KrxRules.PriceLimits(basePrice, row.Market, bar.Date);
        if (bar.Close > upper || bar.Close < lower || bar.High > upper || bar.Low < lower)
        {
            Reject(row, ReasonCodes.OutsidePriceLimit);
        }
    }

    private static void MarkDuplicates(List<ValidatedRow> rows)
    {
        // Sized for the whole batch up front: growing it row by row allocated twice its final size on every chunk.
        var byKey = new Dictionary<(StockCode, DateOnly), ValidatedRow>(rows.Count);
        List<ValidatedRow>? conflicted = null;
        foreach (var row in rows)
        {
            if (row.Bar is not { } bar)
            {
                continue;
            }

            var key = (bar.Code, bar.Date);
            if (!byKey.TryGetValue(key, out var first))
            {
                byKey[key] = row;
                continue;
            }

            if (first.Bar!.SameValues(bar))
            {
                row.DroppedAsDuplicate = true;
                continue;
            }

            // Two different versions of one bar in one batch: we cannot know which is right, so neither lands.
            conflicted ??= [];
            conflicted.Add(first);
            conflicted.Add(row);
        }

        if (conflicted is null)
        {
            return;
        }

        var keys = conflicted.Select(r => (r.Bar!.Code, r.Bar.Date)).ToHashSet();
        foreach (var row in rows)
        {
            if (row.Bar is { } bar && keys.Contains((bar.Code, bar.Date)) && !row.Reasons.Contains(ReasonCodes.ConflictingDuplicate))
            {
                row.DroppedAsDuplicate = false;
                Reject(row, ReasonCodes.ConflictingDuplicate);
            }
        }
    }

    private static void Reject(ValidatedRow row, string reason)
    {
        if (!row.Reasons.Contains(reason))
        {
            row.Reasons.Add(reason);
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private ValidatedRow ParseRow(RawDailyRow raw, PriceBasis basis, string source, DateTimeOffset fetchedAt)
    {
        var row = new ValidatedRow(raw);

        StockCode code = default;
        if (string.IsNullOrWhiteSpace(raw.Code))
        {
            Reject(row, ReasonCodes.MissingField);
        }
        else if (!StockCode.TryParse(raw.Code, out code))
        {
            Reject(row, ReasonCodes.InvalidCode);
        }

        DateOnly date = default;
        Field(row, KrxText.TryDate(raw.Date, out date));
        Field(row, KrxText.TryDecimal(raw.OpenText, out var open));
        Field(row, KrxText.TryDecimal(raw.HighText, out var high));
        Field(row, KrxText.TryDecimal(raw.LowText, out var low));
        Field(row, KrxText.TryDecimal(raw.CloseText, out var close));
        Field(row, KrxText.TryLong(raw.VolumeText, out var volume));
        var tradingValue = Optional(row, raw.TradingValueText);
        var marketCap = Optional(row, raw.MarketCapText);
        long? listedShares = null;
        switch (KrxText.TryLong(raw.ListedSharesText, out var shares))
        {
            case FieldStatus.Ok:
                listedShares = shares;
                break;
            case FieldStatus.Invalid:
                Reject(row, ReasonCodes.NonNumericField);
                break;
        }

        decimal? change = null;
        switch (KrxText.TryDecimal(raw.ChangeText, out var ch))
        {
            case FieldStatus.Ok:
                change = ch;
                break;
            case FieldStatus.Invalid:
                Reject(row, ReasonCodes.NonNumericField);
                break;
        }

        if (row.HasReasons)
        {
            return row;
        }

        // KRX no-trade row: no open/high/low, no volume, close carried forward. A halt, not an error.
        // KONEX no-trade rows may carry a moved close and a non-zero change code (a quoted price, 기세),
        // so the change code is not required to be 0.
        var noTrade = open == 0m && high == 0m && low == 0m && volume == 0 && close > 0m;
        if (noTrade)
        {
            open = high = low = close;
        }

        if (open <= 0m || high <= 0m || low <= 0m || close <= 0m)
        {
            Reject(row, ReasonCodes.NonPositivePrice);
        }

        if (volume < 0)
        {
            Reject(row, ReasonCodes.NegativeVolume);
        }

        var stock = code.Value is null ? null : master.GetValueOrDefault(code);
        string? repairedFrom = null;
        if (low > Math.Min(open, close) || high < Math.Max(open, close) || low > high)
        {
            if (basis == PriceBasis.Adjusted && stock is not null && IsAdjustmentRounding(open, high, low, close, stock.Market))
            {
                repairedFrom = RepairNote(open, high, low, close);
                high = Math.Max(high, Math.Max(open, close));
                low = Math.Min(low, Math.Min(open, close));
            }
            else
            {
                Reject(row, ReasonCodes.OhlcInconsistent);
            }
        }

        if (date > todayKst)
        {
            Reject(row, ReasonCodes.FutureDate);
        }
        else if (calendar.Covers(date) && !calendar.IsSession(date))
        {
            Reject(row, ReasonCodes.NotASession);
            if (calendar.IsProvisional(date))
            {
                lock (_provisionalRejections)
                {
                    _provisionalRejections.Add(date);
                }
            }
        }

        Market market = default;
        if (stock is null)
        {
            Reject(row, ReasonCodes.UnknownCode);
        }
        else
        {
            market = stock.Market;
        }

        if (basis == PriceBasis.Raw && stock is not null && !noTrade && Math.Min(Math.Min(open, high), Math.Min(low, close)) > 0m &&
            (!KrxRules.IsOnTickGrid(open, market, date) || !KrxRules.IsOnTickGrid(high, market, date) ||
             !KrxRules.IsOnTickGrid(low, market, date) || !KrxRules.IsOnTickGrid(close, market, date)))
        {
            Reject(row, ReasonCodes.OffTickGrid);
        }

        row.Market = market;
        row.SourceBasePrice = change is { } c && !noTrade ? close - c : null;
        row.Bar = new DailyBar(code, date, Normalize(open), Normalize(high), Normalize(low), Normalize(close), volume,
            tradingValue is { } tv ? Normalize(tv) : null, marketCap is { } mc ? Normalize(mc) : null, listedShares,
            basis, source, fetchedAt, noTrade)
        {
            BasePrice = basis == PriceBasis.Raw && change is { } baseChange ? Normalize(close - baseChange) : null,
            RepairedFrom = repairedFrom,
        };
        return row;
    }

    /// <summary>
    /// The source rounded each adjusted price on its own, so high or low may miss open or close by a little (Naver: 005930 on
    /// 2015-01-27, high 27,999 and close 28,000). At most one tick of the tick table in force today, at that price, is such
    /// an artifact; more is a real inconsistency.
    /// </summary>
    private bool IsAdjustmentRounding(decimal open, decimal high, decimal low, decimal close, Market market)
    {
        if (open <= 0m || high <= 0m || low <= 0m || close <= 0m)
        {
            return false;
        }

        var (top, bottom) = (Math.Max(open, close), Math.Min(open, close));
        var highMiss = Math.Max(0m, top - high);
        var lowMiss = Math.Max(0m, low - bottom);
        return highMiss <= (KrxRules.TickSize(top, market, todayKst) ?? 0m) &&
               lowMiss <= (KrxRules.TickSize(bottom, market, todayKst) ?? 0m);
    }

    private static string RepairNote(decimal open, decimal high, decimal low, decimal close)
    {
        var parts = new List<string>(2);
        if (high < Math.Max(open, close))
        {
            parts.Add(FormattableString.Invariant($"high={high}"));
        }

        if (low > Math.Min(open, close))
        {
            parts.Add(FormattableString.Invariant($"low={low}"));
        }

        return string.Join(',', parts);
    }

    private static void Field(ValidatedRow row, FieldStatus status)
    {
        if (status == FieldStatus.Missing)
        {
            Reject(row, ReasonCodes.MissingField);
        }
        else if (status == FieldStatus.Invalid)
        {
            Reject(row, ReasonCodes.NonNumericField);
        }
    }

    private static decimal? Optional(ValidatedRow row, TextSlice text)
    {
        switch (KrxText.TryDecimal(text, out var v))
        {
            case FieldStatus.Ok:
                return v;
            case FieldStatus.Invalid:
                Reject(row, ReasonCodes.NonNumericField);
                return null;
            default:
                return null;
        }
    }

    // "79600.0" and "79600" are the same price; strip trailing zeros so equality and storage agree.
    private static decimal Normalize(decimal d) => d.Scale == 0 ? d : d / 1.000000000000000000000000000000000m;
}
