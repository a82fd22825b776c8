using System.Diagnostics;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Storage;

namespace KrxHub.Pipeline;

/// <summary>
/// Validate → promote for minute bars: unknown stocks, bars outside a session's trading hours, future bars, non-positive
/// prices, inconsistent OHLC, negative volume and conflicting repeats are quarantined; the rest is upserted in one
/// transaction. A poll holds a few hundred bars per stock, so no staging table is needed.
/// </summary>
public sealed class MinuteBarPipeline(MarketStore store, KrxCalendar calendar, TimeProvider time)
{
    public const string Dataset = "minute_bars";

    public async Task<ImportSummary> RunAsync(string job, object parameters, ParsedRecords<MinuteBar> parsed, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var stopwatch = Stopwatch.StartNew();
        var now = time.GetUtcNow();
        var known = (await store.GetAllStocksAsync(ct)).Select(s => s.Code).ToHashSet();
        var runId = await store.StartRunAsync(job, JsonSerializer.Serialize(parameters), now, ct);
        var byReason = new Dictionary<string, long>(StringComparer.Ordinal);
        var quarantine = new List<QuarantineEntry>();
        void Reject(string? code, DateOnly? date, IReadOnlyList<string> reasons, string payload, long line)
        {
            quarantine.Add(new QuarantineEntry(runId, Dataset, source, code, date, reasons, payload, line, now));
            foreach (var reason in reasons)
            {
                byReason[reason] = byReason.GetValueOrDefault(reason) + 1;
            }
        }

        foreach (var r in parsed.Rejected)
        {
            Reject(r.Code, r.Date, [r.Reason], r.Payload, r.Line);
        }

        var good = new Dictionary<(StockCode, DateTimeOffset), (MinuteBar Bar, long Line)>();
        var conflicts = new HashSet<(StockCode, DateTimeOffset)>();
        var duplicates = 0L;
        var line = 0L;
        foreach (var bar in parsed.Records)
        {
            line++;
            var reasons = Check(bar, known, now);
            if (reasons.Count > 0)
            {
                Reject(bar.Code.Value, KrxCalendar.KstDate(bar.Start), reasons, JsonSerializer.Serialize(bar), line);
                continue;
            }

            var key = (bar.Code, bar.Start);
            if (conflicts.Contains(key))
            {
                Reject(bar.Code.Value, KrxCalendar.KstDate(bar.Start), [ReasonCodes.ConflictingDuplicate], JsonSerializer.Serialize(bar), line);
            }
            else if (good.TryGetValue(key, out var earlier))
            {
                if (earlier.Bar with { FetchedAt = bar.FetchedAt } == bar)
                {
                    duplicates++;
                    continue;
                }

                // Two different bars for one minute: neither can be trusted.
                good.Remove(key);
                conflicts.Add(key);
                Reject(bar.Code.Value, KrxCalendar.KstDate(bar.Start), [ReasonCodes.ConflictingDuplicate], JsonSerializer.Serialize(earlier.Bar), earlier.Line);
                Reject(bar.Code.Value, KrxCalendar.KstDate(bar.Start), [ReasonCodes.ConflictingDuplicate], JsonSerializer.Serialize(bar), line);
            }
            else
            {
                good[key] = (bar, line);
            }
        }

        var read = parsed.Records.Count + parsed.Rejected.Count;
        try
        {
            if (quarantine.Count > 0)
            {
                await store.QuarantineAsync(quarantine, ct);
            }

            var promoted = await store.UpsertMinuteBarsAsync([.. good.Values.OrderBy(g => g.Line).Select(g => g.Bar)], ct);
            await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Succeeded, read, good.Count, quarantine.Count,
                promoted.Changed, time.GetUtcNow(), null), CancellationToken.None);
            return new ImportSummary(runId, Dataset, read, good.Count, quarantine.Count, duplicates, 0, promoted.Changed,
                promoted.Unchanged, byReason, stopwatch.Elapsed);
        }
        catch (Exception e)
        {
            await store.FinishRunAsync(runId, new RunOutcome(e is OperationCanceledException ? RunStatus.Abandoned : RunStatus.Failed,
                read, 0, quarantine.Count, 0, time.GetUtcNow(), e.Message.ReplaceLineEndings(" ")), CancellationToken.None);
            throw;
        }
    }

    private List<string> Check(MinuteBar bar, HashSet<StockCode> known, DateTimeOffset now)
    {
        var reasons = new List<string>();
        if (!known.Contains(bar.Code))
        {
            reasons.Add(ReasonCodes.UnknownCode);
        }

        var day = KrxCalendar.KstDate(bar.Start);
        if (bar.Start > now)
        {
            reasons.Add(ReasonCodes.FutureDate);
        }
        else if (calendar.Covers(day) && !calendar.IsSession(day))
        {
            reasons.Add(ReasonCodes.NotASession);
        }
        else if (calendar.Hours(day) is { } h && (bar.Start < h.Open || bar.Start > h.Close))
        {
            // The closing auction's single price is the bar that starts at the close.
            reasons.Add(ReasonCodes.OutsideSessionHours);
        }

        if (bar.Open <= 0 || bar.High <= 0 || bar.Low <= 0 || bar.Close <= 0)
        {
            reasons.Add(ReasonCodes.NonPositivePrice);
        }
        else if (bar.Low > bar.High || bar.Open > bar.High || bar.Close > bar.High || bar.Open < bar.Low || bar.Close < bar.Low)
        {
            reasons.Add(ReasonCodes.OhlcInconsistent);
        }

        if (bar.Volume < 0)
        {
            reasons.Add(ReasonCodes.NegativeVolume);
        }

        return reasons;
    }
}
