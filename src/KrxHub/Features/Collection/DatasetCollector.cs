using KrxHub.Core.Validation;
using KrxHub.Pipeline;
using KrxHub.Sources.Import;
using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Collection;

/// <summary>What fetching one unit gave: items, upstream answers that could not be read, the range actually covered, requests sent.</summary>
public sealed record UnitFetch<T>(IReadOnlyList<T> Items, IReadOnlyList<RejectedRecord> Rejected, BackfillUnit Covered, int Requests);

/// <summary>
/// One dataset's part of a collection: how to fetch one unit (a stock over a date range, or a market scope on one
/// session) and how to promote a batch of fetched items through its pipeline as one run.
/// </summary>
public abstract class DatasetCollector<T>
{
    public abstract CollectDataset Dataset { get; }

    /// <summary>The source name stored with every row ("kiwoom", "krx-openapi").</summary>
    public abstract string Source { get; }

    /// <summary>The dataset name of this collector's rows in quarantine (daily_bars, investor_flows, minute_bars).</summary>
    public abstract string QuarantineDataset { get; }

    /// <summary>The basis part of the progress key: raw, adjusted@as-of, net-value …</summary>
    public abstract string ProgressBasis { get; }

    public abstract Task<UnitFetch<T>> FetchAsync(BackfillUnit unit, CancellationToken ct);

    public abstract Task<ImportSummary> PromoteAsync(string job, object parameters, IReadOnlyList<T> items, IReadOnlyList<RejectedRecord> rejected, CancellationToken ct);

    /// <summary>
    /// The reason code when <paramref name="error"/> concerns this unit only (its answer was malformed, or the source refused
    /// this stock): the unit is quarantined and the collection goes on. Null when the source itself is failing (network,
    /// 5xx, circuit open, credentials): the collection stops.
    /// </summary>
    public virtual string? UnitFailureReason(Exception error) => error switch
    {
        KiwoomPayloadException => ReasonCodes.BadPayload,
        KiwoomApiException => ReasonCodes.SourceRefused,
        _ => null,
    };
}
