using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace KrxHub.Features.Csv;

/// <summary>Which columns a CSV answer carries: the JSON fields (camelCase, in order) or pykrx's Korean DataFrame columns.</summary>
public enum CsvColumns
{
    Json,
    Pykrx,
}

/// <summary>
/// What a request asks of a list endpoint: CSV when <c>?format=csv</c>, <c>?columns=pykrx</c>, or an <c>Accept</c> header that
/// prefers <c>text/csv</c> to JSON; <c>?format=json</c> wins over the header. <c>?bom=true</c> starts the body with a UTF-8 BOM for Excel.
/// </summary>
public sealed record CsvRequest(bool Csv, CsvColumns Columns, bool Bom)
{
    public const string MediaType = "text/csv";

    /// <summary>The request's form, or a 400 naming the bad parameter. <paramref name="pykrxAllowed"/>: the endpoint has a pykrx layout.</summary>
    public static bool TryRead(HttpRequest request, bool pykrxAllowed, out CsvRequest csv, out ValidationProblem? problem)
    {
        ArgumentNullException.ThrowIfNull(request);
        csv = new CsvRequest(false, CsvColumns.Json, false);
        problem = null;
        var format = request.Query["format"].ToString().Trim();
        var columns = request.Query["columns"].ToString().Trim();
        var bom = request.Query["bom"].ToString().Trim();
        if (format.Length > 0 && !format.Equals("csv", StringComparison.OrdinalIgnoreCase) && !format.Equals("json", StringComparison.OrdinalIgnoreCase))
        {
            problem = ApiErrors.BadParameter("format", $"unknown format '{format}'; use csv or json");
            return false;
        }

        var pykrx = columns.Equals("pykrx", StringComparison.OrdinalIgnoreCase);
        if (columns.Length > 0 && !pykrx && !columns.Equals("json", StringComparison.OrdinalIgnoreCase))
        {
            problem = ApiErrors.BadParameter("columns", $"unknown columns '{columns}'; use pykrx or json");
            return false;
        }

        if (pykrx && !pykrxAllowed)
        {
            problem = ApiErrors.BadParameter("columns", "columns=pykrx is offered on the daily-bar endpoints only (/api/stocks/{code}/bars, /api/bars/{date})");
            return false;
        }

        if (pykrx && format.Equals("json", StringComparison.OrdinalIgnoreCase))
        {
            problem = ApiErrors.BadParameter("columns", "columns=pykrx is a CSV layout; leave out format=json");
            return false;
        }

        var withBom = bom.Equals("true", StringComparison.OrdinalIgnoreCase) || bom == "1";
        if (bom.Length > 0 && !withBom && !bom.Equals("false", StringComparison.OrdinalIgnoreCase) && bom != "0")
        {
            problem = ApiErrors.BadParameter("bom", $"bom must be true or false, got '{bom}'");
            return false;
        }

        var wantsCsv = format.Length > 0 ? format.Equals("csv", StringComparison.OrdinalIgnoreCase) || pykrx : pykrx || PrefersCsv(request);
        csv = new CsvRequest(wantsCsv, pykrx ? CsvColumns.Pykrx : CsvColumns.Json, withBom);
        return true;
    }

    /// <summary>text/csv is acceptable (q &gt; 0) and weighted at least as high as any JSON the header accepts.</summary>
    private static bool PrefersCsv(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted))
        {
            return false;
        }

        double csv = 0, json = 0;
        foreach (var range in accepted)
        {
            var q = range.Quality ?? 1.0;
            if (range.MediaType.Equals(MediaType, StringComparison.OrdinalIgnoreCase))
            {
                csv = Math.Max(csv, q);
            }
            else if (range.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
                     range.MediaType.Equals("application/*", StringComparison.OrdinalIgnoreCase))
            {
                json = Math.Max(json, q);
            }
        }

        return csv > 0 && csv >= json;
    }
}
