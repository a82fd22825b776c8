using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Csv;
using KrxHub.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace KrxHub.Features.Bars;

public static class BarsApi
{
    public static IEndpointRouteBuilder MapBars(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/stocks/{code}/bars", GetStockBarsAsync).WithTags("Bars").WithCsv(pykrx: true)
            .Produces<IReadOnlyList<BarDto>>(StatusCodes.Status200OK, "application/json")
            .WithSummary("Daily bars of one stock, ascending by date, on one price basis (default adjusted)");
        app.MapGet("/api/stocks/{code}/adjustments", GetAdjustmentsAsync).WithTags("Bars")
            .WithSummary("Corporate-action events found in the stock's raw bars (KRX base price ≠ previous close), and whether they are complete");
        app.MapGet("/api/bars/{date}", GetSessionBarsAsync).WithCsv(pykrx: true).WithTags("Bars")
            .WithSummary("All stocks on one session, optionally one market and one basis");
        return app;
    }

    private static async Task<Results<FileContentHttpResult, CsvResult, ValidationProblem, ProblemHttpResult>> GetStockBarsAsync(
        HttpContext context, MarketStore store, KrxCalendar calendar, BarsResponseCache cache, IOptions<JsonOptions> json, string code, string? from, string? to, string? basis)
    {
        if (!ApiErrors.TryCode(code, "code", out var c, out var problem) ||
            !ApiErrors.TryDate(from, "from", DateOnly.MinValue, out var f, out problem) ||
            !ApiErrors.TryDate(to, "to", DateOnly.MaxValue, out var t, out problem) ||
            !ApiErrors.TryBasis(basis, "basis", PriceBasis.Adjusted, out var b, out problem))
        {
            return problem!;
        }

        if (f > t)
        {
            return ApiErrors.BadParameter("from", $"from ({f:yyyy-MM-dd}) is after to ({t:yyyy-MM-dd})");
        }

        CsvRequest.TryRead(context.Request, true, out var csv, out _);
        if (csv.Csv)
        {
            return await StockBarsCsvAsync(context, store, calendar, c, f, t, b, csv);
        }

        var key = FormattableString.Invariant($"{c}|{f:yyyyMMdd}|{t:yyyyMMdd}|{b}");
        // Built without the request's token: concurrent requests for the same key share this one build.
        var cached = await cache.GetOrBuildAsync(key, async () =>
        {
            if (await store.GetStockAsync(c, CancellationToken.None) is null)
            {
                return null;
            }

            var answer = await AdjustedBars.ReadAsync(store, calendar, c, f, t, b, CancellationToken.None);
            var dtos = answer.Bars.Select(x => BarDto.From(x, answer.Adjustment)).ToList();
            return new CachedBars(JsonSerializer.SerializeToUtf8Bytes(dtos, json.Value.SerializerOptions), answer.Adjustment, answer.Coverage);
        });
        if (cached is null)
        {
            return ApiErrors.NotFound("Unknown stock", $"no stock with code {c} in the master");
        }

        // How the bars were made, for the whole response: "raw", "derived" (from raw bars and KRX base prices) or "imported".
        var response = context.Response;
        response.Headers["X-Adjustment"] = cached.Adjustment;
        if (cached.Coverage is { } coverage)
        {
            response.Headers["X-Factor-Coverage"] = AdjustedBars.CoverageHeader(coverage);
        }

        // A year of bars is ~72 KB of JSON: clients that accept gzip get the cached compressed form (a year: 72 KB → 5 KB).
        response.Headers.Vary = "Accept-Encoding";
        if (AcceptsGzip(context.Request))
        {
            response.Headers.ContentEncoding = "gzip";
            return TypedResults.Bytes(BarsResponseCache.Gzip(cached.Json), "application/json; charset=utf-8");
        }

        return TypedResults.Bytes(cached.Json, "application/json; charset=utf-8");
    }

    /// <summary>The CSV form, built uncached: the JSON fields, or pykrx's columns with the 등락률 of the first bar against the bar before it.</summary>
    private static async Task<Results<FileContentHttpResult, CsvResult, ValidationProblem, ProblemHttpResult>> StockBarsCsvAsync(
        HttpContext context, MarketStore store, KrxCalendar calendar, StockCode code, DateOnly from, DateOnly to, PriceBasis basis, CsvRequest csv)
    {
        var ct = context.RequestAborted;
        if (await store.GetStockAsync(code, ct) is null)
        {
            return ApiErrors.NotFound("Unknown stock", $"no stock with code {code} in the master");
        }

        var answer = await AdjustedBars.ReadAsync(store, calendar, code, from, to, basis, ct);
        context.Response.Headers["X-Adjustment"] = answer.Adjustment;
        if (csv.Columns != CsvColumns.Pykrx)
        {
            return CsvResult.Of(answer.Bars.Select(x => BarDto.From(x, answer.Adjustment)), csv.Bom);
        }

        decimal? previousClose = null;
        if (answer.Bars.Count > 0 && answer.Bars[0].Date > DateOnly.MinValue.AddDays(31))
        {
            // A month back reaches the previous session across any holiday run; a longer halt leaves the first 등락률 at 0.0.
            var first = answer.Bars[0].Date;
            var before = await AdjustedBars.ReadAsync(store, calendar, code, first.AddDays(-31), first.AddDays(-1), basis, ct);
            previousClose = before.Bars.Count > 0 ? before.Bars[^1].Close : null;
        }

        return basis == PriceBasis.Raw
            ? CsvResult.Of(PykrxBars.RawRows(answer.Bars, previousClose), csv.Bom)
            : CsvResult.Of(PykrxBars.AdjustedRows(answer.Bars, previousClose), csv.Bom);
    }

