using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace KrxHub.Sources.Tests.Kiwoom;

/// <summary>
/// Condition search as <see cref="FakeKiwoomWebSocketServer"/> serves it, following broker-apis.md §1.7: CNSRLST answers
/// [seq, name] pairs; a CNSRREQ before CNSRLST on the same connection gets no answer (a violation is recorded);
/// search_type 0 pages <see cref="PageSize"/> rows at a time in the body (cont_yn/next_key); search_type 1 answers the
/// snapshot as jmcode "A"+code and counts against <see cref="RealtimeLimit"/> per connection; CNSRCLR succeeds only for a
/// seq registered on the same connection.
/// </summary>
internal sealed class FakeKiwoomConditions
{
    /// <summary>Kiwoom's refusal of a real-time registration over its count (the wording is an assumption: it is not documented).</summary>
    public const string LimitRefusal = "실시간 조건검색 개수 로그인 1개당 10건을 초과하였습니다";

    private readonly ConcurrentDictionary<string, (string Name, List<JsonObject> Rows)> _conditions = new(StringComparer.Ordinal);

    /// <summary>Rows per one-shot answer page.</summary>
    public int PageSize { get; set; } = 100;

    /// <summary>Real-time conditions one connection may hold (Kiwoom: 10 per login).</summary>
    public int RealtimeLimit { get; set; } = 10;

    /// <summary>Saves a condition as HTS would; <paramref name="rows"/> are FID-keyed rows (9001, 302, 10, 25, 11, 12, 13, 16, 17, 18).</summary>
    public void Add(string seq, string name, IEnumerable<JsonObject> rows) => _conditions[seq] = (name, [.. rows]);

    /// <summary>A one-shot row the way Kiwoom writes it: code with its A prefix, prices signed against the previous close.</summary>
    public static JsonObject Row(string code, string name, decimal price, decimal previousClose, long volume, decimal open, decimal high, decimal low)
    {
        var change = price - previousClose;
        string Sign(decimal d) => d > 0 ? "+" : d < 0 ? "-" : "";
        string Signed(decimal p) => Sign(p - previousClose) + p.ToString("0", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["9001"] = "A" + code,
            ["302"] = name,
            ["10"] = Signed(price),
            ["25"] = change > 0 ? "2" : change < 0 ? "5" : "3",
            ["11"] = Sign(change) + Math.Abs(change).ToString("0", CultureInfo.InvariantCulture),
            ["12"] = Sign(change) + Math.Abs(Math.Round(change / previousClose * 100m, 2)).ToString("0.00", CultureInfo.InvariantCulture),
            ["13"] = volume.ToString(CultureInfo.InvariantCulture),
            ["16"] = Signed(open),
            ["17"] = Signed(high),
            ["18"] = Signed(low),
        };
    }

    /// <summary>The answer to a CNSR* request of <paramref name="session"/>, or null when Kiwoom would not answer.</summary>
    public JsonObject? Answer(FakeKiwoomSession session, string trnm, JsonObject request)
    {
        session.ConditionRequests.Enqueue(request);
        if (trnm == "CNSRLST")
        {
            session.ConditionsListed = true;
            var list = new JsonArray();
            foreach (var (seq, condition) in _conditions.OrderBy(c => int.Parse(c.Key, CultureInfo.InvariantCulture)))
            {
                list.Add(new JsonArray(seq, condition.Name));
            }

            return new JsonObject { ["trnm"] = "CNSRLST", ["return_code"] = 0, ["return_msg"] = "", ["data"] = list };
        }

        var seqText = Text(request, "seq");
        if (trnm == "CNSRCLR")
        {
            var cleared = seqText is not null && session.RemoveRealtimeCondition(seqText);
            return new JsonObject
            {
                ["trnm"] = "CNSRCLR", ["seq"] = seqText, ["return_code"] = cleared ? 0 : 1,
                ["return_msg"] = cleared ? "" : "실시간 조건검색이 등록되지 않은 조건입니다",
            };
        }

        if (!session.ConditionsListed)
        {
            session.Violations.Enqueue("CNSRREQ before CNSRLST on this connection: " + request.ToJsonString());
            return null;
        }

        var searchType = Text(request, "search_type");
        if (seqText is null || searchType is not ("0" or "1") || Text(request, "stex_tp") is not ("K" or "N" or "A"))
        {
            return Refusal(seqText, "seq, search_type \"0\"/\"1\" and stex_tp K/N/A are required strings");
        }

        if (!_conditions.TryGetValue(seqText, out var found))
        {
            return Refusal(seqText, "조건검색식이 존재하지 않습니다");
        }

        return searchType == "0" ? Page(seqText, found.Rows, request) : Realtime(session, seqText, found.Rows);
    }

    private JsonObject Page(string seq, List<JsonObject> rows, JsonObject request)
    {
        var more = Text(request, "cont_yn");
        var key = Text(request, "next_key");
        if (more is not ("N" or "Y") || key is null)
        {
            return Refusal(seq, "cont_yn \"N\"/\"Y\" and next_key are required strings");
        }

        var offset = 0;
        if (more == "Y" && !int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
        {
            return Refusal(seq, $"next_key '{key}' is not one this server gave");
        }

        var page = rows.Skip(offset).Take(PageSize).Select(r => (JsonNode)r.DeepClone()).ToArray();
        var next = offset + page.Length;
        var continues = next < rows.Count;
        return new JsonObject
        {
            ["trnm"] = "CNSRREQ", ["seq"] = seq, ["cont_yn"] = continues ? "Y" : "N",
            ["next_key"] = continues ? next.ToString(CultureInfo.InvariantCulture) : "",
            ["return_code"] = 0, ["return_msg"] = "", ["data"] = new JsonArray(page),
        };
    }

    private JsonObject Realtime(FakeKiwoomSession session, string seq, List<JsonObject> rows)
    {
        if (!session.AddRealtimeCondition(seq, RealtimeLimit))
        {
            return Refusal(seq, LimitRefusal);
        }

        var snapshot = rows.Select(r => (JsonNode)new JsonObject { ["jmcode"] = (string)r["9001"]! }).ToArray();
        return new JsonObject { ["trnm"] = "CNSRREQ", ["seq"] = seq, ["return_code"] = 0, ["return_msg"] = "", ["data"] = new JsonArray(snapshot) };
    }

    /// <summary>A type 02 push: 841 seq, 9001 code, 843 I (편입) or D (이탈), 20 time, 907 매도/수 구분.</summary>
    public static JsonObject Push(string seq, string code, string insertOrDelete, string hhmmss) => new()
    {
        ["trnm"] = "REAL",
        ["data"] = new JsonArray(new JsonObject
        {
            ["type"] = "02",
            ["name"] = "조건검색",
            ["item"] = code,
            ["values"] = new JsonObject { ["841"] = seq, ["9001"] = code, ["843"] = insertOrDelete, ["20"] = hhmmss, ["907"] = "2" },
        }),
    };

    private static JsonObject Refusal(string? seq, string message) =>
        new() { ["trnm"] = "CNSRREQ", ["seq"] = seq, ["return_code"] = 1, ["return_msg"] = message };

    private static string? Text(JsonObject json, string name) => json[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
}
