using System.Text.Json;
using KrxHub.Core;

namespace KrxHub.Sources.Kiwoom;

/// <summary>One field of one row that could not be read; the row is left out of <see cref="KiwoomRows{T}.Rows"/>.</summary>
public sealed record KiwoomRowError(int Row, string Field, string? Value, string Problem)
{
    public override string ToString() => $"row {Row}: {Field} {Problem} ({(Value is null ? "absent" : "'" + Value + "'")})";
}

/// <summary>
/// The rows of a (possibly continued) query: those that parsed, and the reasons others did not. A malformed value
/// never throws; <see cref="Truncated"/> says the page cap stopped the query while the server had more.
/// </summary>
public sealed record KiwoomRows<T>(IReadOnlyList<T> Rows, IReadOnlyList<KiwoomRowError> Errors, int Pages, bool Truncated);

/// <summary>Reads the string fields of one response row through <see cref="KiwoomValue"/>, collecting problems instead of throwing.</summary>
internal sealed class KiwoomRowReader(JsonElement row, int index, List<KiwoomRowError> errors)
{
    public int Index { get; } = index;

    public bool Failed { get; private set; }

    public bool IsObject => row.ValueKind == JsonValueKind.Object;

    /// <summary>The field's text: a JSON string as is, a number as written; null when absent or null.</summary>
    public string? Text(string field) => Text(row, field);

    public static string? Text(JsonElement row, string field)
    {
        if (row.ValueKind != JsonValueKind.Object || !row.TryGetProperty(field, out var v))
        {
            return null;
        }

        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Null or JsonValueKind.Undefined => null,
            _ => v.GetRawText(),
        };
    }

    public string? RequiredText(string field)
    {
        var s = Text(field);
        if (string.IsNullOrWhiteSpace(s))
        {
            Fail(field, s, "is missing");
            return null;
        }

        return s.Trim();
    }

    public decimal Price(string field) => Required(field, KiwoomValue.TryPrice(Text(field), out var v), v);

    public decimal? OptionalPrice(string field) => Optional(field, KiwoomValue.TryPrice(Text(field), out var v), v);

    public decimal? OptionalSigned(string field) => Optional(field, KiwoomValue.TrySigned(Text(field), out var v), v);

    public long? OptionalLong(string field) => Optional(field, KiwoomValue.TryLong(Text(field), out var v), v);

    public long Count(string field) => Required(field, KiwoomValue.TryCount(Text(field), out var v), v);

    public long? OptionalCount(string field) => Optional(field, KiwoomValue.TryCount(Text(field), out var v), v);

    public decimal? OptionalChange(string field, string signField) =>
        Optional(field, KiwoomValue.TryChange(Text(field), Text(signField), out var v), v);

    public DateOnly Date(string field) => Required(field, KiwoomValue.TryDate(Text(field), out var v), v);

    public DateOnly? OptionalDate(string field) => Optional(field, KiwoomValue.TryDate(Text(field), out var v), v);

    public DateTimeOffset KstTime(string field) => Required(field, KiwoomValue.TryKstTime(Text(field), out var v), v);

    public StockCode Code(string field)
    {
        var s = Text(field);
        if (string.IsNullOrWhiteSpace(s))
        {
            Fail(field, s, "is missing");
            return default;
        }

        if (!StockCode.TryParse(s, out var code, out var error))
        {
            Fail(field, s, error);
        }

        return code;
    }

    public void Fail(string field, string? value, string problem)
    {
        Failed = true;
        errors.Add(new KiwoomRowError(Index, field, value, problem));
    }

    private T Required<T>(string field, FieldStatus status, T value)
    {
        switch (status)
        {
            case FieldStatus.Missing:
                Fail(field, Text(field), "is missing");
                break;
            case FieldStatus.Invalid:
                Fail(field, Text(field), "is not a valid value");
                break;
        }

        return value;
    }

    private T? Optional<T>(string field, FieldStatus status, T value)
        where T : struct
    {
        switch (status)
        {
            case FieldStatus.Ok:
                return value;
            case FieldStatus.Invalid:
                Fail(field, Text(field), "is not a valid value");
                return null;
            default:
                return null;
        }
    }
}
