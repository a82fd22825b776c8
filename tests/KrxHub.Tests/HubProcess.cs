using System.Diagnostics;
using System.Text.RegularExpressions;

namespace KrxHub.Tests;

/// <summary>`krxhub serve` as a child process on a PostgreSQL store, with the simulator always open, on a free loopback port.</summary>
internal sealed partial class HubProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];

    private HubProcess(Process process) => _process = process;

    /// <summary>Starts a node; <paramref name="environment"/> adds KRXHUB_ settings (e.g. shorter live intervals, a webhook URL).</summary>
    public static HubProcess Start(string database, IReadOnlyDictionary<string, string?>? environment = null) =>
        Start(["--database", database], [], environment);

    /// <summary>Starts `krxhub serve` on the store <paramref name="storeArgs"/> names, with <paramref name="serveArgs"/> added.</summary>
    public static HubProcess Start(IReadOnlyList<string> storeArgs, IReadOnlyList<string> serveArgs, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = CliProcess.StartInfo(environment, ["serve", "--no-bundled", .. storeArgs, "--urls", "http://127.0.0.1:0", .. serveArgs]);
        psi.Environment["KRXHUB_SIMULATOR__ALWAYSOPEN"] = "true";
        var hub = new HubProcess(Process.Start(psi)!);
        _ = hub.ReadAsync(hub._process.StandardOutput);
        _ = hub.ReadAsync(hub._process.StandardError);
        return hub;
    }

    public int Id => _process.Id;

    public async Task<Uri> AddressAsync()
    {
        try
        {
            return await _address.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
            throw new TimeoutException("the hub did not start listening: " + Output());
        }
    }

    /// <summary>Everything the node printed so far (for failure messages).</summary>
    public string Output()
    {
        lock (_output)
        {
            return string.Join("\n", _output);
        }
    }

    /// <summary>SIGKILL: no shutdown code runs, the store connections drop with the process.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    private async Task ReadAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.Add(line);
            }

            if (Listening().Match(line) is { Success: true } m)
            {
                _address.TrySetResult(new Uri(m.Groups[1].Value));
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex Listening();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
