using KrxHub.Core;

namespace KrxHub.Sources.Import;

/// <summary>
/// What the file cannot say about itself. Options that a file does not need are refused rather than
/// ignored, so that <c>--date</c> on a dated CSV is not mistaken for a filter: leave an option null
/// unless the user gave it.
/// </summary>
public sealed record ImportOptions
{
    public ImportFormat Format { get; init; } = ImportFormat.Auto;

    /// <summary>The stock of a single-stock file (pykrx/FDR per-stock CSV, KRX 01701/02302/02303 bodies).</summary>
    public StockCode? Code { get; init; }

    /// <summary>The session of a file without dates: a KRX MDCSTAT01501 body, or a pykrx by-ticker CSV.</summary>
    public DateOnly? Date { get; init; }

    /// <summary>The index of an index file (bars or constituents), which never names it.</summary>
    public Core.Indices.KrxIndex? Index { get; init; }

    /// <summary>The market of a market-wide investor body (MDCSTAT02202/02203).</summary>
    public Market? Market { get; init; }

    /// <summary>Volume or value, for investor bodies.</summary>
    public InvestorMeasure? Measure { get; init; }

    /// <summary>Net, buy or sell, for investor bodies; null means net.</summary>
    public InvestorSide? Side { get; init; }

    /// <summary>When the data was fetched; defaults to the body's CURRENT_DATETIME, else the file's last write time.</summary>
    public DateTimeOffset? FetchedAt { get; init; }

    /// <summary>Provenance label stored with each record; defaults to the format (and bld for KRX JSON).</summary>
    public string? Source { get; init; }
}
