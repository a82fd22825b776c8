using System.Diagnostics;

namespace KrxHub.Tests;

/// <summary>Runs the real `krxhub` binary (built next to the tests) as a child process.</summary>
internal static class CliProcess
{
    public static string Binary => Path.Combine(AppContext.BaseDirectory, "krxhub.dll");

    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Binary);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        // Plain progress lines, no ANSI: the output is redirected.
        psi.Environment["NO_COLOR"] = "1";
        return psi;
    }

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var p = Process.Start(StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
