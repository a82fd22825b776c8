using KrxHub.Core;
using KrxHub.Core.Validation;

namespace KrxHub.Sources.Import;

/// <summary>
/// Reads the bundled stock master files (data/master/): the listed master (code, isin, name, …, market,
/// listing_date, listed_shares_YYYYMMDD, industry_ksic_name_YYYYMMDD, …) and the delisted list (FDR
/// delisting file: unnamed index column, Symbol, Name, Market, SecuGroup, Kind, ListingDate, DelistingDate,
/// …, Industry, …, ListingShares). Columns are found by name. Records that are not stocks of the three KRX
/// markets (8-character rights and warrant codes, other markets) are skipped and reported as rejected.
/// </summary>
public static class MasterFiles
{
    public static ParsedRecords<Stock> ReadListed(string path)
    {
        var table = Table.Open(path, ["code", "name", "market"]);
        var listedShares = table.Newest("listed_shares_");
        var industry = table.Newest("industry_ksic_name_");
        return table.ReadStocks(t => new StockText(t("code"), t("name"), t("market"), t("listing_date"), t(listedShares))
        {
            Industry = t(industry),
            NameEn = t("name_en"),
            Isin = t("isin"),
            SecurityGroup = t("security_group"),
            ShareClass = t("stock_type"),
        });
    }

    /// <summary>
    /// Delisted stocks. A code delisted twice (KRX reused some codes in the 1970s–90s) is kept once, with its
    /// latest delisting; the earlier records are rejected as <see cref="ImportReasonCodes.DuplicateCode"/>.
    /// </summary>
    public static ParsedRecords<Stock> ReadDelisted(string path)
    {
        var table = Table.Open(path, ["Symbol", "Name", "Market", "DelistingDate"]);
        var parsed = table.ReadStocks(t => new StockText(t("Symbol"), t("Name"), t("Market"), t("ListingDate"), t("ListingShares"))
        {
            DelistingDate = t("DelistingDate"),
            Industry = t("Industry"),
            SecurityGroup = t("SecuGroup"),
            ShareClass = t("Kind"),
        });

        var latest = new Dictionary<StockCode, int>();
        for (var i = 0; i < parsed.Records.Count; i++)
        {
            var stock = parsed.Records[i];
            if (!latest.TryGetValue(stock.Code, out var j) || (stock.DelistingDate ?? DateOnly.MaxValue) >= (parsed.Records[j].DelistingDate ?? DateOnly.MaxValue))
            {
                latest[stock.Code] = i;
            }
        }

        if (latest.Count == parsed.Records.Count)
        {
            return parsed;
        }

        var keep = latest.Values.ToHashSet();
        var stocks = new List<Stock>(latest.Count);
        var rejected = new List<RejectedRecord>(parsed.Rejected);
        for (var i = 0; i < parsed.Records.Count; i++)
        {
            if (keep.Contains(i))
            {
                stocks.Add(parsed.Records[i]);
            }
            else
            {
                rejected.Add(table.Rejection(parsed.Records[i], ImportReasonCodes.DuplicateCode));
            }
        }

        rejected.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new ParsedRecords<Stock>(stocks, rejected);
    }

    /// <summary>A small CSV read whole, with columns looked up by name.</summary>
    private sealed class Table
    {
        private readonly Dictionary<string, int> _columns;
        private readonly int _headerCount;
        private readonly List<(long Line, string Payload, string[] Fields)> _rows = [];
        private readonly Dictionary<Stock, (long Line, string Payload)> _origin = new(ReferenceEqualityComparer.Instance);

        private Table(Dictionary<string, int> columns, int headerCount)
        {
            _columns = columns;
            _headerCount = headerCount;
        }

        public static Table Open(string path, string[] required)
        {
            var name = ImportInput.Display(path);
            if (!File.Exists(path))
            {
                throw new ImportFormatException($"file '{path}' does not exist");
            }

            var (_, encoding) = ImportInput.Sniff(path);
            using var csv = new CsvReader(ImportInput.OpenText(path, encoding));
            if (!csv.Read())
            {
                throw new ImportFormatException($"file '{name}' is empty");
            }

            var columns = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < csv.FieldCount; i++)
            {
                columns.TryAdd(csv.GetString(i).Trim(), i);
            }

            var missing = required.Where(r => !columns.ContainsKey(r)).ToList();
            if (missing.Count > 0)
            {
                throw new ImportFormatException($"file '{name}' is not a stock master: header '{Cut(csv.RecordText.ToString())}' lacks {string.Join('/', missing)}");
            }

            var table = new Table(columns, csv.FieldCount);
            while (Next(csv, name))
            {
                var fields = new string[csv.FieldCount];
                for (var i = 0; i < fields.Length; i++)
                {
                    fields[i] = csv.GetString(i);
                }

                table._rows.Add((csv.RecordNumber - 1, csv.RecordText.ToString(), fields));
            }

            return table;
        }

        private static bool Next(CsvReader csv, string name)
        {
            try
            {
                return csv.Read();
            }
            catch (InvalidDataException e)
            {
                throw new ImportFormatException($"file '{name}' is corrupt or truncated gzip data: {ImportInput.OneLine(e.Message)}", e);
            }
        }

        /// <summary>The column with this prefix and the greatest suffix (the newest dated snapshot), or the prefix itself.</summary>
        public string Newest(string prefix) =>
            _columns.Keys.Where(k => k.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).LastOrDefault() ?? prefix;

        public ParsedRecords<Stock> ReadStocks(Func<Func<string, string?>, StockText> map)
        {
            var stocks = new List<Stock>(_rows.Count);
            var rejected = new List<RejectedRecord>();
            foreach (var (line, payload, fields) in _rows)
            {
                var text = map(column => _columns.TryGetValue(column, out var i) && i < fields.Length ? fields[i] : null);

                // A row with more fields than the header is shifted; its columns cannot be trusted.
                if (fields.Length > _headerCount)
                {
                    rejected.Add(new RejectedRecord(line, payload, ReasonCodes.MissingField));
                }
                else if (text.ToStock(out var reason) is { } stock)
                {
                    stocks.Add(stock);
                    _origin[stock] = (line, payload);
                }
                else
                {
                    rejected.Add(new RejectedRecord(line, payload, reason!));
                }
            }

            return new ParsedRecords<Stock>(stocks, rejected);
        }

        public RejectedRecord Rejection(Stock stock, string reason)
        {
            var (line, payload) = _origin[stock];
            return new RejectedRecord(line, payload, reason);
        }

        private static string Cut(string s) => s.Length > 120 ? s[..120] + "…" : s;
    }
}
