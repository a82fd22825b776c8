using KrxHub.Core;
using KrxHub.Core.Live;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Live;

/// <summary>
/// The price of one stock with its provenance: live (the live source is up and this is its latest trade: price, change
/// and the day's totals) or stale (<see cref="Stale"/> true: the last stored minute or daily close, on the <see cref="Basis"/> it names, or the last live trade
/// seen before the source went down). <see cref="AsOf"/> is the time of that trade or the end of that bar.
/// </summary>
public sealed record QuoteDto(
    string Code,
    string Name,
    string Market,
    decimal Price,
    decimal? Change,
    decimal? ChangePct,
    long Volume,
    decimal? Value,
    DateTimeOffset AsOf,
    string Source,
    bool Stale,
    string? Basis = null);

public sealed record SessionDto(string Phase, DateTimeOffset At, string? NextPhase, DateTimeOffset? NextAt);

public sealed record BackplaneDto(long SentPayloads, long Received, long Dropped);

/// <summary>
/// What the live side of this node is doing. <see cref="FollowedCodes"/>: the codes the live source is asked for as seen
/// from this node (its clients' codes and those of every live remote node); <see cref="RemoteNodes"/>: how many other
/// nodes contribute codes (0 without the PostgreSQL backplane); <see cref="Recording"/>: the day's recording file on the node
/// that records, with the entries written and dropped.
/// </summary>
public sealed record LiveStatusDto(
    string Node,
    string? Source,
    bool SourceUp,
    bool RunsHere,
    SessionDto? Session,
    int Clients,
    long EventsIn,
    long CoalescedIn,
    long UnknownCodeEvents,
    long Delivered,
    long Coalesced,
    long Disconnected,
    int MaxQueued,
    double DispatchBusySeconds,
    BackplaneDto? Backplane,
    int FollowedCodes,
    int RemoteNodes,
    Replay.RecordingStatusDto? Recording = null);

public static class LiveApi
{
    private const int MaxQuoteCodes = 200;

    public static IEndpointRouteBuilder MapLive(this IEndpointRouteBuilder app)
    {
        app.Map("/ws", ConnectAsync).ExcludeFromDescription();
        var group = app.MapGroup("/api").WithTags("Live");
        group.MapGet("/quotes/{code}", GetQuoteAsync)
            .WithSummary("Latest price of one stock: live while the live source is up, else the last stored values with stale=true");
        group.MapGet("/quotes", GetQuotesAsync).WithCsv()
            .WithSummary("Latest prices of several stocks (?codes=005930,000660); stocks without any price are left out");
        group.MapGet("/live/status", GetStatus)
            .WithSummary("The live source (which node runs it, whether it is up), the session phase and the WebSocket counters of this node");
        return app;
    }

    /// <summary>/ws, within the connection caps per key and per address (429 with Retry-After over a cap).</summary>
    private static async Task ConnectAsync(
        HttpContext context, LiveSubscriptions subscriptions, LiveOptions options, Access.WebSocketCaps caps, ILoggerFactory loggers)
    {
        using var slot = caps.TryEnter(Access.AccessSetup.KeyId(context.User), context.Connection.RemoteIpAddress, out var refusal);
        if (slot is null)
        {
            context.Response.Headers.RetryAfter = "5";
            await TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many WebSocket connections", detail: refusal)
                .ExecuteAsync(context);
            return;
        }

        await LiveSocket.HandleAsync(context, subscriptions, options, loggers.CreateLogger("KrxHub.Live.WebSocket"));
    }

    private static async Task<Results<Ok<QuoteDto>, ValidationProblem, ProblemHttpResult>> GetQuoteAsync(
        LiveBus bus, StoredQuotes stored, string code, CancellationToken ct)
    {
        if (!ApiErrors.TryCode(code, "code", out var c, out var problem))
        {
            return problem!;
        }

        if (bus.FindStock(c) is null)
        {
            return ApiErrors.NotFound("Unknown stock", $"no stock with code {c} in the master");
        }

        var quotes = await QuotesAsync(bus, stored, [c], ct);
        return quotes.Count == 1
            ? TypedResults.Ok(quotes[0])
            : ApiErrors.NotFound("No price", $"{c} has no live trade and no stored daily or minute bar");
    }

