using System.Collections.Concurrent;
using System.Net;

namespace KrxHub.Features.Access;

/// <summary>Counts open /ws connections per key and per client address, and refuses the one over a cap.</summary>
public sealed class WebSocketCaps(AccessSettings settings)
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    /// <summary>A release to dispose when the connection ends, or null (with the reason) when a cap is reached.</summary>
    public IDisposable? TryEnter(string? keyId, IPAddress? address, out string? refusal)
    {
        var slots = new List<string>(2);
        if (keyId is not null)
        {
            slots.Add("key:" + keyId);
        }

        if (address is not null && (settings.LimitLoopback || !IPAddress.IsLoopback(address)))
        {
            slots.Add("ip:" + address);
        }

        var entered = new List<string>(2);
        foreach (var slot in slots)
        {
            var cap = slot.StartsWith("key:", StringComparison.Ordinal) ? settings.WebSocketsPerKey : settings.WebSocketsPerIp;
            if (_open.AddOrUpdate(slot, 1, (_, n) => n + 1) > cap)
            {
                Leave(slot);
                entered.ForEach(Leave);
                refusal = slot.StartsWith("key:", StringComparison.Ordinal)
                    ? $"this API key has {cap} open WebSocket connections, the most allowed (KRXHUB_ACCESS__WEBSOCKETSPERKEY)"
                    : $"this address has {cap} open WebSocket connections, the most allowed (KRXHUB_ACCESS__WEBSOCKETSPERIP)";
                return null;
            }

            entered.Add(slot);
        }

        refusal = null;
        return new Release(this, entered);
    }

    /// <summary>Open connections counted under one slot ("key:3", "ip:10.0.0.5").</summary>
    public int Open(string slot) => _open.GetValueOrDefault(slot);

    private void Leave(string slot)
    {
        if (_open.AddOrUpdate(slot, 0, (_, n) => n - 1) <= 0)
        {
            _open.TryRemove(new KeyValuePair<string, int>(slot, 0));
        }
    }

    private sealed class Release(WebSocketCaps caps, List<string> slots) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                slots.ForEach(caps.Leave);
            }
        }
    }
}
