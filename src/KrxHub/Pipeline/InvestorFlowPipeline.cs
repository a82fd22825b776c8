using System.Diagnostics;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Storage;

namespace KrxHub.Pipeline;

/// <summary>
/// Validate → promote for investor flows (and, through <see cref="RunCoreAsync"/>, index bars and constituents): unknown stocks, non-sessions and future dates are quarantined,
/// the rest is promoted in one transaction. Investor bodies are small (one stock or one market, a date
/// range), so they need no staging table.
/// </summary>
public sealed class InvestorFlowPipeline(MarketStore store, KrxCalendar calendar, TimeProvider time)
{
    public async Task<ImportSummary> RunAsync(string job, object parameters, ParsedRecords<InvestorFlow> parsed, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        var known = (await store.GetAllStocksAsync(ct)).Select(s => s.Code).ToHashSet();
        return await RunCoreAsync(job, parameters, parsed.Records, parsed.Rejected, source,
            f => (f.Code.Value, f.Date, known.Contains(f.Code)), f => JsonSerializer.Serialize(f),
            store.PromoteInvestorFlowsAsync, "investor_flows", ct);
    }

    public Task<ImportSummary> RunMarketAsync(string job, object parameters, ParsedRecords<MarketInvestorFlow> parsed, string source, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(parsed);
        return RunCoreAsync(job, parameters, parsed.Records, parsed.Rejected, source,
            f => (f.Market.Name(), f.Date, true), f => JsonSerializer.Serialize(f),
            store.PromoteMarketInvestorFlowsAsync, "market_investor_flows", ct);
    }

    internal async Task<ImportSummary> RunCoreAsync<T>(string job, object parameters, IReadOnlyList<T> records, IReadOnlyList<RejectedRecord> rejectedByParser,
        string source, Func<T, (string Key, DateOnly Date, bool Known)> describe, Func<T, string> payload,
        Func<IReadOnlyList<T>, CancellationToken, Task<PromotionResult>> promote, string dataset, CancellationToken ct)
    {
        var stopwatch = Stopwatch.StartNew();
        var now = time.GetUtcNow();
        var today = KrxCalendar.KstDate(now);
        var runId = await store.StartRunAsync(job, JsonSerializer.Serialize(parameters), now, ct);
        var byReason = new Dictionary<string, long>(StringComparer.Ordinal);
        var quarantine = new List<QuarantineEntry>();
        foreach (var r in rejectedByParser)
        {
            quarantine.Add(new QuarantineEntry(runId, dataset, source, r.Code, r.Date, [r.Reason], r.Payload, r.Line, now));
            byReason[r.Reason] = byReason.GetValueOrDefault(r.Reason) + 1;
        }

        var good = new List<T>(records.Count);
        var line = 0L;
        foreach (var record in records)
        {
            line++;
            var (key, date, known) = describe(record);
            var reasons = new List<string>();
            if (!known)
            {
                reasons.Add(ReasonCodes.UnknownCode);
            }

            if (date > today)
            {
                reasons.Add(ReasonCodes.FutureDate);
            }
            else if (calendar.Covers(date) && !calendar.IsSession(date))
            {
                reasons.Add(ReasonCodes.NotASession);
            }

            if (reasons.Count == 0)
            {
                good.Add(record);
                continue;
            }

            quarantine.Add(new QuarantineEntry(runId, dataset, source, key, date, reasons, payload(record), line, now));
            foreach (var reason in reasons)
            {
                byReason[reason] = byReason.GetValueOrDefault(reason) + 1;
            }
        }

        try
        {
            if (quarantine.Count > 0)
            {
                await store.QuarantineAsync(quarantine, ct);
            }

            var promoted = await promote(good, ct);
            var read = records.Count + rejectedByParser.Count;
            await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Succeeded, read, good.Count, quarantine.Count,
                promoted.Changed, time.GetUtcNow(), null), CancellationToken.None);
            return new ImportSummary(runId, dataset, read, good.Count, quarantine.Count, 0, 0, promoted.Changed,
                promoted.Unchanged, byReason, stopwatch.Elapsed);
        }
        catch (Exception e)
        {
            await store.FinishRunAsync(runId, new RunOutcome(RunStatus.Failed, records.Count, 0, quarantine.Count, 0,
                time.GetUtcNow(), e.Message.ReplaceLineEndings(" ")), CancellationToken.None);
            throw;
        }
    }
}
