using System.Diagnostics;
using System.Text.Json;

namespace KrxHub.Tests;

/// <summary>A CSV URL as Python reads it: python3 fetches it with urllib and parses it with the standard csv module.</summary>
internal sealed record PythonCsv(string? ContentType, IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows)
{
    private const string Script = """
        import csv, io, json, sys, urllib.request
        request = urllib.request.Request(sys.argv[1])
        if len(sys.argv) > 2:
            request.add_header("Accept", sys.argv[2])
        with urllib.request.urlopen(request) as response:
            content_type = response.headers.get("Content-Type")
            text = response.read().decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        json.dump({"contentType": content_type, "header": rows[0], "rows": rows[1:]}, sys.stdout, ensure_ascii=False)
        """;

    public static async Task<PythonCsv> ReadAsync(Uri url, string? accept = null)
    {
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        start.ArgumentList.Add(url.ToString());
        if (accept is not null)
        {
            start.ArgumentList.Add(accept);
        }

        using var python = Process.Start(start)!;
        var output = python.StandardOutput.ReadToEndAsync();
        var error = python.StandardError.ReadToEndAsync();
        await python.WaitForExitAsync();
        Assert.True(python.ExitCode == 0, $"python3 failed on {url}: {await error}");
        var root = JsonDocument.Parse(await output).RootElement;
        return new PythonCsv(root.GetProperty("contentType").GetString(),
            [.. root.GetProperty("header").EnumerateArray().Select(h => h.GetString()!)],
            [.. root.GetProperty("rows").EnumerateArray().Select(r => (IReadOnlyList<string>)[.. r.EnumerateArray().Select(c => c.GetString()!)])]);
    }

    /// <summary>Every row and field of <paramref name="json"/> (an array of objects) equals the CSV's, in order; nested values as JSON.</summary>
    public void AssertSameAs(JsonElement json, string what)
    {
        Assert.True(json.GetArrayLength() > 0, $"{what}: the JSON has no rows, so the comparison would prove nothing");
        Assert.Equal(json.GetArrayLength(), Rows.Count);
        Assert.Equal(json[0].EnumerateObject().Select(p => p.Name), Header);
        for (var i = 0; i < Rows.Count; i++)
        {
            var fields = json[i].EnumerateObject().ToList();
            Assert.Equal(fields.Count, Rows[i].Count);
            for (var j = 0; j < fields.Count; j++)
            {
                var value = fields[j].Value;
                var cell = Rows[i][j];
                if (value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                {
                    Assert.True(JsonElement.DeepEquals(value, JsonDocument.Parse(cell).RootElement), $"{what} row {i} {fields[j].Name}: {cell} ≠ {value}");
                    continue;
                }

                var expected = value.ValueKind switch
                {
                    JsonValueKind.String => value.GetString(),
                    JsonValueKind.Null => string.Empty,
                    _ => value.GetRawText(),
                };
                Assert.True(expected == cell, $"{what} row {i} {fields[j].Name}: CSV '{cell}', JSON '{expected}'");
            }
        }
    }
}
