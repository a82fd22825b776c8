using System.Collections.Concurrent;

namespace KrxHub.Client.Tests;

/// <summary>Passes every request on to the real hub and keeps its method, path and Authorization header.</summary>
internal sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler())
{
    public ConcurrentQueue<(string Method, string Path, string? Authorization)> Requests { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue((request.Method.Method, request.RequestUri!.AbsolutePath, request.Headers.Authorization?.ToString()));
        return base.SendAsync(request, cancellationToken);
    }
}