    private static async Task<Results<Ok<IReadOnlyList<QuoteDto>>, ValidationProblem, ProblemHttpResult>> GetQuotesAsync(
        LiveBus bus, StoredQuotes stored, string? codes, CancellationToken ct)
    {
        var parts = (codes ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            return ApiErrors.BadParameter("codes", "give one or more codes separated by commas, e.g. ?codes=005930,000660");
        }

        if (parts.Length > MaxQuoteCodes)
        {
            return ApiErrors.BadParameter("codes", $"at most {MaxQuoteCodes} codes per request, got {parts.Length}");
        }

        var list = new List<StockCode>(parts.Length);
        foreach (var part in parts)
        {
            if (!ApiErrors.TryCode(part, "codes", out var c, out var problem))
            {
                return problem!;
            }

            if (!list.Contains(c))
            {
                list.Add(c);
            }
        }

        var unknown = list.Where(c => bus.FindStock(c) is null).ToList();
        if (unknown.Count > 0)
        {
            return ApiErrors.NotFound("Unknown stock", $"not in the stock master: {string.Join(", ", unknown)}");
        }

        return TypedResults.Ok(await QuotesAsync(bus, stored, list, ct));
    }

    /// <summary>Live first; when the source is down, the newer of the last stored values and the last live trade, marked stale.</summary>
    internal static async Task<IReadOnlyList<QuoteDto>> QuotesAsync(LiveBus bus, StoredQuotes stored, IReadOnlyList<StockCode> codes, CancellationToken ct)
    {
        var up = bus.SourceStatus.Up;
        var needStored = codes.Where(c => !up || bus.LastTick(c) is null).ToList();
        var storedQuotes = needStored.Count > 0 ? await stored.GetAsync(needStored, ct) : new Dictionary<StockCode, StoredQuote>();
        var result = new List<QuoteDto>(codes.Count);
        foreach (var code in codes)
        {
            var stock = bus.FindStock(code)!;
            var tick = bus.LastTick(code);
            var s = storedQuotes.GetValueOrDefault(code);
            if (tick is not null && (up || s is null || tick.Time > s.AsOf))
            {
                result.Add(new QuoteDto(code.Value, stock.Name, stock.Market.Name(), tick.Price, tick.Change, tick.ChangePct,
                    tick.AccVolume, tick.AccValue, tick.Time, tick.Source, !up));
            }
            else if (s is not null)
            {
                result.Add(new QuoteDto(code.Value, stock.Name, stock.Market.Name(), s.Price, s.Change, s.ChangePct, s.Volume, s.Value,
                    s.AsOf, s.Source, true, s.Basis?.Name()));
            }
        }

        return result;
    }

    private static Ok<LiveStatusDto> GetStatus(LiveBus bus, LiveSubscriptions subscriptions, IServiceProvider services)
    {
        var status = bus.SourceStatus;
        var stats = subscriptions.Stats;
        var session = bus.Session;
        var backplane = services.GetService<PostgresBackplane>();
        var local = subscriptions.SubscribedCodes().Codes;
        var remote = backplane?.RemoteCodes();
        var followed = remote is null ? local.Count : LiveSourceRunner.FollowedCodes(local, remote).Count;
        return TypedResults.Ok(new LiveStatusDto(status.Node, status.Source, status.Up, status.RunsHere,
            session is null ? null : new SessionDto(session.Phase.Name(), session.At, session.Next?.Phase.Name(), session.Next?.At),
            stats.Clients, stats.EventsIn, stats.CoalescedIn, stats.UnknownCodeEvents, stats.Delivered, stats.Coalesced, stats.Disconnected,
            stats.MaxQueued, stats.DispatchBusySeconds,
            backplane is null ? null : new BackplaneDto(backplane.SentPayloads, backplane.Received, backplane.Dropped),
            followed, remote?.Nodes ?? 0, services.GetService<Replay.EventRecorder>()?.Status));
    }
}
