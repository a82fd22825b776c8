using KrxHub.Core.Validation;

namespace KrxHub.Sources.Import;

/// <summary>
/// Where each daily-bar field sits in a CSV header, looked up by column name (case-insensitive) so that
/// column order does not matter. Percent or fractional change columns (pykrx change_pct/등락률, FDR Change)
/// are deliberately not mapped: <see cref="RawDailyRow.Change"/> is an amount in KRW.
/// </summary>
internal sealed class DailyCsvLayout
{
    private enum Field
    {
        Code,
        Date,
        Open,
        High,
        Low,
        Close,
        Volume,
        TradingValue,
        MarketCap,
        ListedShares,
        Change,
        ChangeCode,
        Name,
        Market,
    }

    private static readonly Field[] Required = [Field.Date, Field.Open, Field.High, Field.Low, Field.Close, Field.Volume];

    private static readonly (Field Field, string[] Names)[] Pykrx =
    [
        (Field.Code, ["code", "ticker", "티커", "종목코드"]),
        (Field.Date, ["date", "날짜", "일자"]),
        (Field.Open, ["open", "시가"]),
        (Field.High, ["high", "고가"]),
        (Field.Low, ["low", "저가"]),
        (Field.Close, ["close", "종가"]),
        (Field.Volume, ["volume", "거래량"]),
        (Field.TradingValue, ["value", "trading_value", "amount", "거래대금"]),
        (Field.MarketCap, ["market_cap", "marcap", "시가총액"]),
        (Field.ListedShares, ["listed_shares", "shares", "상장주식수"]),
    ];

    private static readonly (Field Field, string[] Names)[] Fdr =
    [
        (Field.Code, ["code", "symbol"]),
        (Field.Date, ["date"]),
        (Field.Open, ["open"]),
        (Field.High, ["high"]),
        (Field.Low, ["low"]),
        (Field.Close, ["close"]),
        (Field.Volume, ["volume"]),
        (Field.TradingValue, ["amount"]),
        (Field.MarketCap, ["marcap"]),
        (Field.ListedShares, ["stocks", "shares"]),
    ];

    private static readonly (Field Field, string[] Names)[] Marcap =
    [
        (Field.Code, ["code"]),
        (Field.Date, ["date"]),
        (Field.Open, ["open"]),
        (Field.High, ["high"]),
        (Field.Low, ["low"]),
        (Field.Close, ["close"]),
        (Field.Volume, ["volume"]),
        (Field.TradingValue, ["amount"]),
        (Field.MarketCap, ["marcap"]),
        (Field.ListedShares, ["stocks"]),
        (Field.Change, ["changes"]),
        (Field.ChangeCode, ["changecode"]),
        (Field.Name, ["name"]),
        (Field.Market, ["market"]),
    ];

    private readonly int[] _index;

    private DailyCsvLayout(int[] index, int columnCount, string? codeColumn)
    {
        _index = index;
        ColumnCount = columnCount;
        CodeColumn = codeColumn;
    }

    public int ColumnCount { get; }

    /// <summary>The header name of the code column, or null when the code must come from an option.</summary>
    public string? CodeColumn { get; }

    public static string Describe(ImportFormat format) => format switch
    {
        ImportFormat.PykrxCsv => "pykrx CSV",
        ImportFormat.FdrCsv => "FinanceDataReader CSV",
        ImportFormat.MarcapCsv => "marcap CSV",
        _ => format.Name(),
    };

    /// <summary>Guesses the CSV format from its header; null when no format fits.</summary>
    public static ImportFormat? Detect(IReadOnlyList<string> header)
    {
        var names = new HashSet<string>(header.Select(h => h.Trim()), StringComparer.OrdinalIgnoreCase);
        if (names.Contains("code") && (names.Contains("marcap") || names.Contains("changecode") || names.Contains("chagesratio") || names.Contains("stocks")))
        {
            return ImportFormat.MarcapCsv;
        }

        if (names.Contains("시가") || names.Contains("종가") || names.Contains("날짜"))
        {
            return ImportFormat.PykrxCsv;
        }

        string[] english = ["date", "open", "high", "low", "close", "volume"];
        if (!english.All(names.Contains))
        {
            return null;
        }

        // pykrx exports (and this project's bundled history) use lower-case names; FDR capitalises them.
        var exact = new HashSet<string>(header.Select(h => h.Trim()), StringComparer.Ordinal);
        return english.All(exact.Contains) ? ImportFormat.PykrxCsv : ImportFormat.FdrCsv;
    }

