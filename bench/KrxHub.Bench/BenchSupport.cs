using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace KrxHub.Bench;

internal static class BenchSupport
{
    public static int IntOption(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    public static string? StringOption(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>The q-quantile of <paramref name="values"/> (nearest rank).</summary>
    public static double Percentile(IEnumerable<double> values, double q)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    }

    public static void Print(object line) => Console.WriteLine(JsonSerializer.Serialize(line));

    /// <summary>The bundled adjusted history, decompressed once so that both sides read the same plain CSV.</summary>
    public static string PlainAdjustedHistory()
    {
        var target = Path.Combine(Path.GetTempPath(), "krxhub-bench-adjusted-history.csv");
        if (!File.Exists(target))
        {
            using var gz = new GZipStream(File.OpenRead(Shared.BundledData.AdjustedHistory), CompressionMode.Decompress);
            using var output = File.Create(target);
            gz.CopyTo(output);
        }

        return target;
    }

    /// <summary>
    /// Runs a process to its end and returns its wall time and peak resident set (VmHWM from /proc, read until it
    /// exits; the high-water mark only grows, so the last reading is the peak).
    /// </summary>
    public static (double Seconds, long PeakRssMb, string Output) RunWithPeakRss(string file, string arguments)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        long peakKb = 0;
        var status = $"/proc/{p.Id}/status";
        while (!p.HasExited)
        {
            try
            {
                foreach (var line in File.ReadLines(status))
                {
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        peakKb = Math.Max(peakKb, long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture));
                    }
                }
            }
            catch (IOException)
            {
                // The process ended between the check and the read.
            }

            Thread.Sleep(5);
        }

        p.WaitForExit();
        sw.Stop();
        var output = stdoutTask.Result + stderrTask.Result;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {p.ExitCode}: {output}");
        }

        return (sw.Elapsed.TotalSeconds, peakKb / 1024, output);
    }

    public static (double Seconds, string Output) RunProcess(string file, string arguments, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file, arguments)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }

        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        sw.Stop();
        var output = stdoutTask.Result + stderr;
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} exited {p.ExitCode}: {output}");
        }

        return (sw.Elapsed.TotalSeconds, output);
    }
}

/// <summary>Collections per generation, total pause time and allocated bytes, for "where did the GC time go".</summary>
internal readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, double PauseMs, double AllocatedMb)
{
    public static GcCounts Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
        GC.GetTotalPauseDuration().TotalMilliseconds, GC.GetTotalAllocatedBytes() / 1048576.0);

    public static GcCounts operator -(GcCounts a, GcCounts b) => new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2,
        Math.Round(a.PauseMs - b.PauseMs), Math.Round(a.AllocatedMb - b.AllocatedMb));
}

/// <summary>A clock that stands at one instant (the simulator's timers are driven by hand in the benchmarks).</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
