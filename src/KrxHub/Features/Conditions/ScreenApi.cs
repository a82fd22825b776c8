using KrxHub.Features.Access;
using KrxHub.Core;
using KrxHub.Core.Conditions;
using KrxHub.Features.Live;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features.Conditions;

/// <summary>POST /api/screen: a condition over the whole market on a stored session, with the values that decided each match.</summary>
public sealed record ScreenRequest(string? Expression, string? Market, string? Date, string? Basis);

public static class ScreenApi
{
    public static IEndpointRouteBuilder MapScreen(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/screen", ScreenAsync).WithTags("Conditions")
            .WithSummary("Screen the listed universe with a condition on a stored session (default: the latest with bars); 400 names the column of a bad expression")
            .RequireAccess(Access.AccessSetup.ReadPolicy); // a query that writes nothing
        return app;
    }

    /// <summary>A bad expression: 400 naming <c>expression</c>, with the <c>column</c> as an extension (the dashboard puts a caret there).</summary>
    internal static ValidationProblem ConditionProblem(ConditionException e) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["expression"] = [e.Message] },
            title: "Invalid condition", detail: e.Message, extensions: new Dictionary<string, object?> { ["column"] = e.Column });

    private static async Task<Results<Ok<ScreenResultDto>, ValidationProblem, ProblemHttpResult>> ScreenAsync(
        ScreenRequest request, MarketStore store, KrxCalendar calendar, TimeProvider time, LiveBus bus, ConditionHistoryCache histories,
        CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Expression))
        {
            return ApiErrors.BadParameter("expression", "expression is required, e.g. close > sma(close, 20)");
        }

        if (!ApiErrors.TryMarket(request.Market, "market", out var market, out var problem) ||
            !ApiErrors.TryBasis(request.Basis, "basis", PriceBasis.Adjusted, out var basis, out problem))
        {
            return problem!;
        }

        DateOnly? date = null;
        if (!string.IsNullOrWhiteSpace(request.Date))
        {
            if (!ApiErrors.TryDate(request.Date, "date", default, out var d, out problem))
            {
                return problem!;
            }

            if (calendar.Covers(d) && !calendar.IsSession(d))
            {
                return ApiErrors.BadParameter("date", calendar.Day(d).DescribeClosed());
            }

            date = d;
        }

        ConditionNode condition;
        try
        {
            condition = ConditionParser.Parse(request.Expression);
        }
        catch (ConditionException e)
        {
            return ConditionProblem(e);
        }

        // Without a date, while live data flows, the screen runs on today's live bars (if any stock has traded today).
        var today = KrxCalendar.KstDate(time.GetUtcNow());
        var live = date is null && bus.SourceStatus is { Up: true, Source: { } source } ? new LiveBars(today, source, bus.LastTick, histories) : null;

        try
        {
            return TypedResults.Ok(await Screening.RunAsync(store, calendar, condition, request.Expression, market, date, basis, today, ct, live));
        }
        catch (ScreenException e)
        {
            return ApiErrors.NotFound("No data to screen", e.Message);
        }
    }
}
