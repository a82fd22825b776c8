using System.Runtime.CompilerServices;
using KrxHub.Core;
using KrxHub.Core.Indices;
using KrxHub.Core.Validation;

namespace KrxHub.Sources.Import;

/// <summary>What an import file holds.</summary>
public enum ImportContent
{
    /// <summary>Daily bars as text rows (<see cref="RawDailyRow"/>), for <see cref="DailyBarValidator"/>.</summary>
    DailyBars,

    /// <summary>Stock master records (KRX MDCSTAT01901).</summary>
    Stocks,

    /// <summary>Per-stock investor flows (KRX MDCSTAT02302/02303).</summary>
    InvestorFlows,

    /// <summary>Market-wide investor flows (KRX MDCSTAT02202/02203).</summary>
    MarketInvestorFlows,

    /// <summary>Daily index levels (KRX MDCSTAT00301, FinanceDataReader index CSV).</summary>
    IndexBars,

    /// <summary>The stocks of an index on one date (KRX MDCSTAT00601).</summary>
    IndexConstituents,

    /// <summary>A KRX delisting list (the bundled krx-delisted format): delisted stocks with exact delisting dates.</summary>
    Delistings,
}

/// <summary>A record that could not be turned into a typed value; <see cref="Reason"/> is a stable reason code.</summary>
public sealed record RejectedRecord(long Line, string Payload, string Reason)
{
    /// <summary>The stock the record is about, when known (an upstream answer for one stock).</summary>
    public string? Code { get; init; }

    /// <summary>The session the record is about, when known.</summary>
    public DateOnly? Date { get; init; }
}

/// <summary>Typed records parsed from a file, and those rejected with their reasons.</summary>
public sealed record ParsedRecords<T>(IReadOnlyList<T> Records, IReadOnlyList<RejectedRecord> Rejected);

/// <summary>Reason codes the importer adds to those of <see cref="ReasonCodes"/>.</summary>
public static class ImportReasonCodes
{
    /// <summary>The record names a market other than KOSPI, KOSDAQ (incl. KOSDAQ GLOBAL) or KONEX.</summary>
    public const string UnknownMarket = ReasonCodes.UnknownMarket;

    /// <summary>A later record of the same file has the same stock code; the record with the latest delisting date is kept.</summary>
    public const string DuplicateCode = ReasonCodes.DuplicateCode;
}

/// <summary>
/// An opened import file: its format and content are known and its header (or whole JSON body) has been
/// checked, so the first row can be trusted to come. Read it with the method matching <see cref="Content"/>.
/// CSV rows are streamed from disk on each enumeration; JSON bodies were parsed when the file was opened.
/// </summary>
public sealed class ImportFile
{
    private readonly CsvDailySource? _csv;
    private readonly IReadOnlyList<RawDailyRow>? _rows;
    private readonly ParsedRecords<Stock>? _stocks;
    private readonly ParsedRecords<InvestorFlow>? _flows;
    private readonly ParsedRecords<MarketInvestorFlow>? _marketFlows;
    private readonly ParsedRecords<IndexBar>? _indexBars;
    private readonly ParsedRecords<IndexConstituent>? _constituents;

    internal ImportFile(string path, ImportFormat format, ImportContent content, string source, DateTimeOffset fetchedAt,
        PriceBasis? basis, string? bld, CsvDailySource? csv = null, IReadOnlyList<RawDailyRow>? rows = null,
        ParsedRecords<Stock>? stocks = null, ParsedRecords<InvestorFlow>? flows = null, ParsedRecords<MarketInvestorFlow>? marketFlows = null,
        ParsedRecords<IndexBar>? indexBars = null, ParsedRecords<IndexConstituent>? constituents = null)
    {
        Path = path;
        Format = format;
        Content = content;
        Source = source;
        FetchedAt = fetchedAt;
        Basis = basis;
        Bld = bld;
        _csv = csv;
        _rows = rows;
        _stocks = stocks;
        _flows = flows;
        _marketFlows = marketFlows;
        _indexBars = indexBars;
        _constituents = constituents;
    }

    public string Path { get; }

    /// <summary>The format, resolved (never <see cref="ImportFormat.Auto"/>).</summary>
    public ImportFormat Format { get; }

    public ImportContent Content { get; }

    /// <summary>The KRX screen of a JSON body, e.g. "MDCSTAT01501"; null for CSV.</summary>
    public string? Bld { get; }

    /// <summary>Provenance label for the stored records (the option, or e.g. "pykrx-csv", "krx:MDCSTAT01501").</summary>
    public string Source { get; }

    public DateTimeOffset FetchedAt { get; }

    /// <summary>The price basis when the source fixes it (KRX MDCSTAT01501 and marcap are raw); null when the caller must say.</summary>
    public PriceBasis? Basis { get; }

    /// <summary>
    /// For a listing (<see cref="ImportContent.Stocks"/>): true when it lists every market (KOSPI, KOSDAQ and KONEX all
    /// appear, as in a KRX MDCSTAT01901 body fetched with mktId ALL), so a stock missing from it may have been delisted.
    /// </summary>
    public bool ListsAllMarkets { get; init; }

    /// <summary>The CSV header as read, for messages; null for JSON.</summary>
    public string? Header => _csv?.Header;

    /// <summary>Streams the daily rows. Each enumeration reads the file again.</summary>
    public IEnumerable<RawDailyRow> ReadDailyRows()
    {
        Expect(ImportContent.DailyBars);
        return _csv is not null ? _csv.Read() : _rows!;
    }

    public async IAsyncEnumerable<RawDailyRow> ReadDailyRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Expect(ImportContent.DailyBars);
        if (_csv is not null)
        {
            await foreach (var row in _csv.ReadAsync(cancellationToken))
            {
                yield return row;
            }

            yield break;
        }

        foreach (var row in _rows!)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return row;
        }
    }

    public ParsedRecords<Stock> ReadStocks()
    {
        Expect(ImportContent.Stocks);
        return _stocks!;
    }

    /// <summary>The delisted stocks of a delisting list, each with its delisting date.</summary>
    public ParsedRecords<Stock> ReadDelistings()
    {
        Expect(ImportContent.Delistings);
        return _stocks!;
    }

    public ParsedRecords<InvestorFlow> ReadInvestorFlows()
    {
        Expect(ImportContent.InvestorFlows);
        return _flows!;
    }

    public ParsedRecords<MarketInvestorFlow> ReadMarketInvestorFlows()
    {
        Expect(ImportContent.MarketInvestorFlows);
        return _marketFlows!;
    }

    public ParsedRecords<IndexBar> ReadIndexBars()
    {
        Expect(ImportContent.IndexBars);
        return _indexBars!;
    }

    public ParsedRecords<IndexConstituent> ReadIndexConstituents()
    {
        Expect(ImportContent.IndexConstituents);
        return _constituents!;
    }

    private void Expect(ImportContent content)
    {
        if (Content != content)
        {
            throw new InvalidOperationException($"'{System.IO.Path.GetFileName(Path)}' holds {Content}, not {content}");
        }
    }
}