    /// <summary>Maps the header for <paramref name="format"/>; null and the missing columns when a required one is absent.</summary>
    public static DailyCsvLayout? Resolve(ImportFormat format, IReadOnlyList<string> header, out IReadOnlyList<string> missing)
    {
        var table = format switch
        {
            ImportFormat.PykrxCsv => Pykrx,
            ImportFormat.FdrCsv => Fdr,
            ImportFormat.MarcapCsv => Marcap,
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "not a CSV format"),
        };

        var index = new int[Enum.GetValues<Field>().Length];
        Array.Fill(index, -1);
        foreach (var (field, names) in table)
        {
            for (var i = 0; i < header.Count && index[(int)field] < 0; i++)
            {
                var h = header[i].Trim();
                if (names.Any(n => string.Equals(n, h, StringComparison.OrdinalIgnoreCase)))
                {
                    index[(int)field] = i;
                }
            }
        }

        // pandas writes an unnamed index column first: with pykrx that index is the date.
        if (format == ImportFormat.PykrxCsv && index[(int)Field.Date] < 0 && header.Count > 0 && header[0].Trim().Length == 0)
        {
            index[(int)Field.Date] = 0;
        }

        var required = format == ImportFormat.MarcapCsv ? Required.Prepend(Field.Code) : Required;
        missing = [.. required.Where(f => index[(int)f] < 0).Select(f => table.First(t => t.Field == f).Names[0])];
        if (missing.Count > 0)
        {
            return null;
        }

        var code = index[(int)Field.Code];
        return new DailyCsvLayout(index, header.Count, code >= 0 ? header[code].Trim() : null);
    }

    /// <summary>Per-enumeration state: the last code/date/name/market strings, reused while they repeat.</summary>
    public sealed class RowBuilder(DailyCsvLayout layout, string? fixedCode)
    {
        private string? _code;
        private string? _date;
        private string? _name;
        private string? _market;

        public RawDailyRow Build(CsvReader csv, long line)
        {
            var row = new RawDailyRow { Line = line, Payload = csv.RecordText.ToString(), Code = fixedCode };

            // Extra fields mean the columns are shifted (an unquoted comma): nothing in the row can be trusted,
            // so it is left empty and quarantined as missing fields. Too few fields keep the leading ones.
            if (csv.FieldCount > layout.ColumnCount)
            {
                return row;
            }

            var ix = layout._index;
            if (ix[(int)Field.Code] is var c and >= 0 && c < csv.FieldCount)
            {
                row.Code = csv.GetString(c, ref _code);
            }

            if (ix[(int)Field.Date] is var d and >= 0 && d < csv.FieldCount)
            {
                row.Date = csv.GetString(d, ref _date);
            }

            row.Open = Get(csv, ix[(int)Field.Open]);
            row.High = Get(csv, ix[(int)Field.High]);
            row.Low = Get(csv, ix[(int)Field.Low]);
            row.Close = Get(csv, ix[(int)Field.Close]);
            row.Volume = Get(csv, ix[(int)Field.Volume]);
            row.TradingValue = Get(csv, ix[(int)Field.TradingValue]);
            row.MarketCap = Get(csv, ix[(int)Field.MarketCap]);
            row.ListedShares = Get(csv, ix[(int)Field.ListedShares]);
            row.Change = Get(csv, ix[(int)Field.Change]);
            row.ChangeCode = NullIfEmpty(Get(csv, ix[(int)Field.ChangeCode]));
            if (ix[(int)Field.Name] is var n and >= 0 && n < csv.FieldCount)
            {
                row.Name = NullIfEmpty(csv.GetString(n, ref _name));
            }

            if (ix[(int)Field.Market] is var m and >= 0 && m < csv.FieldCount)
            {
                row.Market = NullIfEmpty(csv.GetString(m, ref _market));
            }

            return row;
        }

        private static string? Get(CsvReader csv, int index) => index >= 0 && index < csv.FieldCount ? csv.GetString(index) : null;

        private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
    }
}
