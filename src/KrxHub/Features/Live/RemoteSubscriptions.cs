using System.Text;
using System.Text.Json;
using KrxHub.Core;

namespace KrxHub.Features.Live;

/// <summary>One part of a node's announced code set: part <see cref="Part"/> of <see cref="Parts"/> of set <see cref="Version"/>.</summary>
public sealed record SubscriptionPart(long Version, int Part, int Parts, IReadOnlyList<StockCode> Codes)
{
    /// <summary>More parts than this is a malformed announcement (at ~870 codes per part, far beyond any stock master).</summary>
    public const int MaxParts = 256;

    /// <summary>
    /// The payloads that announce <paramref name="codes"/> as set <paramref name="version"/> of <paramref name="node"/>:
    /// <c>{"n":node,"subs":{"v":version,"part":i,"parts":k,"codes":[…]}}</c>, each at most <paramref name="maxBytes"/>
    /// UTF-8 bytes. An empty set is one part with no codes (it still replaces the node's previous set).
    /// </summary>
    public static List<string> Payloads(string node, long version, IReadOnlyCollection<StockCode> codes, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var nodeJson = JsonSerializer.Serialize(node);
        // The envelope with the widest part numbers, so that every part fits whatever its number.
        var envelope = Encoding.UTF8.GetByteCount(Envelope(nodeJson, version, MaxParts, MaxParts)) + "]}}".Length;
        var sorted = codes.Select(c => JsonSerializer.Serialize(c.Value)).Order(StringComparer.Ordinal).ToList();
        var chunks = new List<List<string>> { new() };
        var size = envelope;
        foreach (var code in sorted)
        {
            var bytes = Encoding.UTF8.GetByteCount(code) + 1;
            if (chunks[^1].Count > 0 && size + bytes > maxBytes)
            {
                chunks.Add([]);
                size = envelope;
            }

            chunks[^1].Add(code);
            size += bytes;
        }

        if (chunks.Count > MaxParts)
        {
            throw new ArgumentException($"{codes.Count} codes need {chunks.Count} parts; at most {MaxParts} are accepted", nameof(codes));
        }

        return chunks.Select((chunk, i) => $"{Envelope(nodeJson, version, i, chunks.Count)}{string.Join(',', chunk)}]}}}}").ToList();
    }

    /// <summary>Reads the <c>subs</c> object of a payload; throws <see cref="FormatException"/> for impossible part numbers.</summary>
    public static SubscriptionPart Read(JsonElement subs)
    {
        var version = subs.GetProperty("v").GetInt64();
        var part = subs.GetProperty("part").GetInt32();
        var parts = subs.GetProperty("parts").GetInt32();
        if (parts is < 1 or > MaxParts || part < 0 || part >= parts)
        {
            throw new FormatException($"subscription part {part} of {parts} is not possible");
        }

        var codes = subs.GetProperty("codes").EnumerateArray().Select(c => StockCode.Parse(c.GetString())).ToList();
        return new SubscriptionPart(version, part, parts, codes);
    }

    private static string Envelope(string nodeJson, long version, int part, int parts) =>
        FormattableString.Invariant($"{{\"n\":{nodeJson},\"subs\":{{\"v\":{version},\"part\":{part},\"parts\":{parts},\"codes\":[");
}

/// <summary>The codes followed by the live remote nodes: their union, a version that changes with it, and how many nodes follow any.</summary>
public sealed record RemoteCodes(long Version, IReadOnlySet<StockCode> Codes, int Nodes);

/// <summary>
/// The code sets other nodes announce on the backplane (the codes their WebSocket clients follow), so that the node that
/// runs the live source can follow them too. A set arrives in parts; the parts of one (node, version) are assembled and a
/// complete set replaces that node's previous one. Parts of an older version than the newest seen are ignored (they may
/// arrive late from another connection). A node not heard for <c>timeout</c> is forgotten with its codes. Times are
/// monotonic (any origin), so that a wall-clock jump neither keeps nor drops a node.
/// </summary>
public sealed class RemoteSubscriptions(TimeSpan timeout)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, NodeState> _nodes = [];
    private long _version;
    private RemoteCodes? _union;

    /// <summary>Files one part heard from <paramref name="node"/> at <paramref name="now"/>; true when the union may have changed.</summary>
    public bool Accept(string node, SubscriptionPart part, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(part);
        lock (_gate)
        {
            var changed = ExpireLocked(now);
            if (!_nodes.TryGetValue(node, out var state))
            {
                state = new NodeState();
                _nodes[node] = state;
            }

            state.HeardAt = now;
            if (part.Version <= state.CompleteVersion || (state.Pending is { } newer && part.Version < newer.Version))
            {
                return changed;
            }

            if (state.Pending is not { } pending || pending.Version != part.Version)
            {
                pending = new PendingSet(part.Version, new IReadOnlyList<StockCode>?[part.Parts]);
                state.Pending = pending;
            }
            else if (pending.Parts.Length != part.Parts)
            {
                throw new FormatException($"set {part.Version} of node {node} came in {pending.Parts.Length} and in {part.Parts} parts");
            }

            if (pending.Parts[part.Part] is null)
            {
                pending.Parts[part.Part] = part.Codes;
                pending.Received++;
            }

            if (pending.Received < pending.Parts.Length)
            {
                return changed;
            }

            var codes = pending.Parts.SelectMany(p => p!).ToHashSet();
            state.Pending = null;
            state.CompleteVersion = part.Version;
            if (codes.SetEquals(state.Codes))
            {
                return changed;
            }

            state.Codes = codes;
            Changed();
            return true;
        }
    }

    /// <summary>Forgets the nodes not heard since <paramref name="now"/> − timeout; true when that changed the union.</summary>
    public bool Expire(TimeSpan now)
    {
        lock (_gate)
        {
            return ExpireLocked(now);
        }
    }

    /// <summary>The union of the codes of every node heard within the timeout before <paramref name="now"/>.</summary>
    public RemoteCodes Snapshot(TimeSpan now)
    {
        lock (_gate)
        {
            ExpireLocked(now);
            return _union ??= new RemoteCodes(_version, _nodes.Values.SelectMany(n => n.Codes).ToHashSet(),
                _nodes.Values.Count(n => n.Codes.Count > 0));
        }
    }

    private bool ExpireLocked(TimeSpan now)
    {
        var changed = false;
        // Removing while enumerating is allowed for Dictionary (it does not invalidate the enumerator).
        foreach (var (node, state) in _nodes)
        {
            if (now - state.HeardAt >= timeout)
            {
                _nodes.Remove(node);
                if (state.Codes.Count > 0)
                {
                    changed = true;
                }
            }
        }

        if (changed)
        {
            Changed();
        }

        return changed;
    }

    private void Changed()
    {
        _version++;
        _union = null;
    }

    private sealed class NodeState
    {
        public TimeSpan HeardAt;
        public long CompleteVersion = -1;
        public HashSet<StockCode> Codes = [];
        public PendingSet? Pending;
    }

    private sealed class PendingSet(long version, IReadOnlyList<StockCode>?[] parts)
    {
        public long Version { get; } = version;

        public IReadOnlyList<StockCode>?[] Parts { get; } = parts;

        public int Received { get; set; }
    }
}
