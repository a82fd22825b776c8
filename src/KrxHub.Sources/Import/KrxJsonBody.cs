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
/// market-wide (02202/02203) with a market (<see cref="KrxInvestorFlowBody"/>).</item>
/// </list>
/// </summary>
internal static class KrxJsonBody
{

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
        if (IndexFiles.Detect([.. first.EnumerateObject().Select(p => p.Name)]) is { } indexContent)
        {
            return IndexFiles.ReadJson(path, records, indexContent, options, fetchedAt);
        }

        Refuse(options.Index is not null, "--index", "this screen's", "it is not an index body");
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
            return KrxInvestorFlowBody.Read(path, subject, records, first, options, fetchedAt);
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
        KrxInvestorFlowBody.RefuseInvestorOptions(options, bld);
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
        KrxInvestorFlowBody.RefuseInvestorOptions(options, bld);
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
        KrxInvestorFlowBody.RefuseInvestorOptions(options, bld);
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
            null, bld, stocks: new ParsedRecords<Stock>(stocks, rejected))
        {
            ListsAllMarkets = stocks.Select(s => s.Market).Distinct().Count() == Enum.GetValues<Market>().Length,
        };
    }

    internal static void Refuse(bool given, string option, string bld, string why)
    {
        if (given)
        {
            throw new ImportFormatException($"{option} does not apply to {bld} bodies: {why}");
        }
    }

    internal static bool Has(JsonElement record, string name) => record.TryGetProperty(name, out _);

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
