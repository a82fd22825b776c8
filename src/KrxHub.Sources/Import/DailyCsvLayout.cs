using KrxHub.Core;
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
    private static readonly Field[] RequiredWithoutDate = [Field.Open, Field.High, Field.Low, Field.Close, Field.Volume];

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

    private DailyCsvLayout(int[] index, int columnCount, string? codeColumn, string? dateColumn)
    {
        _index = index;
        ColumnCount = columnCount;
        CodeColumn = codeColumn;
        DateColumn = dateColumn;
    }

    public int ColumnCount { get; }

    /// <summary>The header name of the code column, or null when the code must come from an option.</summary>
    public string? CodeColumn { get; }

    /// <summary>The header name of the date column, or null when the date must come from an option (pykrx by-ticker exports).</summary>
    public string? DateColumn { get; }

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

    /// <summary>
    /// Maps the header for <paramref name="format"/>; null and the missing columns when a required one is absent.
    /// The date column may be absent when <paramref name="dateGiven"/> (one session, all stocks).
    /// </summary>
    public static DailyCsvLayout? Resolve(ImportFormat format, IReadOnlyList<string> header, bool dateGiven, out IReadOnlyList<string> missing)
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
        if (format == ImportFormat.PykrxCsv && !dateGiven && index[(int)Field.Date] < 0 && header.Count > 0 && header[0].Trim().Length == 0)
        {
            index[(int)Field.Date] = 0;
        }

        var required = dateGiven && index[(int)Field.Date] < 0 ? RequiredWithoutDate : Required;
        if (format == ImportFormat.MarcapCsv)
        {
            required = [Field.Code, .. required];
        }

        missing = [.. required.Where(f => index[(int)f] < 0).Select(f => table.First(t => t.Field == f).Names[0])];
        if (missing.Count > 0)
        {
            return null;
        }

        var code = index[(int)Field.Code];
        var date = index[(int)Field.Date];
        return new DailyCsvLayout(index, header.Count, code >= 0 ? header[code].Trim() : null, date >= 0 ? header[date].Trim() : null);
    }

    /// <summary>Builds the raw row of the current CSV record.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public RawDailyRow Build(CsvReader csv, long line, string? fixedCode, string? fixedDate)
    {
        var payload = csv.RecordText.ToString();
        var row = new RawDailyRow { Line = line, Payload = payload, Code = fixedCode, Date = fixedDate };

        // Extra fields mean the columns are shifted (an unquoted comma): nothing in the row can be trusted,
        // so it is left empty and quarantined as missing fields. Too few fields keep the leading ones.
        if (csv.FieldCount > ColumnCount)
        {
            return row;
        }

        row.Code = Pooled(csv, Field.Code) ?? fixedCode;
        row.Date = Pooled(csv, Field.Date) ?? fixedDate;
        row.OpenText = Slice(csv, Field.Open, payload);
        row.HighText = Slice(csv, Field.High, payload);
        row.LowText = Slice(csv, Field.Low, payload);
        row.CloseText = Slice(csv, Field.Close, payload);
        row.VolumeText = Slice(csv, Field.Volume, payload);
        row.TradingValueText = Slice(csv, Field.TradingValue, payload);
        row.MarketCapText = Slice(csv, Field.MarketCap, payload);
        row.ListedSharesText = Slice(csv, Field.ListedShares, payload);
        row.ChangeText = Slice(csv, Field.Change, payload);
        row.ChangeCode = NullIfEmpty(Pooled(csv, Field.ChangeCode));
        row.Name = NullIfEmpty(Pooled(csv, Field.Name));
        row.Market = NullIfEmpty(Pooled(csv, Field.Market));
        return row;
    }

    // Codes, dates, names and markets repeat row after row and come from the reader's pool of recent strings. Numbers
    // rarely repeat, and looking them up in the pool cost more than allocating them (the pool was 14% of validation).
    private string? Pooled(CsvReader csv, Field field)
    {
        var index = _index[(int)field];
        return index >= 0 && index < csv.FieldCount ? csv.GetPooledString(index) : null;
    }

    // The numbers are slices of the payload: no string of their own (RawDailyRow).
    private TextSlice Slice(CsvReader csv, Field field, string payload)
    {
        var index = _index[(int)field];
        return index >= 0 && index < csv.FieldCount ? csv.GetSlice(index, payload) : default;
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
