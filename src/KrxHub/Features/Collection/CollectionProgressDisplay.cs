using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace KrxHub.Features.Collection;

/// <summary>
/// Progress of a collection: a Spectre.Console bar with ETA on a terminal; plain lines when the output is redirected
/// (one after every promoted batch, and at most every 10 s in between).
/// </summary>
public static class CollectionProgressDisplay
{
    private static readonly TimeSpan LineEvery = TimeSpan.FromSeconds(10);

    public static async Task<T> RunAsync<T>(string title, int units, Func<IProgress<CollectionProgress>, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await work(new LineProgress(title), ct);
        }

        T result = default!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: Math.Max(1, units));
                result = await work(new Progress<CollectionProgress>(p =>
                {
                    task.Value = p.UnitsDone;
                    task.Description = Markup.Escape($"{title}: {Describe(p)}");
                }), ct);
                task.Value = task.MaxValue;
            });
        return result;
    }

    public static string Describe(CollectionProgress p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.UnitsDone:N0}/{p.UnitsTotal:N0} units, {p.Requests:N0} requests, {p.RowsPromoted:N0} rows promoted{(p.UnitsFailed > 0 ? $", {p.UnitsFailed:N0} failed" : string.Empty)}");

    /// <summary>Synchronous, so lines come out in order.</summary>
    private sealed class LineProgress(string title) : IProgress<CollectionProgress>
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private TimeSpan _lastLine;

        public void Report(CollectionProgress value)
        {
            if (!value.Promoted && _clock.Elapsed - _lastLine < LineEvery)
            {
                return;
            }

            _lastLine = _clock.Elapsed;
            var eta = value.UnitsDone == 0 ? "?" : TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / value.UnitsDone * (value.UnitsTotal - value.UnitsDone)).ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture);
            var run = value.Promoted && value.LastRunId is { } id ? string.Create(CultureInfo.InvariantCulture, $", promoted as run {id}") : string.Empty;
            Console.WriteLine($"{title}: {Describe(value)}{run}, ETA {eta}");
        }
    }
}
