using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace KrxHub.Features.Csv;

/// <summary>
/// Rows written as CSV while they are enumerated: the header is the row type's JSON field names in JSON order, each cell the
/// value as JSON writes it (strings unquoted, null empty, nested values as JSON text), so a CSV cell and the JSON field of the
/// same request hold the same text. Lines end in \n (as pandas' to_csv writes them); UTF-8, a BOM only when asked.
/// The body goes out in chunks of about 32 KB as the rows come, never as one string.
/// </summary>
public sealed class CsvResult : IResult
{
    private const int ChunkChars = 32 * 1024;
    private static readonly UTF8Encoding Utf8 = new(false);

    private readonly Type _rowType;
    private readonly IAsyncEnumerable<object?> _rows;
    private readonly bool _bom;

    private CsvResult(Type rowType, IAsyncEnumerable<object?> rows, bool bom)
    {
        _rowType = rowType;
        _rows = rows;
        _bom = bom;
    }

    public static CsvResult Of<T>(IEnumerable<T> rows, bool bom) => new(typeof(T), Async(rows), bom);

    public static CsvResult Of<T>(IAsyncEnumerable<T> rows, bool bom) => new(typeof(T), Boxed(rows), bom);

    /// <summary>A list whose row type is read from its <see cref="IEnumerable{T}"/>; null when <paramref name="value"/> is not a list.</summary>
    public static CsvResult? OfList(object? value, bool bom)
    {
        if (value is null or string || value is not IEnumerable rows)
        {
            return null;
        }

        var rowType = value.GetType().GetInterfaces().Append(value.GetType())
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];
        return rowType is null ? null : new CsvResult(rowType, Async(rows.Cast<object?>()), bom);
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var ct = httpContext.RequestAborted;
        var options = httpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var columns = options.GetTypeInfo(_rowType).Properties.Where(p => p.Get is not null).ToList();
        if (columns.Count == 0)
        {
            throw new InvalidOperationException($"{_rowType.Name} has no fields to write as CSV columns; pass rows of a record type");
        }

        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = CsvRequest.MediaType + "; charset=utf-8";
        var chunk = new StringBuilder(ChunkChars + 1024);
        if (_bom)
        {
            chunk.Append('\uFEFF');
        }

        for (var i = 0; i < columns.Count; i++)
        {
            AppendField(chunk, columns[i].Name, i);
        }

        chunk.Append('\n');
        await foreach (var row in _rows.WithCancellation(ct))
        {
            for (var i = 0; i < columns.Count; i++)
            {
                AppendField(chunk, Cell(columns[i].Get!(row!), options), i);
            }

            chunk.Append('\n');
            if (chunk.Length >= ChunkChars)
            {
                await FlushAsync(response, chunk, ct);
            }
        }

        await FlushAsync(response, chunk, ct);
    }

    /// <summary>A value as its JSON field reads: strings without quotes, null as an empty cell, objects and arrays as JSON text.</summary>
    internal static string Cell(object? value, JsonSerializerOptions options) => value switch
    {
        null => string.Empty,
        string s => s,
        bool b => b ? "true" : "false",
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString(CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? string.Empty,
        JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => string.Empty,
        JsonElement e => e.GetRawText(),
        _ => Unquoted(JsonSerializer.Serialize(value, value.GetType(), options)),
    };

    private static string Unquoted(string json) =>
        json.StartsWith('"') ? JsonSerializer.Deserialize<string>(json) ?? string.Empty : json == "null" ? string.Empty : json;

    /// <summary>RFC 4180 quoting: a field with a comma, quote or line break is quoted, its quotes doubled.</summary>
    private static void AppendField(StringBuilder line, string text, int index)
    {
        if (index > 0)
        {
            line.Append(',');
        }

        if (text.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(text);
            return;
        }

        line.Append('"').Append(text.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }

    private static async Task FlushAsync(HttpResponse response, StringBuilder chunk, CancellationToken ct)
    {
        if (chunk.Length == 0)
        {
            return;
        }

        var bytes = Utf8.GetBytes(chunk.ToString());
        chunk.Clear();
        await response.Body.WriteAsync(bytes, ct);
    }

#pragma warning disable CS1998 // an iterator over an in-memory list: async only to share the one write loop
    private static async IAsyncEnumerable<object?> Async(IEnumerable rows)
    {
        foreach (var row in rows)
        {
            yield return row;
        }
    }
#pragma warning restore CS1998

    private static async IAsyncEnumerable<object?> Boxed<T>(IAsyncEnumerable<T> rows)
    {
        await foreach (var row in rows)
        {
            yield return row;
        }
    }
}
