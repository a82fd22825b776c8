using System.Diagnostics;

namespace KrxHub.Tests;

/// <summary>Runs the real `krxhub` binary (built next to the tests) as a child process.</summary>
internal static class CliProcess
{
    public static string Binary => Path.Combine(AppContext.BaseDirectory, "krxhub.dll");

    public static ProcessStartInfo StartInfo(params string[] args) => StartInfo(null, args);

    /// <summary>With extra environment variables (KRXHUB_KIWOOM__… for the fake servers); the test process's own KRXHUB_ keys are not passed on.</summary>
    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?>? environment, params string[] args)
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
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("KRXHUB_KIWOOM__", StringComparison.Ordinal) ||
            k.StartsWith("KRXHUB_KRX__", StringComparison.Ordinal) || k.StartsWith("KRXHUB_COLLECTION__", StringComparison.Ordinal) ||
            k.StartsWith("KRXHUB_CALENDAR__", StringComparison.Ordinal) || k.StartsWith("KRXHUB_METRICS__", StringComparison.Ordinal) ||
            k.StartsWith("KRXHUB_OTLP__", StringComparison.Ordinal) || k == "KRXHUB_LOG_FORMAT").ToList())
        {
            psi.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            psi.Environment[key] = value;
        }

        return psi;
    }

    public static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args) => RunAsync(null, args);

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var p = Process.Start(StartInfo(environment, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await p.WaitForExitAsync(timeout.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
