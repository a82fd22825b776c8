using System.Globalization;
using KrxHub.Core;
using KrxHub.Features.Live;
using KrxHub.Sources.Kiwoom;
using KrxHub.Storage;

namespace KrxHub.Features.Conditions;

/// <summary>One of Kiwoom's HTS conditions as the hub knows it: listed by CNSRLST, and its row once it was activated.</summary>
public sealed record KiwoomConditionView(string Seq, string Name, StoredCondition? Row)
{
    public bool Realtime => Row is { Active: true };
}

/// <summary>The request of a Kiwoom condition that does not exist, or a Kiwoom name that clashes with a saved condition's.</summary>
public sealed class KiwoomConditionNotFoundException(string message) : Exception(message);

/// <summary>
/// Kiwoom's server-side conditions in the hub: listing and one-shot searches through the live feed's WebSocket, real-time
/// activation kept in the store (a row of origin "kiwoom", registered again after a restart), and the feed's snapshots and
/// I/D pushes turned into the same entries, exits and outbox alerts as user conditions (<see cref="MarketStore.ApplyConditionOutcomeAsync"/>,
/// with the dedupe window). Runs where the live source runs: the feed exists only there.
/// </summary>
public sealed class KiwoomConditions(KiwoomLiveFeed? feed, MarketStore store, AlertSettings alerts, LiveBus bus, TimeProvider time, ILogger<KiwoomConditions> logger)
    : BackgroundService
{
    /// <summary>The label of the entries and exits Kiwoom pushed (the user conditions' live source label).</summary>
    public const string Live = "kiwoom";

    /// <summary>CNSRLST is sent at most this often; in between the last list answers.</summary>
    public static readonly TimeSpan ListFreshFor = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _listLock = new(1, 1);
    private IReadOnlyList<KiwoomServerCondition>? _listed;
    private DateTimeOffset _listedAt;

    /// <summary>The feed, or why there is none on this hub.</summary>
    public KiwoomLiveFeed Feed => feed ?? throw new KiwoomLiveException("this hub's live source is not Kiwoom's WebSocket (a live feed was injected)");

    /// <summary>Kiwoom's conditions: CNSRLST's list while connected (else the last one seen), with every stored row.</summary>
    public async Task<IReadOnlyList<KiwoomConditionView>> ListAsync(CancellationToken ct)
    {
        var listed = await ListedAsync(ct) ?? [];
        var rows = (await store.GetKiwoomConditionsAsync(ct)).ToDictionary(r => r.KiwoomSeq!, StringComparer.Ordinal);
        var names = listed.ToDictionary(c => c.Seq, c => c.Name, StringComparer.Ordinal);
        return [.. names.Keys.Union(rows.Keys)
            .OrderBy(s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : long.MaxValue).ThenBy(s => s, StringComparer.Ordinal)
            .Select(s => new KiwoomConditionView(s, names.GetValueOrDefault(s) ?? rows[s].Name, rows.GetValueOrDefault(s)))];
    }

    /// <summary>A one-shot search (CNSRREQ search_type 0) of a listed condition.</summary>
    public async Task<(KiwoomServerCondition Condition, KiwoomConditionSearch Search)> SearchAsync(string seq, CancellationToken ct)
    {
        var condition = await FindAsync(seq, ct);
        return (condition, await Feed.SearchConditionAsync(seq, ct));
    }

    /// <summary>
    /// Activates a listed condition for real time with <paramref name="channels"/>; returns its row and Kiwoom's matching set.
    /// The row is saved active first: the snapshot the registration signals is applied only to an active row.
    /// </summary>
    public async Task<(StoredCondition Row, IReadOnlyList<StockCode> Matching)> StartAsync(string seq, IReadOnlyList<string> channels, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(channels);
        var condition = await FindAsync(seq, ct);
        var before = (await store.GetKiwoomConditionsAsync(ct)).FirstOrDefault(r => r.KiwoomSeq == seq);
        var name = RowName(condition);
        var row = await store.SaveKiwoomConditionAsync(seq, name, true, channels, ct)
            ?? throw new KiwoomConditionNotFoundException($"a condition named '{name}' exists; rename it to activate Kiwoom condition {seq}");
        try
        {
            return (row, await Feed.StartRealtimeConditionAsync(seq, ct));
        }
        catch
        {
            await store.SaveKiwoomConditionAsync(seq, name, before?.Active ?? false, before?.Channels, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Stops a condition's real-time pushes (CNSRCLR); its row, matching set and history stay. Null when it has no row.</summary>
    public async Task<StoredCondition?> StopAsync(string seq, CancellationToken ct)
    {
        if ((await store.GetKiwoomConditionsAsync(ct)).FirstOrDefault(r => r.KiwoomSeq == seq) is not { } row)
        {
            return null;
        }

        await Feed.StopRealtimeConditionAsync(seq, ct);
        return await store.SaveKiwoomConditionAsync(seq, row.Name, false, null, ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (feed is null)
        {
            return;
        }

        var active = (await store.GetKiwoomConditionsAsync(stoppingToken)).Where(r => r.Active).Select(r => r.KiwoomSeq!).ToList();
        try
        {
            feed.WantRealtimeConditions(active);
        }
        catch (KiwoomConditionLimitException e)
        {
            logger.LogError("Kiwoom conditions: none registered again: {Error}", e.Message);
        }

        await foreach (var signal in feed.ConditionSignals.ReadAllAsync(stoppingToken))
        {
            try
            {
                await ApplyAsync(signal, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError("Kiwoom condition {Seq}: {Kind} not recorded: {Error}", signal.Seq, signal.Kind, e.Message);
            }
        }
    }

    /// <summary>A snapshot against the stored matching set, or one I/D push: entries and exits with their alerts, in one transaction.</summary>
    private async Task ApplyAsync(KiwoomConditionSignal signal, CancellationToken ct)
    {
        if ((await store.GetKiwoomConditionsAsync(ct)).FirstOrDefault(r => r.KiwoomSeq == signal.Seq) is not { Active: true } row)
        {
            logger.LogDebug("Kiwoom condition {Seq}: a {Kind} of a condition not active here, ignored", signal.Seq, signal.Kind);
            return;
        }

        var previous = await store.GetConditionMatchesAsync(row.Id, ct);
        var now = signal.Codes.ToHashSet();
        List<(StockCode Code, string Kind)> changes = signal.Kind switch
        {
            KiwoomConditionSignalKind.Snapshot => [.. now.Where(c => !previous.Contains(c)).Select(c => (c, "entry")), .. previous.Where(c => !now.Contains(c)).Select(c => (c, "exit"))],
            KiwoomConditionSignalKind.Entry => [.. now.Where(c => !previous.Contains(c)).Select(c => (c, "entry"))],
            _ => [.. now.Where(previous.Contains).Select(c => (c, "exit"))],
        };
        if (changes.Count == 0)
        {
            return;
        }

        var session = KrxCalendar.KstDate(signal.At);
        var kst = signal.At.ToOffset(KiwoomValue.Kst);
        var events = new List<(StockCode, string, string, string, string)>();
        var closes = await store.GetLastClosesBeforeAsync(changes.ToDictionary(c => c.Code, _ => session.AddDays(1)), null, ct);
        foreach (var (code, kind) in changes)
        {
            // Not in the master: an ETF, ETN or ELW, all of which trade on the KOSPI market (stex_tp K is KRX).
            var stock = await store.GetStockAsync(code, ct) ?? new Stock(code, code.Value, Market.Kospi, null);
            var tick = bus.LastTick(code);
            var price = tick?.Price ?? (closes.TryGetValue(code, out var close) ? close.Close : 0m);
            var values = new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["kiwoom_seq"] = signal.Seq,
                [signal.Kind == KiwoomConditionSignalKind.Snapshot ? "snapshot_at" : "time"] = kst.ToString("HH:mm:ss", CultureInfo.InvariantCulture),
            };
            events.Add(ConditionRunner.Event(row, stock, kind, session, Live, price, tick?.ChangePct, values));
        }

        var channels = row.Channels.Count == 0 ? ["log"] : row.Channels;
        var written = await store.ApplyConditionOutcomeAsync(new ConditionOutcome(row.Id, session, Live, events), channels, alerts.DedupeWindow, time.GetUtcNow(), ct);
        logger.LogInformation("Kiwoom condition {Name}: {Entries} entries, {Exits} exits ({Kind})", row.Name,
            written.Count(e => e.Event == "entry"), written.Count(e => e.Event == "exit"), signal.Kind);
    }

    private async Task<KiwoomServerCondition> FindAsync(string seq, CancellationToken ct)
    {
        var listed = await ListedAsync(ct) ?? throw new KiwoomLiveException("not connected: the list of Kiwoom conditions needs the logged-in WebSocket");
        return listed.FirstOrDefault(c => c.Seq == seq) ?? throw new KiwoomConditionNotFoundException(
            $"Kiwoom lists no condition {seq}; it has {string.Join(", ", listed.Select(c => $"{c.Seq} '{c.Name}'"))}");
    }

    /// <summary>CNSRLST while connected and the last list is older than <see cref="ListFreshFor"/>; null when never listed.</summary>
    private async Task<IReadOnlyList<KiwoomServerCondition>?> ListedAsync(CancellationToken ct)
    {
        await _listLock.WaitAsync(ct);
        try
        {
            if (feed is { Connected: true } && (_listed is null || time.GetUtcNow() - _listedAt >= ListFreshFor))
            {
                try
                {
                    _listed = await feed.ListConditionsAsync(ct);
                    _listedAt = time.GetUtcNow();
                }
                catch (KiwoomException e)
                {
                    // A listing never fails a request that can answer without it (GET /api/conditions); the last list answers.
                    logger.LogWarning("Kiwoom conditions: CNSRLST failed, the last list answers ({At}): {Error}", _listed is null ? "none" : _listedAt, e.Message);
                }
            }

            return _listed;
        }
        finally
        {
            _listLock.Release();
        }
    }

    /// <summary>The row's name, which alerts show: Kiwoom's name and seq (names of saved conditions are unique).</summary>
    private static string RowName(KiwoomServerCondition condition) => $"{condition.Name} (키움 #{condition.Seq})";

    public override void Dispose()
    {
        _listLock.Dispose();
        base.Dispose();
    }
}
