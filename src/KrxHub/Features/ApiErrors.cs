using System.Globalization;
using KrxHub.Core;
using Microsoft.AspNetCore.Http.HttpResults;

namespace KrxHub.Features;

/// <summary>Query-parameter parsing that turns bad input into 400 ProblemDetails naming the parameter.</summary>
public static class ApiErrors
{
    public static ValidationProblem BadParameter(string name, string message) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [name] = [message] },
            title: $"Invalid parameter '{name}'",
            detail: message);

    public static ProblemHttpResult NotFound(string title, string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail);

    public static bool TryCode(string? text, string name, out StockCode code, out ValidationProblem? problem)
    {
        problem = null;
        if (StockCode.TryParse(text, out code, out var error))
        {
            return true;
        }

        problem = BadParameter(name, error);
        return false;
    }

    /// <summary>Dates are yyyy-MM-dd. An absent value yields <paramref name="fallback"/>.</summary>
    public static bool TryDate(string? text, string name, DateOnly fallback, out DateOnly date, out ValidationProblem? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            date = fallback;
            return true;
        }

        if (DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out date))
        {
            return true;
        }

        problem = BadParameter(name, $"'{text}' is not a date; use yyyy-MM-dd, e.g. 2024-01-02");
        return false;
    }

    /// <summary>The range of <c>?from=</c> and <c>?to=</c> (yyyy-MM-dd; an absent end is open); from after to is a 400 naming from.</summary>
    public static bool TryDateRange(string? from, string? to, out DateOnly first, out DateOnly last, out ValidationProblem? problem)
    {
        last = DateOnly.MaxValue;
        if (!TryDate(from, "from", DateOnly.MinValue, out first, out problem) || !TryDate(to, "to", DateOnly.MaxValue, out last, out problem))
        {
            return false;
        }

        if (first > last)
        {
            problem = BadParameter("from", $"from ({first:yyyy-MM-dd}) is after to ({last:yyyy-MM-dd})");
            return false;
        }

        return true;
    }

    public static bool TryMarket(string? text, string name, out Market? market, out ValidationProblem? problem)
    {
        problem = null;
        market = null;
        if (string.IsNullOrWhiteSpace(text) || text.Trim().Equals("ALL", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (Markets.TryParse(text, out var m))
        {
            market = m;
            return true;
        }

        problem = BadParameter(name, $"unknown market '{text}'; use KOSPI, KOSDAQ, KONEX or ALL");
        return false;
    }

    public static bool TryBasis(string? text, string name, PriceBasis fallback, out PriceBasis basis, out ValidationProblem? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            basis = fallback;
            return true;
        }

        if (PriceBases.TryParse(text, out basis))
        {
            return true;
        }

        problem = BadParameter(name, $"unknown price basis '{text}'; use raw or adjusted");
        return false;
    }

    public static bool TryRange(string? text, string name, int fallback, int min, int max, out int result, out ValidationProblem? problem)
    {
        problem = null;
        result = fallback;
        if (!string.IsNullOrWhiteSpace(text) && !int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out result))
        {
            problem = BadParameter(name, $"{name} must be a whole number, got '{text}'");
            return false;
        }

        if (result >= min && result <= max)
        {
            return true;
        }

        problem = BadParameter(name, $"{name} must be between {min} and {max}, got {result}");
        return false;
    }
}
