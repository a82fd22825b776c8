using KrxHub.Pipeline;
using System.Globalization;
using System.IO.Compression;
using Spectre.Console;

namespace KrxHub.Features.Import;

/// <summary>
/// Progress display for long imports: a Spectre.Console bar on a terminal, plain "N rows" lines when the
/// output is redirected (logs, CI), nothing when quiet.
/// </summary>
public static class ImportProgress
{
    public static async Task<T> RunAsync<T>(string title, string path, bool show, Func<IProgress<PipelineProgress>, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!show)
        {
            return await work(new Progress<PipelineProgress>());
        }

        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            Console.WriteLine($"{title}: reading {Path.GetFileName(path)}");
            return await work(new LineProgress(title));
        }

        var total = CountLines(path);
        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, total));
                result = await work(new Progress<PipelineProgress>(p =>
                {
                    task.Value = Math.Min(p.RowsRead, total);
                    if (p.Promoting)
                    {
                        task.Description = Markup.Escape($"{title}: promoting");
                    }
                }));
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>Data lines of a (possibly gzipped) text file, for the progress bar's total.</summary>
    private static long CountLines(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
            using (stream)
            {
                var buffer = new byte[1 << 16];
                long lines = 0;
                int n;
                while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    lines += buffer.AsSpan(0, n).Count((byte)'\n');
                }

                return Math.Max(1, lines - 1);
            }
        }
        catch (IOException)
        {
            return 1;
        }
    }

    /// <summary>
    /// Synchronous: reports arrive from the import loop and are printed in order, one line per 50,000 rows
    /// (the pipeline reports every 1,000-row chunk, too many lines for a log).
    /// </summary>
    private sealed class LineProgress(string title) : IProgress<PipelineProgress>
    {
        private const long Every = 50_000;
        private long _printed;
        private bool _promoting;

        public void Report(PipelineProgress value)
        {
            if (value.Promoting)
            {
                if (!_promoting)
                {
                    _promoting = true;
                    Console.WriteLine($"{title}: {value.RowsRead.ToString("N0", CultureInfo.InvariantCulture)} rows read; " + (value.FirstLoad
                        ? "promoting the first load (its bars went straight into daily_bars inside one transaction: indexing and committing it)"
                        : "promoting the staged bars into daily_bars (one transaction)"));
                }

                return;
            }

            if (value.RowsRead / Every > _printed / Every)
            {
                _printed = value.RowsRead;
                Console.WriteLine($"{title}: {value.RowsRead.ToString("N0", CultureInfo.InvariantCulture)} rows");
            }
        }
    }
}
