using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Validation;

namespace KrxHub.Sources.Import;

/// <summary>
/// Reads KRX data-system bodies (<c>getJsonData.cmd</c>). The screen (bld) is recognised from the record keys:
/// <list type="bullet">
/// <item>ISU_SRT_CD + TDD_CLSPRC: MDCSTAT01501 all stocks on one session (the date comes from the options).</item>
/// <item>TRD_DD + TDD_CLSPRC: MDCSTAT01701 one stock over a period (the code comes from the options).</item>
/// <item>ISU_SRT_CD + LIST_DD: MDCSTAT01901 listing.</item>
/// <item>TRD_DD + TRDVAL1..4: investor flows, general; TRDVAL1..11: detail. Per stock (02302/02303) with a code,
/// market-wide (02202/02203) with a market.</item>
/// </list>
/// </summary>
internal static class KrxJsonBody
{
    // TRDVAL1..4 of the general bodies (MDCSTAT02202/02302).
    private static readonly InvestorType[] GeneralColumns =
        [InvestorType.InstitutionTotal, InvestorType.OtherCorporation, InvestorType.Individual, InvestorType.Foreign];

    // TRDVAL1..11 of the detail bodies (MDCSTAT02203/02303); TRDVAL10 is foreigners without 기타외국인, see Expand.
    private static readonly InvestorType[] DetailColumns =
    [
        InvestorType.FinancialInvestment, InvestorType.Insurance, InvestorType.Trust, InvestorType.PrivateFund,
        InvestorType.Bank, InvestorType.OtherFinance, InvestorType.Pension, InvestorType.OtherCorporation,
        InvestorType.Individual, InvestorType.Foreign, InvestorType.OtherForeign,
    ];

    private const int InstitutionalColumns = 7;

