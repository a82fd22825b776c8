using System.Globalization;
using System.Text;
using KrxHub.Core;

namespace KrxHub.Sources.Import;

/// <summary>
/// The one entry point of file import: opens a file, recognises or checks its format, checks the options it
/// needs, and returns an <see cref="ImportFile"/> that streams its contents. Every problem found here is an
/// <see cref="ImportFormatException"/> with a one-line message, thrown before any row is produced.
/// </summary>
public static class ImportReader
{
    private const int PreviewLength = 120;

    public static ImportFile Open(string path, ImportOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(path))
        {
            throw new ImportFormatException($"file '{path}' does not exist");
        }

        var name = ImportInput.Display(path);
        var (head, encoding) = ImportInput.Sniff(path);
        var text = encoding.GetString(head).TrimStart('\uFEFF');
        var start = text.TrimStart();
        if (start.Length == 0)
        {
            throw new ImportFormatException($"file '{name}' is empty");
        }

        if (start.StartsWith("LOGOUT", StringComparison.Ordinal))
        {
            throw new ImportFormatException($"file '{name}' holds KRX's reply 'LOGOUT' (login required or session expired), not data");
        }

        if (start[0] == '<')
        {
            throw new ImportFormatException($"file '{name}' is an HTML page, not data (KRX answers failed requests with HTML): it starts with '{Preview(start)}'");
        }

        var json = start[0] is '{' or '[';
        var format = options.Format;
        if (format == ImportFormat.KrxJson || (format == ImportFormat.Auto && json))
        {
            if (!json)
            {
                throw new ImportFormatException($"file '{name}' is not KRX JSON: it starts with '{Preview(start)}'");
            }

            return KrxJsonBody.Open(path, ImportInput.ReadAll(path), options);
        }

        if (json)
        {
            throw new ImportFormatException($"file '{name}' is JSON, not a {DailyCsvLayout.Describe(format)}: pass --format krx-json or auto");
        }

        return OpenCsv(path, text, encoding, options);
    }

    private static ImportFile OpenCsv(string path, string text, Encoding encoding, ImportOptions options)
    {
        var name = ImportInput.Display(path);
        var (header, fields) = ReadHeader(text);
        if (options.Format == ImportFormat.KrxDelistedCsv || (options.Format == ImportFormat.Auto &&
            fields.Contains("Symbol", StringComparer.OrdinalIgnoreCase) && fields.Contains("DelistingDate", StringComparer.OrdinalIgnoreCase)))
        {
            return OpenDelistings(path, options);
        }

        var format = options.Format;
        if (format is ImportFormat.Auto or ImportFormat.IndexCsv && IndexFiles.Detect(fields) is { } indexContent)
        {
            return IndexFiles.OpenCsv(path, encoding, indexContent, options);
        }

        if (format == ImportFormat.IndexCsv)
        {
            throw new ImportFormatException($"file '{name}' is not an index CSV: header '{Preview(header)}' has neither TRD_DD/CLSPRC_IDX, Date/Close/UpDown/Comp nor ISU_SRT_CD/IDX_ID");
        }

        Refuse(options.Index is not null, "--index", name, "it is not an index file");
        if (format == ImportFormat.Auto)
        {
            format = DailyCsvLayout.Detect(fields) ?? throw new ImportFormatException(
                $"cannot tell the format of '{name}' from its header '{Preview(header)}': pass --format pykrx-csv|fdr-csv|marcap-csv|krx-json");
        }

        var layout = DailyCsvLayout.Resolve(format, fields, options.Date is not null, out var missing);
        if (layout is null)
        {
            throw new ImportFormatException(missing is ["date"]
                ? $"file '{name}' has no date column: pass --date yyyy-MM-dd if all its rows are of one session"
                : $"file '{name}' is not a {DailyCsvLayout.Describe(format)}: header '{Preview(header)}' lacks {string.Join('/', missing)}");
        }

        if (layout.CodeColumn is { } column && options.Code is not null)
        {
            throw new ImportFormatException($"--code does not apply to '{name}': it names its stocks in column '{column}'");
        }

        if (layout.CodeColumn is null && options.Code is null)
        {
            throw new ImportFormatException($"file '{name}' has no code column: pass --code (e.g. --code 005930)");
        }

        if (layout.DateColumn is { } dateColumn && options.Date is not null)
        {
            throw new ImportFormatException($"--date does not apply to '{name}': its rows carry their dates in column '{dateColumn}'");
        }

        Refuse(options.Market is not null, "--market", name, "--market is for market-wide investor bodies");
        Refuse(options.Measure is not null, "--measure", name, "it is not an investor-flow body");
        Refuse(options.Side is not null, "--side", name, "it is not an investor-flow body");

        var fetchedAt = options.FetchedAt ?? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
        var basis = format == ImportFormat.MarcapCsv ? PriceBasis.Raw : (PriceBasis?)null;
        var date = options.Date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var source = new CsvDailySource(path, encoding, layout, options.Code?.Value, date, header);
        return new ImportFile(path, format, ImportContent.DailyBars, options.Source ?? format.Name(), fetchedAt, basis, null, csv: source);
    }

    /// <summary>A KRX delisting list (Symbol, Name, Market, …, ListingDate, DelistingDate, …): the bundled krx-delisted format.</summary>
    private static ImportFile OpenDelistings(string path, ImportOptions options)
    {
        var name = ImportInput.Display(path);
        Refuse(options.Code is not null, "--code", name, "a delisting list names its stocks");
        Refuse(options.Date is not null, "--date", name, "each record carries its delisting date");
        Refuse(options.Market is not null, "--market", name, "each record names its market");
        Refuse(options.Measure is not null, "--measure", name, "it is not an investor-flow body");
        Refuse(options.Side is not null, "--side", name, "it is not an investor-flow body");
        var fetchedAt = options.FetchedAt ?? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
        var parsed = MasterFiles.ReadDelisted(path);
        var undated = parsed.Records.Where(s => s.DelistingDate is null).ToList();
        if (undated.Count > 0)
        {
            var ids = undated.Select(s => s.Code).ToHashSet();
            parsed = new ParsedRecords<Stock>([.. parsed.Records.Where(s => !ids.Contains(s.Code))],
                [.. parsed.Rejected, .. undated.Select(s => new RejectedRecord(0, s.Code.Value, Core.Validation.ReasonCodes.MissingField) { Code = s.Code.Value })]);
        }

        return new ImportFile(path, ImportFormat.KrxDelistedCsv, ImportContent.Delistings, options.Source ?? "krx-delisted", fetchedAt, null, null, stocks: parsed);
    }

    /// <summary>The first record of the text and its fields.</summary>
    internal static (string Header, string[] Fields) ReadHeader(string text)
    {
        using var csv = new CsvReader(new StringReader(text));
        if (!csv.Read())
        {
            return (string.Empty, []);
        }

        var fields = new string[csv.FieldCount];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = csv.GetString(i).Trim();
        }

        return (csv.RecordText.ToString(), fields);
    }

    private static void Refuse(bool given, string option, string name, string why)
    {
        if (given)
        {
            throw new ImportFormatException($"{option} does not apply to '{name}': {why}");
        }
    }

    private static string Preview(string text)
    {
        var line = text.AsSpan();
        var newline = line.IndexOfAny('\r', '\n');
        if (newline >= 0)
        {
            line = line[..newline];
        }

        return line.Length > PreviewLength ? string.Concat(line[..PreviewLength], "…") : line.ToString();
    }
}
