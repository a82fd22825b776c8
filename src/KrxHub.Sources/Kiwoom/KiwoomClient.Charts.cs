using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Validation;

namespace KrxHub.Sources.Kiwoom;

/// <summary>
/// ka10081 daily bars as raw rows for <see cref="DailyBarValidator"/>: prices unsigned, the change signed by pred_pre_sig,
/// trde_prica (백만원) converted to won. A non-numeric value stays as it came, so the validator quarantines that row.
/// </summary>
public sealed record KiwoomDailyChart(StockCode Code, PriceBasis Basis, DateTimeOffset FetchedAt, IReadOnlyList<RawDailyRow> Rows, int Pages, bool Truncated)
{
    public string Source => KiwoomClient.Source;

    /// <summary>Parses every row into a <see cref="DailyBar"/> of this chart's basis and source "kiwoom", or its rejection reasons.</summary>
    public List<ValidatedRow> Validate(DailyBarValidator validator)
    {
        ArgumentNullException.ThrowIfNull(validator);
        return validator.ParseRows(Rows, Basis, Source, FetchedAt);
    }
}

/// <summary>One ka10080 minute bar. <see cref="Time"/> is cntr_tm, Korean time. Prices unsigned; <see cref="Change"/> signed.</summary>
public sealed record KiwoomMinuteBar(
    StockCode Code,
    DateTimeOffset Time,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    long Volume,
    long? AccumulatedVolume,
    decimal? Change,
    PriceDirection? Direction,
    PriceBasis Basis);

public sealed partial class KiwoomClient
{
    private const string ChartPath = "/api/dostk/chart";

    /// <summary>
    /// ka10081, newest first, going back from <paramref name="baseDate"/> for up to <see cref="KiwoomOptions.PageCap"/> pages.
    /// Adjusted prices are adjusted as of <paramref name="baseDate"/>: to see a split adjusted, the base date must be after it.
    /// </summary>
    public Task<KiwoomDailyChart> GetDailyBarsAsync(StockCode code, DateOnly baseDate, PriceBasis basis, CancellationToken cancellationToken) =>
        GetDailyBarsAsync(code, baseDate, basis, null, cancellationToken);

    /// <summary>
    /// As above, paging back until a page reaches a row dated before <paramref name="oldest"/> (null: up to the page cap). With
    /// <paramref name="oldest"/> the page cap is only a runaway guard scaled to the sessions from it to <paramref name="baseDate"/>.
    /// </summary>
    public async Task<KiwoomDailyChart> GetDailyBarsAsync(StockCode code, DateOnly baseDate, PriceBasis basis, DateOnly? oldest, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, string>
        {
            ["stk_cd"] = code.Value,
            ["base_dt"] = baseDate.ToString("yyyyMMdd", CultureInfo.InvariantCulture),
            ["upd_stkpc_tp"] = basis == PriceBasis.Adjusted ? "1" : "0",
        };
        var result = await QueryAsync(ChartPath, "ka10081", body, "stk_dt_pole_chart_qry", DatedBefore("dt", oldest),
            RangeRows(oldest, baseDate, 1), cancellationToken);
        var fetchedAt = _time.GetUtcNow();
        var rows = new List<RawDailyRow>(result.Rows.Count);
        var line = 0;
        foreach (var r in result.Rows)
        {
            line++;
            rows.Add(ToRawDailyRow(code, r, line));
        }

        return new KiwoomDailyChart(code, basis, fetchedAt, rows, result.Pages, result.Truncated);
    }

    internal static RawDailyRow ToRawDailyRow(StockCode code, JsonElement r, long line)
    {
        var row = new RawDailyRow { Line = line, Payload = r.GetRawText(), Code = code.Value };
        if (r.ValueKind != JsonValueKind.Object)
        {
            return row;
        }

        string? Get(string field) => KiwoomRowReader.Text(r, field);

        // Parsed values go to the validator as plain invariant text; unparseable ones as they came (it rejects them).
        static string? Price(string? s) => KiwoomValue.TryPrice(s, out var v) == FieldStatus.Ok ? KiwoomValue.Text(v) : s;

        row.Date = Get("dt");
        row.Open = Price(Get("open_pric"));
        row.High = Price(Get("high_pric"));
        row.Low = Price(Get("low_pric"));
        row.Close = Price(Get("cur_prc"));
        row.Volume = Get("trde_qty");
        var value = Get("trde_prica");
        row.TradingValue = KiwoomValue.TrySigned(value, out var millions) == FieldStatus.Ok ? KiwoomValue.Text(millions * 1_000_000m) : value;
        var change = Get("pred_pre");
        row.Change = KiwoomValue.TryChange(change, Get("pred_pre_sig"), out var c) == FieldStatus.Ok ? KiwoomValue.Text(c) : change;
        return row;
    }

