using Microsoft.AspNetCore.Http.Metadata;

namespace KrxHub.Features.Csv;

/// <summary>
/// The CSV form of a list endpoint, added with one call: <c>.WithCsv()</c> when the endpoint answers a JSON array,
/// <c>.WithCsv&lt;T&gt;(x =&gt; x.Rows)</c> when the array is a field of its answer. Errors stay ProblemDetails JSON.
/// </summary>
public static class CsvEndpoints
{
    public static RouteHandlerBuilder WithCsv(this RouteHandlerBuilder builder, bool pykrx = false) =>
        builder.WithCsv<object>(value => value, pykrx);

    public static RouteHandlerBuilder WithCsv<T>(this RouteHandlerBuilder builder, Func<T, object?> rows, bool pykrx = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(rows);
        builder
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                if (!CsvRequest.TryRead(http.Request, pykrx, out var csv, out var problem))
                {
                    return problem;
                }

                http.Response.Headers.Append("Vary", "Accept");
                var result = await next(context);
                if (!csv.Csv)
                {
                    return result;
                }

                // The handler's own CSV (a pykrx layout) and every error pass through as they are.
                var inner = result is INestedHttpResult nested ? nested.Result : result;
                return inner is IStatusCodeHttpResult { StatusCode: StatusCodes.Status200OK } and IValueHttpResult { Value: T value } &&
                       CsvResult.OfList(rows(value), csv.Bom) is { } table
                    ? table
                    : result;
            })
            // The OpenAPI document lists text/csv beside the JSON of the 200 answer (same type: the CSV rows are its list's fields).
            .Finally(endpoint =>
            {
                var ok = endpoint.Metadata.OfType<IProducesResponseTypeMetadata>().LastOrDefault(m => m.StatusCode == StatusCodes.Status200OK);
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(StatusCodes.Status200OK, ok?.Type,
                    [.. ok?.ContentTypes ?? ["application/json"], CsvRequest.MediaType]));
            });
        return builder;
    }
}
