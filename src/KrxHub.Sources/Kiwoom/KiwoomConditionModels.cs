using System.Text.Json;
using KrxHub.Core;

namespace KrxHub.Sources.Kiwoom;

/// <summary>A condition saved in HTS 영웅문4 (conditions are made there, not through the API), as CNSRLST lists it.</summary>
public sealed record KiwoomServerCondition(string Seq, string Name);

/// <summary>
/// One stock of a one-shot search (ka10172), from FIDs 9001 종목코드, 302 종목명, 10 현재가, 25 전일대비기호, 11 전일대비,
/// 12 등락율, 13 누적거래량, 16 시가, 17 고가, 18 저가. A value Kiwoom left out or wrote unreadably is null.
/// </summary>
public sealed record KiwoomConditionRow(
    StockCode Code,
    string? Name,
    decimal? Price,
    decimal? Change,
    decimal? ChangePct,
    long? AccVolume,
    decimal? Open,
    decimal? High,
    decimal? Low)
{
    // The FIDs of a row, in the order of a positional (array) row.
    private static readonly string[] PositionalFids = ["9001", "302", "10", "25", "11", "12", "13", "16", "17", "18"];

    /// <summary>A row given as an object keyed by FID or as an array in FID order; null when it has no readable code.</summary>
    internal static KiwoomConditionRow? Parse(JsonElement row)
    {
        string? Field(string fid)
        {
            if (row.ValueKind == JsonValueKind.Object)
            {
                return KiwoomLiveProtocol.Text(row, fid);
            }

            var i = Array.IndexOf(PositionalFids, fid);
            return row.ValueKind == JsonValueKind.Array && i < row.GetArrayLength() && row[i].ValueKind == JsonValueKind.String ? row[i].GetString() : null;
        }

        if (KiwoomConditionCodes.Parse(Field("9001")) is not { } code)
        {
            return null;
        }

        decimal? Price(string fid) => KiwoomValue.TryPrice(Field(fid), out var p) == FieldStatus.Ok ? p : null;
        return new KiwoomConditionRow(
            code,
            Field("302")?.Trim(),
            Price("10"),
            KiwoomValue.TryChange(Field("11"), Field("25"), out var change) == FieldStatus.Ok ? change : null,
            KiwoomValue.TrySigned(Field("12"), out var pct) == FieldStatus.Ok ? pct : null,
            KiwoomValue.TryCount(Field("13"), out var volume) == FieldStatus.Ok ? volume : null,
            Price("16"),
            Price("17"),
            Price("18"));
    }
}

/// <summary>What a one-shot search returned: every page's rows, and whether the page cap cut it short.</summary>
public sealed record KiwoomConditionSearch(string Seq, IReadOnlyList<KiwoomConditionRow> Rows, int Pages, bool Truncated);

public enum KiwoomConditionSignalKind
{
    /// <summary>The whole matching set, as the answer to a real-time CNSRREQ (on registration and after every reconnect).</summary>
    Snapshot,

    /// <summary>A type 02 push with 843 = I (편입): the stock entered.</summary>
    Entry,

    /// <summary>A type 02 push with 843 = D (이탈): the stock left.</summary>
    Exit,
}

/// <summary>A change of a real-time condition's matching set. <see cref="At"/> is Kiwoom's time (FID 20) on a push, the clock's on a snapshot.</summary>
public sealed record KiwoomConditionSignal(string Seq, KiwoomConditionSignalKind Kind, IReadOnlyList<StockCode> Codes, DateTimeOffset At);

/// <summary>Codes as condition search writes them: "A005930" (A 주식, J ELW, Q ETN before the 6-digit code) or plain "005930".</summary>
internal static class KiwoomConditionCodes
{
    public static StockCode? Parse(string? text)
    {
        var s = text?.Trim();
        if (s is { Length: 7 } && s[0] is 'A' or 'J' or 'Q')
        {
            s = s[1..];
        }

        return StockCode.TryParse(s, out var code, out _) ? code : null;
    }
}

/// <summary>
/// Kiwoom allows 10 real-time conditions per login ("실시간 조건검색 개수 로그인 1개당 10건", broker-apis.md §1.8). Raised before
/// an 11th registration is sent, and when Kiwoom itself refuses a registration for exceeding its count.
/// </summary>
public sealed class KiwoomConditionLimitException : KiwoomException
{
    public KiwoomConditionLimitException()
    {
    }

    public KiwoomConditionLimitException(string message)
        : base(message)
    {
    }

    public KiwoomConditionLimitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
