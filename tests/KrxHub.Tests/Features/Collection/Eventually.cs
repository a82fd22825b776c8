namespace KrxHub.Tests.Collection;

/// <summary>Waits for a condition that a background job makes true, without a fixed sleep.</summary>
internal static class Eventually
{
    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan within, string what) => TrueAsync(condition, within, () => what);

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan within, Func<string> what)
    {
        using var timeout = new CancellationTokenSource(within);
        while (!await condition())
        {
            try
            {
                await Task.Delay(50, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"not within {within.TotalSeconds} s: {what()}");
            }
        }
    }
}
