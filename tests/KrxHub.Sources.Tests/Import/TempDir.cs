using System.IO.Compression;
using System.Text;

namespace KrxHub.Sources.Tests.Import;

/// <summary>A scratch directory for files a test writes, removed afterwards.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "krxhub-import-" + Guid.NewGuid().ToString("N"));

    public string Write(string name, string content, Encoding? encoding = null)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, content, encoding ?? new UTF8Encoding(false));
        return path;
    }

    public string WriteBytes(string name, byte[] content)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    public static byte[] Gzip(byte[] content)
    {
        using var memory = new MemoryStream();
        using (var gzip = new GZipStream(memory, CompressionLevel.Fastest))
        {
            gzip.Write(content);
        }

        return memory.ToArray();
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
