using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Live;

namespace KrxHub.Features.Live;

/// <summary>Error codes of <c>{"op":"error"}</c> messages.</summary>
internal static class LiveErrors
{
    public const string BadJson = "bad_json";
    public const string BadMessage = "bad_message";
    public const string UnknownOp = "unknown_op";
    public const string UnknownChannel = "unknown_channel";
    public const string BadCode = "bad_code";
    public const string UnknownCode = "unknown_code";
    public const string BadMarket = "bad_market";
    public const string BadMetric = "bad_metric";
    public const string BadN = "bad_n";
    public const string TooManySubscriptions = "too_many_subscriptions";
    public const string MessageTooLarge = "message_too_large";
}

/// <summary>A request that could not be understood: the error to send back.</summary>
internal sealed class LiveRequestException(string code, string message, JsonElement? id) : Exception(message)
{
    public string Code { get; } = code;

    public JsonElement? Id { get; } = id;
}

/// <summary>
/// One client message of /ws: <c>{"op":"subscribe"|"unsubscribe"|"ping", "channel":…, "codes":[…], "market":…,
/// "metric":…, "n":…, "id":…}</c>. <c>id</c> is optional and any JSON value; replies echo it.
/// </summary>
internal sealed record LiveRequest(string Op, LiveChannel? Channel, IReadOnlyList<StockCode>? Codes, RankingKey? Ranking, JsonElement? Id)
{
    public const int MaxRankingRows = 100;
    public const int DefaultRankingRows = 20;

    /// <summary>Parses and checks one message (codes are checked for form here, against the master by the bus).</summary>
    public static LiveRequest Parse(ReadOnlySpan<byte> utf8)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 8 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new LiveRequestException(LiveErrors.BadJson, $"not valid JSON: {e.Message}", null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new LiveRequestException(LiveErrors.BadMessage, "a message must be a JSON object such as {\"op\":\"subscribe\",\"channel\":\"ticks\",\"codes\":[\"005930\"]}", null);
            }

            JsonElement? id = root.TryGetProperty("id", out var idElement) ? idElement.Clone() : null;
            var op = String(root, "op", id) ?? throw new LiveRequestException(LiveErrors.BadMessage, "missing \"op\"; use subscribe, unsubscribe or ping", id);
            switch (op)
            {
                case "ping":
                    return new LiveRequest(op, null, null, null, id);
                case "subscribe" or "unsubscribe":
                    break;
                default:
                    throw new LiveRequestException(LiveErrors.UnknownOp, $"unknown op '{op}'; use subscribe, unsubscribe or ping", id);
            }

            var channelText = String(root, "channel", id) ?? throw new LiveRequestException(LiveErrors.BadMessage, $"{op} needs \"channel\": ticks, book, rankings, session, indices or alerts", id);
            LiveChannel channel = channelText switch
            {
                "ticks" => LiveChannel.Ticks,
                "book" => LiveChannel.Book,
                "rankings" => LiveChannel.Rankings,
                "session" => LiveChannel.Session,
                "indices" => LiveChannel.Indices,
                "alerts" => LiveChannel.Alerts,
                _ => throw new LiveRequestException(LiveErrors.UnknownChannel, $"unknown channel '{channelText}'; use ticks, book, rankings, session, indices or alerts", id),
            };

            return channel switch
            {
                LiveChannel.Ticks or LiveChannel.Book => new LiveRequest(op, channel, ParseCodes(root, op, channelText, id), null, id),
                LiveChannel.Rankings => new LiveRequest(op, channel, null, ParseRanking(root, op, id), id),
                _ => new LiveRequest(op, channel, null, null, id),
            };
        }
    }

    private static string? String(JsonElement root, string name, JsonElement? id)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new LiveRequestException(LiveErrors.BadMessage, $"\"{name}\" must be a string, got {value.ValueKind.ToString().ToLowerInvariant()}", id);
    }

    /// <summary>Codes of a ticks/book request. Unsubscribe without codes means every code of the channel (null).</summary>
    private static List<StockCode>? ParseCodes(JsonElement root, string op, string channel, JsonElement? id)
    {
        if (!root.TryGetProperty("codes", out var codes) || codes.ValueKind == JsonValueKind.Null)
        {
            return op == "unsubscribe"
                ? null
                : throw new LiveRequestException(LiveErrors.BadMessage, $"subscribe to {channel} needs \"codes\": an array such as [\"005930\",\"000660\"]", id);
        }

        if (codes.ValueKind != JsonValueKind.Array || codes.GetArrayLength() == 0)
        {
            throw new LiveRequestException(LiveErrors.BadMessage, "\"codes\" must be a non-empty array of stock codes such as [\"005930\"]", id);
        }

        var result = new List<StockCode>(codes.GetArrayLength());
        var bad = new List<string>();
        foreach (var item in codes.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                throw new LiveRequestException(LiveErrors.BadMessage, $"\"codes\" must hold strings, found {item.ValueKind.ToString().ToLowerInvariant()} {item.GetRawText()}", id);
            }

            if (StockCode.TryParse(item.GetString(), out var code, out _))
            {
                if (!result.Contains(code))
                {
                    result.Add(code);
                }
            }
            else
            {
                bad.Add(item.GetString()!);
            }
        }

        if (bad.Count > 0)
        {
            throw new LiveRequestException(LiveErrors.BadCode,
                $"not a stock code: {string.Join(", ", bad.Take(10).Select(b => $"'{b}'"))}; codes are 6 characters such as 005930 or 0126Z0", id);
        }

        return result;
    }

    /// <summary>The ranking of a request. Unsubscribe with none of market/metric/n means every ranking (null).</summary>
    private static RankingKey? ParseRanking(JsonElement root, string op, JsonElement? id)
    {
        var marketText = String(root, "market", id);
        var metricText = String(root, "metric", id);
        var hasN = root.TryGetProperty("n", out var nElement) && nElement.ValueKind != JsonValueKind.Null;
        if (op == "unsubscribe" && marketText is null && metricText is null && !hasN)
        {
            return null;
        }

        Market? market = null;
        if (marketText is not null && !marketText.Equals("ALL", StringComparison.OrdinalIgnoreCase))
        {
            if (!Markets.TryParse(marketText, out var m))
            {
                throw new LiveRequestException(LiveErrors.BadMarket, $"unknown market '{marketText}'; use KOSPI, KOSDAQ, KONEX or ALL", id);
            }

            market = m;
        }

        var metric = RankingMetric.Volume;
        if (metricText is not null && !RankingMetrics.TryParse(metricText, out metric))
        {
            throw new LiveRequestException(LiveErrors.BadMetric, $"unknown metric '{metricText}'; use volume, value or change", id);
        }

        var n = DefaultRankingRows;
        if (hasN && (nElement.ValueKind != JsonValueKind.Number || !nElement.TryGetInt32(out n) || n < 1 || n > MaxRankingRows))
        {
            throw new LiveRequestException(LiveErrors.BadN, $"\"n\" must be a whole number from 1 to {MaxRankingRows}, got {nElement.GetRawText()}", id);
        }

        return new RankingKey(market, metric, n);
    }
}