    private static async Task<Results<Ok<AdjustmentsDto>, ValidationProblem, ProblemHttpResult>> GetAdjustmentsAsync(
        MarketStore store, KrxCalendar calendar, string code, CancellationToken ct)
    {
        if (!ApiErrors.TryCode(code, "code", out var c, out var problem))
        {
            return problem!;
        }

        if (await store.GetStockAsync(c, ct) is null)
        {
            return ApiErrors.NotFound("Unknown stock", $"no stock with code {c} in the master");
        }

        var events = await store.GetAdjustmentEventsAsync(c, ct);
        var closes = await store.GetRawClosesFromAsync(c, DateOnly.MinValue, ct);
        var coverage = PriceAdjustment.Coverage(closes, calendar);
        return TypedResults.Ok(new AdjustmentsDto(c.Value, closes.Count, closes.Count == 0 ? null : closes[0].Date,
            closes.Count == 0 ? null : closes[^1].Date, coverage.Complete, coverage.UnknownSteps, coverage.FirstUnknown, coverage.Reason,
            [.. events.Select(e => new AdjustmentEventDto(e.Date, e.Factor, e.PreviousDate, e.PreviousClose, e.BasePrice, e.Source))]));
    }

    /// <summary>Accept-Encoding accepts gzip: listed with a weight above zero, or not listed and * is (RFC 9110 §12.5.3).</summary>
    internal static bool AcceptsGzip(HttpRequest request)
    {
        double? gzip = null, star = null;
        foreach (var value in request.Headers.AcceptEncoding)
        {
            foreach (var part in (value ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var parameters = part.Split(';', StringSplitOptions.TrimEntries);
                var weight = 1.0;
                foreach (var parameter in parameters.Skip(1))
                {
                    if (parameter.StartsWith("q=", StringComparison.OrdinalIgnoreCase) &&
                        double.TryParse(parameter.AsSpan(2), NumberStyles.Float, CultureInfo.InvariantCulture, out var q))
                    {
                        weight = q;
                    }
                }

                if (parameters[0].Equals("gzip", StringComparison.OrdinalIgnoreCase) || parameters[0].Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
                {
                    gzip = weight;
                }
                else if (parameters[0] == "*")
                {
                    star = weight;
                }
            }
        }

        return (gzip ?? star ?? 0) > 0;
    }

    private static async Task<Results<Ok<IReadOnlyList<MarketBarDto>>, CsvResult, ValidationProblem, ProblemHttpResult>> GetSessionBarsAsync(
        HttpContext context, MarketStore store, KrxCalendar calendar, string date, string? market, string? basis, CancellationToken ct)
    {
        if (!ApiErrors.TryDate(date, "date", default, out var d, out var problem) ||
            !ApiErrors.TryMarket(market, "market", out var m, out problem))
        {
            return problem!;
        }

        PriceBasis? b = null;
        if (!string.IsNullOrWhiteSpace(basis))
        {
            if (!ApiErrors.TryBasis(basis, "basis", PriceBasis.Adjusted, out var parsed, out problem))
            {
                return problem!;
            }

            b = parsed;
        }

        if (calendar.Covers(d) && !calendar.IsSession(d))
        {
            var previous = calendar.PreviousSession(d);
            return ApiErrors.NotFound("Not a session",
                calendar.Day(d).DescribeClosed() + (previous is { } p ? $"; the previous session is {p:yyyy-MM-dd}" : string.Empty));
        }

        var bars = await store.GetBarsOnDateAsync(d, m, b, ct);
        CsvRequest.TryRead(context.Request, true, out var csv, out _);
        if (csv.Columns == CsvColumns.Pykrx)
        {
            return CsvResult.Of(bars.Select(PykrxBars.TickerRow), csv.Bom);
        }

        var master = (await store.GetAllStocksAsync(ct)).ToDictionary(s => s.Code);
        return TypedResults.Ok<IReadOnlyList<MarketBarDto>>(bars.Select(x =>
        {
            master.TryGetValue(x.Code, out var s);
            return new MarketBarDto(x.Code.Value, s?.Name, s?.Market.Name(), x.Date, x.Open, x.High, x.Low, x.Close, x.Volume,
                x.TradingValue, x.MarketCap, x.ListedShares, x.NoTrade, x.Basis.Name(), x.Source, x.FetchedAt);
        }).ToList());
    }
}
