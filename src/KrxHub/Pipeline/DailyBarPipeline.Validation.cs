using KrxHub.Core;
using KrxHub.Core.Validation;

namespace KrxHub.Pipeline;

/// <summary>The producer side of <see cref="DailyBarPipeline"/>: a chunk's rows validated, and duplicates across chunks sorted out.</summary>
public sealed partial class DailyBarPipeline
{
    /// <summary>A validated chunk on its way to staging.</summary>
    private sealed record ValidatedChunk(
        int Read,
        List<DailyBar> ToStage,
        List<ValidatedRow> Rejected,
        HashSet<(StockCode, DateOnly)> ConflictsWithStaged,
        int DuplicatesDropped);

    /// <summary>Producer side: validation and the state it needs (previous closes, keys seen). Touches no counters.</summary>
    private async Task<ValidatedChunk> ValidateChunkAsync(long runId, RawDailyRow[] chunk, PriceBasis basis, string source,
        DateTimeOffset fetchedAt, DailyBarValidator validator, RunState state, CancellationToken ct)
    {
        var parsed = validator.ParseRows(chunk, basis, source, fetchedAt);

        // Previous raw closes: from earlier chunks of this run when we have them, else from the store.
        var previous = new Dictionary<StockCode, PreviousClose>();
        var lookup = new Dictionary<StockCode, DateOnly>();
        foreach (var (code, first) in DailyBarValidator.FirstDatePerCode(parsed))
        {
            if (state.LastClose.TryGetValue(code, out var p) && p.Date < first)
            {
                previous[code] = p;
            }
            else
            {
                lookup[code] = first;
            }
        }

        if (lookup.Count > 0)
        {
            foreach (var (code, p) in await store.GetLastRawClosesBeforeAsync(lookup, ct))
            {
                previous[code] = p;
            }
        }

        return SortOut(chunk.Length, validator.ApplyBatchRules(parsed, previous).Rows, state);
    }

    /// <summary>
    /// Duplicates across chunks: an identical repeat is dropped; a conflicting one keeps both versions out. Optimised from
    /// its first call, like the CSV reading and row parsing: a CLI import is over before tiered compilation catches up.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static ValidatedChunk SortOut(int read, IReadOnlyList<ValidatedRow> rows, RunState state)
    {
        var toStage = new List<DailyBar>(read);
        var rejected = new List<ValidatedRow>();
        var conflictsWithStaged = new HashSet<(StockCode, DateOnly)>();
        var duplicates = 0;
        foreach (var row in rows)
        {
            if (row.DroppedAsDuplicate)
            {
                duplicates++;
                continue;
            }

            if (!row.Accepted)
            {
                rejected.Add(row);
                continue;
            }

            var bar = row.Bar!;
            var key = (bar.Code, bar.Date);
            var hash = ValueHash(bar);
            var seenDates = state.SeenDates(bar.Code);
            if (seenDates.TryGetValue(bar.Date, out var seenHash))
            {
                if (seenHash == hash)
                {
                    duplicates++;
                }
                else
                {
                    row.Reasons.Add(ReasonCodes.ConflictingDuplicate);
                    rejected.Add(row);
                    conflictsWithStaged.Add(key);
                }

                continue;
            }

            seenDates[bar.Date] = hash;
            toStage.Add(bar);
            if (row.Raw.Name is { Length: > 0 } name && (!state.Described.TryGetValue(bar.Code, out var seen) || seen.Date <= bar.Date))
            {
                state.Described[bar.Code] = new Description(bar.Date, name.Trim(), row.Raw.Market?.Trim(), bar.ListedShares);
            }
            if (bar.Basis == PriceBasis.Raw &&
                (!state.LastClose.TryGetValue(bar.Code, out var last) || last.Date < bar.Date))
            {
                state.LastClose[bar.Code] = new PreviousClose(bar.Date, bar.Close);
            }
        }

        return new ValidatedChunk(read, toStage, rejected, conflictsWithStaged, duplicates);
    }
}
