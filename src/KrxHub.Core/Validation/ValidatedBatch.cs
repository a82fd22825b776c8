namespace KrxHub.Core.Validation;

/// <summary>A raw row after validation: either a bar ready to promote, or the reasons it was rejected.</summary>
public sealed class ValidatedRow(RawDailyRow raw)
{
    public RawDailyRow Raw { get; } = raw;

    public DailyBar? Bar { get; internal set; }

    private List<string>? _reasons;

    /// <summary>Why the row is rejected; made on first use, since most rows never need one.</summary>
    public List<string> Reasons => _reasons ??= [];

    internal bool HasReasons => _reasons is { Count: > 0 };

    /// <summary>Base price implied by the source's own change field (close − change), when given.</summary>
    internal decimal? SourceBasePrice { get; set; }

    internal Market Market { get; set; }

    public bool Accepted => !HasReasons && Bar is not null;

    /// <summary>True when this row repeats an earlier identical row of the batch and is dropped.</summary>
    public bool DroppedAsDuplicate { get; internal set; }
}

/// <summary>The last stored raw close of a stock before a batch starts, for the price-limit check.</summary>
public readonly record struct PreviousClose(DateOnly Date, decimal Close);

public sealed class ValidatedBatch
{
    public required IReadOnlyList<ValidatedRow> Rows { get; init; }

    public IEnumerable<DailyBar> Accepted => Rows.Where(r => r.Accepted && !r.DroppedAsDuplicate).Select(r => r.Bar!);

    public IEnumerable<ValidatedRow> Rejected => Rows.Where(r => !r.Accepted);

    public int AcceptedCount => Rows.Count(r => r.Accepted && !r.DroppedAsDuplicate);

    public int DuplicatesDropped => Rows.Count(r => r.DroppedAsDuplicate);

    public int NoTradeCount => Rows.Count(r => r.Accepted && !r.DroppedAsDuplicate && r.Bar!.NoTrade);

    /// <summary>Rejected rows per reason code; a row with two reasons counts under both.</summary>
    public IReadOnlyDictionary<string, int> QuarantinedByReason =>
        Rejected.SelectMany(r => r.Reasons.Distinct()).GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}
