namespace KrxHub.Pipeline;

/// <summary>What one pipeline run did. Printed by the CLI and stored as a collection run.</summary>
public sealed record ImportSummary(
    long RunId,
    string Dataset,
    long RowsRead,
    long Accepted,
    long Quarantined,
    long DuplicatesDropped,
    long NoTradeBars,
    long Changed,
    long Unchanged,
    IReadOnlyDictionary<string, long> QuarantinedByReason,
    TimeSpan Elapsed)
{
    /// <summary>Master entries this import updated (name, market, listed shares from price files; records from listings).</summary>
    public int StocksUpdated { get; init; }

    /// <summary>Remarks a collection adds, e.g. a list that stopped at the page cap.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>Accepted adjusted bars kept as <see cref="Core.Validation.ReasonCodes.AdjustmentRounding"/> (high/low widened; not an error).</summary>
    public long Repaired { get; init; }

    /// <summary>Corporate-action events the affected stocks' raw bars now reveal (null when the run promoted no raw bar).</summary>
    public int? AdjustmentEvents { get; init; }
}