    /// <summary>ka10080 1-minute bars (tic_scope 1), newest first; <paramref name="baseDate"/> null means the latest session.</summary>
    public Task<KiwoomRows<KiwoomMinuteBar>> GetMinuteBarsAsync(StockCode code, PriceBasis basis, DateOnly? baseDate, CancellationToken cancellationToken) =>
        GetMinuteBarsAsync(code, basis, baseDate, null, cancellationToken);

    /// <summary>As above, paging back only until a page reaches a bar of a day before <paramref name="oldest"/> (null: up to the page cap).</summary>
    public async Task<KiwoomRows<KiwoomMinuteBar>> GetMinuteBarsAsync(StockCode code, PriceBasis basis, DateOnly? baseDate, DateOnly? oldest, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, string>
        {
            ["stk_cd"] = code.Value,
            ["tic_scope"] = "1",
            ["upd_stkpc_tp"] = basis == PriceBasis.Adjusted ? "1" : "0",
        };
        if (baseDate is { } d)
        {
            body["base_dt"] = d.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        }

        var result = await QueryAsync(ChartPath, "ka10080", body, "stk_min_pole_chart_qry", DatedBefore("cntr_tm", oldest),
            RangeRows(oldest, baseDate ?? KrxCalendar.KstDate(_time.GetUtcNow()), MinuteBarsPerSessionBound), cancellationToken);
        return Map(result, (r, _) => new KiwoomMinuteBar(
            code,
            r.KstTime("cntr_tm"),
            r.Price("open_pric"),
            r.Price("high_pric"),
            r.Price("low_pric"),
            r.Price("cur_prc"),
            r.Count("trde_qty"),
            r.OptionalCount("acc_trde_qty"),
            r.OptionalChange("pred_pre", "pred_pre_sig"),
            KiwoomValue.Direction(r.Text("pred_pre_sig")),
            basis));
    }

    /// <summary>
    /// True for a row whose <paramref name="field"/> (yyyyMMdd, or yyyyMMddHHmmss whose first 8 digits are the day) is before
    /// <paramref name="oldest"/>; rows with an unreadable date never stop the paging.
    /// </summary>
    private static Func<JsonElement, bool>? DatedBefore(string field, DateOnly? oldest) => oldest is not { } limit ? null : row =>
    {
        var text = KiwoomRowReader.Text(row, field)?.Trim();
        return text is { Length: >= 8 } && KiwoomValue.TryDate(text[..8], out var day) == FieldStatus.Ok && day < limit;
    };

    /// <summary>More 1-minute bars than a session holds (09:00–15:30 gives 381); only sizes the runaway guard.</summary>
    private const int MinuteBarsPerSessionBound = 400;

    /// <summary>
    /// An upper bound of the rows a range query from <paramref name="newest"/> back to <paramref name="oldest"/> holds: its
    /// weekdays (every session is one; the client has no calendar) times <paramref name="perSession"/>. 0 without a range.
    /// </summary>
    internal static int RangeRows(DateOnly? oldest, DateOnly newest, int perSession)
    {
        if (oldest is not { } first || first > newest)
        {
            return 0;
        }

        var days = newest.DayNumber - first.DayNumber + 1;
        var weekdays = (days / 7 * 5) + Enumerable.Range(0, days % 7).Count(i => first.AddDays(days / 7 * 7 + i).DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday));
        return (int)Math.Min(int.MaxValue, (long)weekdays * perSession);
    }

    /// <summary>Maps each row; a row with any unreadable required field is left out and its problems are listed.</summary>
    private static KiwoomRows<T> Map<T>(KiwoomPages pages, Func<KiwoomRowReader, JsonElement, T> map)
    {
        var rows = new List<T>(pages.Rows.Count);
        var errors = new List<KiwoomRowError>();
        var index = 0;
        foreach (var element in pages.Rows)
        {
            index++;
            var reader = new KiwoomRowReader(element, index, errors);
            if (!reader.IsObject)
            {
                reader.Fail("(row)", element.GetRawText(), "is not a JSON object");
                continue;
            }

            var item = map(reader, element);
            if (!reader.Failed)
            {
                rows.Add(item);
            }
        }

        return new KiwoomRows<T>(rows, errors, pages.Pages, pages.Truncated);
    }
}
