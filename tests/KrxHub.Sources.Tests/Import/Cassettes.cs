using System.IO.Compression;
using System.Text.Json;
using KrxHub.Testing;

namespace KrxHub.Sources.Tests.Import;

/// <summary>Real KRX bodies recorded in pykrx's test cassettes (reference/raw_pykrx_cassette_responses).</summary>
internal static class Cassettes
{
    private static readonly Lazy<List<(Dictionary<string, string> Params, string Body)>> Entries = new(Load);

    /// <summary>The body of the one recorded request whose form parameters include all of <paramref name="parameters"/>.</summary>
    public static string Body(params (string Key, string Value)[] parameters) =>
        Entries.Value.Single(e => parameters.All(p => e.Params.TryGetValue(p.Key, out var v) && v == p.Value)
                                  && (parameters.Any(p => p.Key is "etf") || !e.Params.ContainsKey("etf"))).Body;

    private static List<(Dictionary<string, string>, string)> Load()
    {
        var path = TestPaths.Reference("raw_pykrx_cassette_responses", "pykrx_cassette_responses_unique.jsonl.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var entries = new List<(Dictionary<string, string>, string)>();
        while (reader.ReadLine() is { } line)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (!root.TryGetProperty("params", out var p) || p.ValueKind != JsonValueKind.Object || !root.TryGetProperty("response", out var body))
            {
                continue;
            }

            var parameters = p.EnumerateObject().ToDictionary(x => x.Name, x => x.Value.ToString());
            entries.Add((parameters, body.GetRawText()));
        }

        return entries;
    }
}
