using KrxHub.Sources.Kiwoom;

namespace KrxHub.Features.Collection;

/// <summary>Revokes the Kiwoom token (au10002) when the hub stops, for KRXHUB_KIWOOM__REVOKEONSHUTDOWN=true.</summary>
public sealed class KiwoomTokenRevoker(KiwoomClient client, ILogger<KiwoomTokenRevoker> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (await client.RevokeTokenAsync(cancellationToken))
            {
                logger.LogInformation("Kiwoom token revoked at shutdown");
            }
        }
        catch (Exception e) when (e is KiwoomException or OperationCanceledException)
        {
            logger.LogWarning("Kiwoom token not revoked at shutdown: {Error}", e.Message.ReplaceLineEndings(" "));
        }
    }
}