    public static ImportFile Open(string path, byte[] bytes, ImportOptions options)
    {
        var subject = $"file '{ImportInput.Display(path)}'";
        using var document = ParseJson(subject, bytes);
        return Read(path, subject, document.RootElement, options, () => new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero));
    }

    /// <summary>
    /// The parser the file import and the data-system client (<c>KrxDataSystemClient</c>) share. <paramref name="subject"/>
    /// starts every message ("file 'x.json'", "the answer"); <paramref name="path"/> is the file path or the URL.
    /// The fetch time is the option, else the body's CURRENT_DATETIME, else <paramref name="fetchedAtFallback"/>.
    /// </summary>
    public static ImportFile Read(string path, string subject, JsonElement root, ImportOptions options, Func<DateTimeOffset> fetchedAtFallback)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fetchedAtFallback);
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ImportFormatException($"{subject} is JSON but not a KRX body: its top level is {Describe(root.ValueKind)}, not an object");
        }

        string key;
        JsonElement records;
        if (root.TryGetProperty("OutBlock_1", out records))
        {
            key = "OutBlock_1";
        }
        else if (root.TryGetProperty("output", out records))
        {
            key = "output";
        }
        else
        {
            var keys = string.Join(",", root.EnumerateObject().Select(p => p.Name).Take(10));
            throw new ImportFormatException($"{subject} is JSON but not a KRX getJsonData body: no 'OutBlock_1' or 'output' array (keys: {keys})");
        }

        if (records.ValueKind != JsonValueKind.Array)
        {
            throw new ImportFormatException($"{subject}: '{key}' is {Describe(records.ValueKind)}, not an array of records");
        }

        if (records.GetArrayLength() == 0)
        {
            throw new ImportFormatException($"{subject} holds an empty '{key}' array: no records to import (KRX answers non-session dates and blocked requests this way)");
        }

        var first = records[0];
        if (first.ValueKind != JsonValueKind.Object)
        {
            throw new ImportFormatException($"{subject}: the first '{key}' record is {Describe(first.ValueKind)}, not an object");
        }

        var fetchedAt = options.FetchedAt ?? CurrentDateTime(root) ?? fetchedAtFallback();
        if (Has(first, "TDD_CLSPRC") && Has(first, "ISU_SRT_CD"))
        {
            return AllStockDaily(path, records, options, fetchedAt);
        }

        if (Has(first, "TDD_CLSPRC") && Has(first, "TRD_DD"))
        {
            return StockDaily(path, records, options, fetchedAt);
        }

        if (Has(first, "LIST_DD") && Has(first, "ISU_SRT_CD"))
        {
            return Listing(path, records, options, fetchedAt);
        }

        if (Has(first, "TRD_DD") && Has(first, "TRDVAL1"))
        {
            return InvestorFlows(path, subject, records, first, options, fetchedAt);
        }

        var fields = string.Join(",", first.EnumerateObject().Select(p => p.Name).Take(12));
        throw new ImportFormatException(
            $"{subject} is a KRX body of an unsupported screen: record keys {fields} match none of MDCSTAT01501, 01701, 01901, 02202/02203, 02302/02303");
    }

    private static ImportFile AllStockDaily(string path, JsonElement records, ImportOptions options, DateTimeOffset fetchedAt)
    {
        const string bld = "MDCSTAT01501";
        var date = options.Date ?? throw new ImportFormatException($"{bld} bodies carry no session date: pass --date yyyy-MM-dd");
        Refuse(options.Code is not null, "--code", bld, "it holds every stock of the market");
        Refuse(options.Market is not null, "--market", bld, "each record names its market");
        RefuseInvestorOptions(options, bld);
        var dateText = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var rows = new List<RawDailyRow>(records.GetArrayLength());
        var line = 0;
        foreach (var r in records.EnumerateArray())
        {
            line++;
            var row = new RawDailyRow { Line = line, Payload = r.GetRawText(), Date = dateText };
            if (r.ValueKind == JsonValueKind.Object)
            {
                row.Code = Text(r, "ISU_SRT_CD");
                row.Name = Text(r, "ISU_ABBRV");
                row.Market = Text(r, "MKT_NM");
                FillPrices(row, r);
            }

            rows.Add(row);
        }

        return new ImportFile(path, ImportFormat.KrxJson, ImportContent.DailyBars, options.Source ?? "krx:" + bld, fetchedAt,
            PriceBasis.Raw, bld, rows: rows);
    }

    private static ImportFile StockDaily(string path, JsonElement records, ImportOptions options, DateTimeOffset fetchedAt)
    {
        const string bld = "MDCSTAT01701";
        var code = options.Code ?? throw new ImportFormatException($"{bld} bodies do not name their stock: pass --code (e.g. --code 005930)");
        Refuse(options.Date is not null, "--date", bld, "each record carries its date (TRD_DD)");
        Refuse(options.Market is not null, "--market", bld, "it holds one stock");
        RefuseInvestorOptions(options, bld);
        var rows = new List<RawDailyRow>(records.GetArrayLength());
        var line = 0;
        foreach (var r in records.EnumerateArray())
        {
            line++;
            var row = new RawDailyRow { Line = line, Payload = r.GetRawText(), Code = code.Value };
            if (r.ValueKind == JsonValueKind.Object)
            {
                row.Date = Text(r, "TRD_DD");
                FillPrices(row, r);
            }

            rows.Add(row);
        }

        // adjStkPrc is a request parameter, not in the body: the caller says whether prices are adjusted.
        return new ImportFile(path, ImportFormat.KrxJson, ImportContent.DailyBars, options.Source ?? "krx:" + bld, fetchedAt,
            null, bld, rows: rows);
    }

    /// <summary>The price fields KRX names alike on every daily screen (data system and Open API).</summary>
    public static void FillPrices(RawDailyRow row, JsonElement r)
    {
        row.Open = Text(r, "TDD_OPNPRC");
        row.High = Text(r, "TDD_HGPRC");
        row.Low = Text(r, "TDD_LWPRC");
        row.Close = Text(r, "TDD_CLSPRC");
        row.Volume = Text(r, "ACC_TRDVOL");
        row.TradingValue = Text(r, "ACC_TRDVAL");
        row.MarketCap = Text(r, "MKTCAP");
        row.ListedShares = Text(r, "LIST_SHRS");
        row.Change = Text(r, "CMPPREVDD_PRC");
        row.ChangeCode = Text(r, "FLUC_TP_CD");
    }

    private static ImportFile Listing(string path, JsonElement records, ImportOptions options, DateTimeOffset fetchedAt)
    {
        const string bld = "MDCSTAT01901";
        Refuse(options.Code is not null, "--code", bld, "it lists many stocks");
        Refuse(options.Date is not null, "--date", bld, "a listing has no session date");
        Refuse(options.Market is not null, "--market", bld, "each record names its market");
        RefuseInvestorOptions(options, bld);
        var stocks = new List<Stock>(records.GetArrayLength());
        var rejected = new List<RejectedRecord>();
        var line = 0;
        foreach (var r in records.EnumerateArray())
        {
            line++;
            if (r.ValueKind != JsonValueKind.Object)
            {
                rejected.Add(new RejectedRecord(line, r.GetRawText(), ReasonCodes.MissingField));
                continue;
            }

            var text = new StockText(Text(r, "ISU_SRT_CD"), Text(r, "ISU_ABBRV"), Text(r, "MKT_TP_NM"), Text(r, "LIST_DD"), Text(r, "LIST_SHRS"))
            {
                NameEn = Text(r, "ISU_ENG_NM"),
                Isin = Text(r, "ISU_CD"),
                SecurityGroup = Text(r, "SECUGRP_NM"),
                ShareClass = Text(r, "KIND_STKCERT_TP_NM"),
            };
            if (text.ToStock(out var reason) is { } stock)
            {
                stocks.Add(stock);
            }
            else
            {
                rejected.Add(new RejectedRecord(line, r.GetRawText(), reason!));
            }
        }

        return new ImportFile(path, ImportFormat.KrxJson, ImportContent.Stocks, options.Source ?? "krx:" + bld, fetchedAt,
            null, bld, stocks: new ParsedRecords<Stock>(stocks, rejected));
    }

    private static ImportFile InvestorFlows(string path, string subject, JsonElement records, JsonElement first, ImportOptions options, DateTimeOffset fetchedAt)
    {
        var columns = Enumerable.Range(1, 4).All(i => Has(first, Column(i))) ? 4 : 0;
        var extra = Enumerable.Range(5, 7).Count(i => Has(first, Column(i)));
        if (columns == 0 || (extra != 0 && extra != 7) || Has(first, Column(12)))
        {
            var found = string.Join(",", first.EnumerateObject().Select(p => p.Name).Where(n => n.StartsWith("TRDVAL", StringComparison.Ordinal)));
            throw new ImportFormatException(
                $"{subject} has an unknown investor layout ({found}): expected TRDVAL1..4 (general) or TRDVAL1..11 (detail) and TRDVAL_TOT");
        }

        var detail = extra == 7;
        var perStock = options.Code is not null;
        string bld = (perStock, detail) switch
        {
            (true, false) => "MDCSTAT02302",
            (true, true) => "MDCSTAT02303",
            (false, false) => "MDCSTAT02202",
            (false, true) => "MDCSTAT02203",
        };
        var pair = detail ? "MDCSTAT02303 or 02203" : "MDCSTAT02302 or 02202";
        if (options.Code is not null && options.Market is not null)
        {
            throw new ImportFormatException($"{subject} is an investor-flow body ({pair}): pass either --code (one stock) or --market (whole market), not both");
        }

        if (options.Code is null && options.Market is null)
        {
            throw new ImportFormatException($"{subject} is an investor-flow body ({pair}) that names neither stock nor market: pass --code (one stock) or --market (whole market)");
        }

        Refuse(options.Date is not null, "--date", bld, "each record carries its date (TRD_DD)");
        var measure = options.Measure ?? throw new ImportFormatException($"{bld} bodies do not say whether they hold volumes or values: pass --measure volume|value");
        var side = options.Side ?? InvestorSide.Net;
        var count = detail ? DetailColumns.Length : GeneralColumns.Length;

        var days = new List<(DateOnly Date, decimal[] Values)>(records.GetArrayLength());
        var rejected = new List<RejectedRecord>();
        var line = 0;
        foreach (var r in records.EnumerateArray())
        {
            line++;
            if (ParseDay(r, count, measure, out var date, out var values) is { } reason)
            {
                rejected.Add(new RejectedRecord(line, r.GetRawText(), reason));
                continue;
            }

            CheckSide(subject, r, values, side);
            days.Add((date, values));
        }

        var source = options.Source ?? "krx:" + bld;
        var amounts = days.SelectMany(d => Expand(d.Values, detail).Select(a => (d.Date, a.Type, a.Amount)));
        if (options.Code is { } code)
        {
            var flows = amounts.Select(a =>
            {
                var s = Slots(a.Amount, measure, side);
                return new InvestorFlow(code, a.Date, a.Type, s.BuyVolume, s.SellVolume, s.NetVolume, s.BuyValue, s.SellValue, s.NetValue, source, fetchedAt);
            }).ToList();
            return new ImportFile(path, ImportFormat.KrxJson, ImportContent.InvestorFlows, source, fetchedAt, null, bld,
                flows: new ParsedRecords<InvestorFlow>(flows, rejected));
        }

        var market = options.Market!.Value;
        var marketFlows = amounts.Select(a =>
        {
            var s = Slots(a.Amount, measure, side);
            return new MarketInvestorFlow(market, a.Date, a.Type, s.BuyVolume, s.SellVolume, s.NetVolume, s.BuyValue, s.SellValue, s.NetValue, source, fetchedAt);
        }).ToList();
        return new ImportFile(path, ImportFormat.KrxJson, ImportContent.MarketInvestorFlows, source, fetchedAt, null, bld,
            marketFlows: new ParsedRecords<MarketInvestorFlow>(marketFlows, rejected));
    }

    /// <summary>The record's date and TRDVAL1..n, or the reason code it is rejected for.</summary>
    private static string? ParseDay(JsonElement r, int count, InvestorMeasure measure, out DateOnly date, out decimal[] values)
    {
        date = default;
        values = new decimal[count];
        if (r.ValueKind != JsonValueKind.Object)
        {
            return ReasonCodes.MissingField;
        }

        string? reason = Reason(KrxText.TryDate(Text(r, "TRD_DD"), out date));
        for (var i = 0; i < count; i++)
        {
            var text = Text(r, Column(i + 1));
            FieldStatus status;
            if (measure == InvestorMeasure.Volume)
            {
                status = KrxText.TryLong(text, out var v);
                values[i] = v;
            }
            else
            {
                status = KrxText.TryDecimal(text, out values[i]);
            }

            reason ??= Reason(status);
        }

        return reason;
    }

    private static string? Reason(FieldStatus status) => status switch
    {
        FieldStatus.Missing => ReasonCodes.MissingField,
        FieldStatus.Invalid => ReasonCodes.NonNumericField,
        _ => null,
    };

    /// <summary>
    /// Net bodies total zero (TRDVAL_TOT = 0) and buy/sell bodies are never negative: a body that breaks
    /// this was fetched with another askBid than the option says, and storing it would mislabel every value.
    /// </summary>
    private static void CheckSide(string subject, JsonElement r, decimal[] values, InvestorSide side)
    {
        var day = Text(r, "TRD_DD");
        if (side == InvestorSide.Net)
        {
            if (KrxText.TryDecimal(Text(r, "TRDVAL_TOT"), out var total) == FieldStatus.Ok && total != 0m)
            {
                throw new ImportFormatException(
                    $"{subject} is not a net-buy body: TRDVAL_TOT is {Text(r, "TRDVAL_TOT")} on {day} (net bodies total 0): pass --side buy or --side sell");
            }
        }
        else if (values.Any(v => v < 0m))
        {
            throw new ImportFormatException(
                $"{subject} has negative values on {day}, so it is a net-buy body, not {side.Name()}: pass --side net");
        }
    }

    /// <summary>
    /// The categories of one day. Detail bodies do not report the two totals the general bodies carry, so they
    /// are summed here: 기관합계 = TRDVAL1..7 and 외국인합계 = 외국인 + 기타외국인 (both exact in the KRX data).
    /// <see cref="InvestorType.Foreign"/> is always 외국인합계, as in the general bodies, so that a general and a
    /// detail import of the same day store the same numbers; <see cref="InvestorType.OtherForeign"/> is a part of it.
    /// </summary>
    private static IEnumerable<(InvestorType Type, decimal Amount)> Expand(decimal[] values, bool detail)
    {
        if (!detail)
        {
            for (var i = 0; i < GeneralColumns.Length; i++)
            {
                yield return (GeneralColumns[i], values[i]);
            }

            yield break;
        }

        var institutions = 0m;
        for (var i = 0; i < InstitutionalColumns; i++)
        {
            institutions += values[i];
            yield return (DetailColumns[i], values[i]);
        }

        yield return (InvestorType.InstitutionTotal, institutions);
        yield return (InvestorType.OtherCorporation, values[7]);
        yield return (InvestorType.Individual, values[8]);
        yield return (InvestorType.Foreign, values[9] + values[10]);
        yield return (InvestorType.OtherForeign, values[10]);
    }

    private static (long? BuyVolume, long? SellVolume, long? NetVolume, decimal? BuyValue, decimal? SellValue, decimal? NetValue) Slots(
        decimal amount, InvestorMeasure measure, InvestorSide side)
    {
        long? volume = measure == InvestorMeasure.Volume ? (long)amount : null;
        decimal? value = measure == InvestorMeasure.Value ? amount : null;
        return side switch
        {
            InvestorSide.Buy => (volume, null, null, value, null, null),
            InvestorSide.Sell => (null, volume, null, null, value, null),
            _ => (null, null, volume, null, null, value),
        };
    }

    private static string Column(int i) => "TRDVAL" + i.ToString(CultureInfo.InvariantCulture);

    private static void Refuse(bool given, string option, string bld, string why)
    {
        if (given)
        {
            throw new ImportFormatException($"{option} does not apply to {bld} bodies: {why}");
        }
    }

    private static void RefuseInvestorOptions(ImportOptions options, string bld)
    {
        Refuse(options.Measure is not null, "--measure", bld, "it is not an investor-flow body");
        Refuse(options.Side is not null, "--side", bld, "it is not an investor-flow body");
    }

    private static bool Has(JsonElement record, string name) => record.TryGetProperty(name, out _);

    public static string? Text(JsonElement record, string name)
    {
        if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty(name, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null => null,
            _ => v.GetRawText(),
        };
    }

    /// <summary>KRX stamps each body with its server time in KST, e.g. "2026.01.25 PM 08:28:47".</summary>
    private static DateTimeOffset? CurrentDateTime(JsonElement root)
    {
        if (Text(root, "CURRENT_DATETIME") is { } s &&
            DateTime.TryParseExact(s.Trim(), "yyyy.MM.dd tt hh:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var kst))
        {
            return new DateTimeOffset(kst, KrxCalendar.KstOffset);
        }

        return null;
    }

    /// <summary>Parses a whole body; truncated or invalid JSON is an <see cref="ImportFormatException"/> saying where.</summary>
    public static JsonDocument ParseJson(string subject, ReadOnlyMemory<byte> bytes)
    {
        var body = bytes;
        if (body.Span.StartsWith("\uFEFF"u8))
        {
            body = body[3..];
        }

        try
        {
            return JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            var offset = Offset(body.Span, e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
            var end = body.Span.TrimEnd(" \t\r\n"u8).Length;
            if (offset >= end)
            {
                throw new ImportFormatException($"{subject} is truncated JSON at byte {end}: the body ends inside a value", e);
            }

            throw new ImportFormatException($"{subject} is invalid JSON at byte {offset}: {FirstSentence(e.Message)}", e);
        }
    }

    private static long Offset(ReadOnlySpan<byte> bytes, long line, long positionInLine)
    {
        var offset = 0;
        for (long l = 0; l < line; l++)
        {
            var newline = bytes[offset..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            offset += newline + 1;
        }

        return offset + positionInLine;
    }

    private static string FirstSentence(string message)
    {
        var s = ImportInput.OneLine(message);
        var stop = s.IndexOf(". ", StringComparison.Ordinal);
        return stop > 0 ? s[..stop] : s.TrimEnd('.');
    }

    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => "a boolean",
    };
}
