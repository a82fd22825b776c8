using KrxHub.Core;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using KrxHub.Features.Csv;

namespace KrxHub.Features.Minutes;

/// <summary>A stored 1-minute bar: <see cref="Time"/> is the minute's start in Korean time (+09:00).</summary>
public sealed record MinuteBarDto(
    string Code,
    DateTimeOffset Time,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    long Volume,
    decimal? TradingValue,
    string Source,
    DateTimeOffset FetchedAt)
{
    public static MinuteBarDto From(MinuteBar b) =>
        new(b.Code.Value, b.Start, b.Open, b.High, b.Low, b.Close, b.Volume, b.TradingValue, b.Source, b.FetchedAt);
}

/// <summary>GET /api/stocks/{code}/minutes: the stored 1-minute bars of one stock for a day or a range of at most 31 days.</summary>
public static class MinutesApi
{
    /// <summary>The longest range one request may ask for, in calendar days (from and to included).</summary>
    public const int MaxDays = 31;

    public static IEndpointRouteBuilder MapMinutes(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/stocks/{code}/minutes", GetAsync).WithCsv().WithTags("Bars")
            .WithSummary("1-minute bars of one stock, oldest first, for ?date= or ?from=&to= (at most 31 days), KST, with source");
        return app;
    }

    private static async Task<Results<Ok<IReadOnlyList<MinuteBarDto>>, ValidationProblem, ProblemHttpResult>> GetAsync(
        MarketStore store, string code, string? date, string? from, string? to, CancellationToken ct)
    {
        if (!ApiErrors.TryCode(code, "code", out var c, out var problem) ||
            !TryDays(date, from, to, out var first, out var last, out problem))
        {
            return problem!;
        }

        if (await store.GetStockAsync(c, ct) is null)
        {
            return ApiErrors.NotFound("Unknown stock", $"no stock with code {c} in the master");
        }

        var bars = await store.GetMinuteBarsAsync(c, KstMidnight(first), KstMidnight(last.AddDays(1)), ct);
        return TypedResults.Ok<IReadOnlyList<MinuteBarDto>>([.. bars.Select(MinuteBarDto.From)]);
    }

    /// <summary>Either date, or from and to (both, from ≤ to, at most <see cref="MaxDays"/> days).</summary>
    private static bool TryDays(string? date, string? from, string? to, out DateOnly first, out DateOnly last, out ValidationProblem? problem)
    {
        first = last = default;
        var hasRange = !string.IsNullOrWhiteSpace(from) || !string.IsNullOrWhiteSpace(to);
        if (!string.IsNullOrWhiteSpace(date))
        {
            if (hasRange)
            {
                problem = ApiErrors.BadParameter("date", "give either date or from and to, not both");
                return false;
            }

            if (!ApiErrors.TryDate(date, "date", default, out first, out problem))
            {
                return false;
            }

            last = first;
            return true;
        }

        if (!hasRange)
        {
            problem = ApiErrors.BadParameter("date", "date (yyyy-MM-dd) or from and to are required");
            return false;
        }

        if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
        {
            var missing = string.IsNullOrWhiteSpace(from) ? "from" : "to";
            problem = ApiErrors.BadParameter(missing, $"{missing} is required with {(missing == "from" ? "to" : "from")} (at most {MaxDays} days)");
            return false;
        }

        if (!ApiErrors.TryDate(from, "from", default, out first, out problem) || !ApiErrors.TryDate(to, "to", default, out last, out problem))
        {
            return false;
        }

        if (first > last)
        {
            problem = ApiErrors.BadParameter("from", $"from ({first:yyyy-MM-dd}) is after to ({last:yyyy-MM-dd})");
            return false;
        }

        if (last.DayNumber - first.DayNumber + 1 > MaxDays)
        {
            problem = ApiErrors.BadParameter("to", $"from {first:yyyy-MM-dd} to {last:yyyy-MM-dd} is {last.DayNumber - first.DayNumber + 1} days; at most {MaxDays} per request");
            return false;
        }

        return true;
    }

    private static DateTimeOffset KstMidnight(DateOnly day) => new(day.ToDateTime(TimeOnly.MinValue), KrxCalendar.KstOffset);
}
