using System.Collections.Concurrent;
using System.IO.Compression;

using KrxHub.Core;

namespace KrxHub.Features.Bars;

/// <summary>
/// Serialized bar responses, kept for a short time. A stock's history is read far more often than it
/// changes, and serializing a year of bars costs far more than the request itself. Entries live at most
/// <see cref="TimeToLive"/>, so an import by the CLI or by another node shows within that time; in-process
/// writers can call <see cref="Clear"/> to show it at once.
/// When an entry is missing or expired, one request builds it and concurrent requests for the same key
/// wait for that build instead of each querying the store (no stampede every time-to-live under load).
/// </summary>
/// <summary>A serialized bar response and how its bars were made (shown in response headers).</summary>
public sealed record CachedBars(byte[] Json, string Adjustment, FactorCoverage? Coverage);

public sealed class BarsResponseCache(TimeProvider time)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(2);
    private const int MaxEntries = 20_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>The cached body for the key, or the body <paramref name="build"/> makes (shared by concurrent callers).
    /// A null body (e.g. unknown stock) is returned but not kept.</summary>
    public async Task<CachedBars?> GetOrBuildAsync(string key, Func<Task<CachedBars?>> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(key, out var entry) && entry.IsFresh(now))
        {
            if (entry.Body.IsCompletedSuccessfully)
            {
                return entry.Body.Result;
            }

            return await entry.Body;
        }

        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        var mine = new Entry(now, new TaskCompletionSource<CachedBars?>(TaskCreationOptions.RunContinuationsAsynchronously));
        var current = _entries.AddOrUpdate(key, mine, (_, old) => old.IsFresh(now) ? old : mine);
        if (!ReferenceEquals(current, mine))
        {
            return await current.Body;
        }

        try
        {
            var body = await build();
            mine.Completion!.SetResult(body);
            if (body is null)
            {
                _entries.TryRemove(new KeyValuePair<string, Entry>(key, mine));
            }

            return body;
        }
        catch (Exception e)
        {
            // Waiters see the same failure; the next request tries again.
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, mine));
            mine.Completion!.SetException(e);
            throw;
        }
    }

    public void Clear() => _entries.Clear();

    /// <summary>The gzip form of a cached body, made once per body on first demand (same lifetime as the body).</summary>
    public static byte[] Gzip(byte[] json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return GzipForms.GetValue(json, static j =>
        {
            using var output = new MemoryStream(j.Length / 4);
            using (var gzip = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
            {
                gzip.Write(j);
            }

            return output.ToArray();
        });
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], byte[]> GzipForms = new();

    private sealed class Entry
    {
        public Entry(DateTimeOffset at, TaskCompletionSource<CachedBars?> completion)
        {
            At = at;
            Completion = completion;
            Body = completion.Task;
        }

        public DateTimeOffset At { get; }

        public TaskCompletionSource<CachedBars?>? Completion { get; }

        public Task<CachedBars?> Body { get; }

        public bool IsFresh(DateTimeOffset now) => now - At < TimeToLive;
    }
}
