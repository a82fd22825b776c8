using System.Text;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Validation;

namespace KrxHub.Sources.Import;

/// <summary>
/// Index files, as CSV or as KRX data-system JSON bodies (the same field names):
/// <list type="bullet">
/// <item>Daily index bars: KRX MDCSTAT00301 (<c>TRD_DD, CLSPRC_IDX, OPNPRC_IDX, HGPRC_IDX, LWPRC_IDX, ACC_TRDVOL, ACC_TRDVAL,
/// MKTCAP</c>) or a FinanceDataReader index history (<c>Date, Close, UpDown, Comp, Change, Open, High, Low, Volume, Amount,
/// MarCap</c>). Neither names its index: <c>--index</c> says which.</item>
/// <item>Constituents: KRX MDCSTAT00601 (<c>ISU_SRT_CD, ISU_ABBRV, TDD_CLSPRC, FLUC_TP_CD, STR_CMP_PRC, FLUC_RT, MKTCAP, IDX_ID</c>)
/// or FinanceDataReader's <c>index_stock</c> file (<c>Code, Name, Close, …, Marcap, IDX_ID</c>). Neither names its index or
/// date: <c>--index</c> and <c>--date</c> say which.</item>
/// </list>
/// KRX writes 0 for levels it did not publish (early years): those become null.
/// </summary>
internal static class IndexFiles
{
    private static readonly string[] DateColumns = ["TRD_DD", "BAS_DD", "Date"];
    private static readonly string[] CloseColumns = ["CLSPRC_IDX", "Close"];

    /// <summary>The content of a header (CSV) or first record's keys (JSON), or null when it is neither index shape.</summary>
    public static ImportContent? Detect(IReadOnlyCollection<string> names)
    {
        var set = new HashSet<string>(names, StringComparer.Ordinal);
        if (set.Contains("CLSPRC_IDX") && set.Contains("TRD_DD") ||
            set.Contains("Date") && set.Contains("Close") && set.Contains("UpDown") && set.Contains("Comp"))
        {
            return ImportContent.IndexBars;
        }

        if (set.Contains("IDX_ID") && (set.Contains("ISU_SRT_CD") || set.Contains("Code")))
        {
            return ImportContent.IndexConstituents;
        }

        return null;
    }

    /// <summary>Reads a CSV index file whose header <see cref="Detect"/> recognised.</summary>
    public static ImportFile OpenCsv(string path, Encoding encoding, ImportContent content, ImportOptions options)
    {
        var records = new List<(long Line, string Payload, Dictionary<string, string?> Fields)>();
        using (var csv = new CsvReader(ImportInput.OpenText(path, encoding)))
        {
            string[]? header = null;
            while (csv.Read())
            {
                var fields = new string[csv.FieldCount];
                for (var i = 0; i < fields.Length; i++)
                {
                    fields[i] = csv.GetString(i);
                }

                if (header is null)
                {
                    header = [.. fields.Select(f => f.Trim().TrimStart('\uFEFF'))];
                    continue;
                }

                var map = new Dictionary<string, string?>(StringComparer.Ordinal);
                for (var i = 0; i < header.Length; i++)
                {
                    map[header[i]] = i < fields.Length ? fields[i] : null;
                }

                records.Add((csv.RecordNumber, csv.RecordText.ToString(), map));
            }
        }

        var fetchedAt = options.FetchedAt ?? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
        return Build(path, ImportFormat.IndexCsv, content, records, options, fetchedAt, bld: null);
    }

    /// <summary>Reads the records of a KRX JSON body whose first record <see cref="Detect"/> recognised.</summary>
    public static ImportFile ReadJson(string path, JsonElement records, ImportContent content, ImportOptions options, DateTimeOffset fetchedAt)
    {
        var list = new List<(long Line, string Payload, Dictionary<string, string?> Fields)>();
        var line = 0L;
        foreach (var r in records.EnumerateArray())
        {
            line++;
            var map = new Dictionary<string, string?>(StringComparer.Ordinal);
            if (r.ValueKind == JsonValueKind.Object)
            {
                foreach (var p in r.EnumerateObject())
                {
                    map[p.Name] = KrxJsonBody.Text(r, p.Name);
                }
            }

            list.Add((line, r.GetRawText(), map));
        }

        var bld = content == ImportContent.IndexBars ? "MDCSTAT00301" : "MDCSTAT00601";
        return Build(path, ImportFormat.KrxJson, content, list, options, fetchedAt, bld);
    }

    private static ImportFile Build(string path, ImportFormat format, ImportContent content,
        List<(long Line, string Payload, Dictionary<string, string?> Fields)> records, ImportOptions options, DateTimeOffset fetchedAt, string? bld)
    {
        var what = content == ImportContent.IndexBars ? "index bars" : "index constituents";
        var index = options.Index ?? throw new ImportFormatException($"'{ImportInput.Display(path)}' holds {what} but does not name its index: pass --index (e.g. --index KOSPI or --index 1001)");
        KrxJsonBody.Refuse(options.Code is not null, "--code", what, "it is about an index");
        KrxJsonBody.Refuse(options.Market is not null, "--market", what, "it is about an index");
        KrxInvestorFlowBody.RefuseInvestorOptions(options, what);
        var source = options.Source ?? (bld is null ? "index-csv" : "krx:" + bld);
        if (content == ImportContent.IndexBars)
        {
            KrxJsonBody.Refuse(options.Date is not null, "--date", what, "each record carries its date");
            return new ImportFile(path, format, content, source, fetchedAt, null, bld, indexBars: ReadBars(index.Code, records, source, fetchedAt));
        }

        var date = options.Date ?? throw new ImportFormatException($"'{ImportInput.Display(path)}' holds index constituents without their date: pass --date yyyy-MM-dd");
        return new ImportFile(path, format, content, source, fetchedAt, null, bld, constituents: ReadConstituents(index.Code, date, records, source, fetchedAt));
    }

    /// <summary>Bars of one index from records with the MDCSTAT00301 / Open API field names (or FinanceDataReader's).</summary>
    internal static ParsedRecords<IndexBar> ReadBars(string indexCode, List<(long Line, string Payload, Dictionary<string, string?> Fields)> records, string source, DateTimeOffset fetchedAt)
    {
        var bars = new List<IndexBar>(records.Count);
        var rejected = new List<RejectedRecord>();
        foreach (var (line, payload, f) in records)
        {
            var dateStatus = KrxText.TryDate(Field(f, DateColumns), out var date);
            var closeStatus = KrxText.TryDecimal(Field(f, CloseColumns), out var close);
            if (dateStatus != FieldStatus.Ok || closeStatus != FieldStatus.Ok)
            {
                var reason = dateStatus == FieldStatus.Missing || closeStatus == FieldStatus.Missing ? ReasonCodes.MissingField : ReasonCodes.NonNumericField;
                rejected.Add(new RejectedRecord(line, payload, reason) { Code = indexCode, Date = dateStatus == FieldStatus.Ok ? date : null });
                continue;
            }

            if (!TryOptional(f, ["OPNPRC_IDX", "Open"], out var open) | !TryOptional(f, ["HGPRC_IDX", "High"], out var high) |
                !TryOptional(f, ["LWPRC_IDX", "Low"], out var low) | !TryOptional(f, ["ACC_TRDVOL", "Volume"], out var volume) |
                !TryOptional(f, ["ACC_TRDVAL", "Amount"], out var value) | !TryOptional(f, ["MKTCAP", "MarCap"], out var cap) ||
                volume is { } v && v != decimal.Truncate(v))
            {
                rejected.Add(new RejectedRecord(line, payload, ReasonCodes.NonNumericField) { Code = indexCode, Date = date });
                continue;
            }

            var bar = new IndexBar(indexCode, date, Published(open), Published(high), Published(low), close, (long?)volume, value, Published(cap), source, fetchedAt);
            if (bar.Problem() is { } problem)
            {
                rejected.Add(new RejectedRecord(line, payload, problem) { Code = indexCode, Date = date });
                continue;
            }

            bars.Add(bar);
        }

        return new ParsedRecords<IndexBar>(bars, rejected);
    }

    private static ParsedRecords<IndexConstituent> ReadConstituents(string indexCode, DateOnly date,
        List<(long Line, string Payload, Dictionary<string, string?> Fields)> records, string source, DateTimeOffset fetchedAt)
    {
        var parsed = new List<IndexConstituent>(records.Count);
        var rejected = new List<RejectedRecord>();
        var seen = new HashSet<StockCode>();
        foreach (var (line, payload, f) in records)
        {
            if (!StockCode.TryParse(Field(f, ["ISU_SRT_CD", "Code"]), out var code, out _))
            {
                rejected.Add(new RejectedRecord(line, payload, ReasonCodes.InvalidCode) { Date = date });
                continue;
            }

            if (!TryOptional(f, ["TDD_CLSPRC", "Close"], out var close) | !TryOptional(f, ["MKTCAP", "Marcap"], out var cap))
            {
                rejected.Add(new RejectedRecord(line, payload, ReasonCodes.NonNumericField) { Code = code.Value, Date = date });
                continue;
            }

            if (!seen.Add(code))
            {
                rejected.Add(new RejectedRecord(line, payload, ReasonCodes.DuplicateCode) { Code = code.Value, Date = date });
                continue;
            }

            var name = Field(f, ["ISU_ABBRV", "Name"])?.Trim();
            parsed.Add(new IndexConstituent(indexCode, date, code, string.IsNullOrEmpty(name) ? null : name, close, cap, null, source, fetchedAt));
        }

        // Weight: the share of the listed constituents' market cap (a proxy; KRX weights by float-adjusted cap).
        var total = parsed.Sum(c => c.MarketCap ?? 0);
        var weighted = total > 0
            ? parsed.Select(c => c with { Weight = c.MarketCap is { } m ? Math.Round(m / total, 8) : null }).ToList()
            : parsed;
        return new ParsedRecords<IndexConstituent>(weighted, rejected);
    }

    private static string? Field(Dictionary<string, string?> fields, string[] names)
    {
        foreach (var name in names)
        {
            if (fields.TryGetValue(name, out var value))
            {
                return value;
            }
        }

        return null;
    }

    private static bool TryOptional(Dictionary<string, string?> fields, string[] names, out decimal? value)
    {
        value = null;
        switch (KrxText.TryDecimal(Field(fields, names), out var v))
        {
            case FieldStatus.Ok:
                value = v;
                return true;
            case FieldStatus.Missing:
                return true;
            default:
                return false;
        }
    }

    /// <summary>KRX writes 0 for a level it did not publish.</summary>
    private static decimal? Published(decimal? value) => value is 0m ? null : value;

    public static string Describe(ImportContent content) => content == ImportContent.IndexBars
        ? "index bars (KRX MDCSTAT00301 or FinanceDataReader index CSV)"
        : "index constituents (KRX MDCSTAT00601)";
}
