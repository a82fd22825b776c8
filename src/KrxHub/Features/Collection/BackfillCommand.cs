using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;

namespace KrxHub.Features.Collection;

/// <summary>`krxhub backfill &lt;dataset&gt; --from --to`: a range at the rate limit, resumable after a kill.</summary>
public static class BackfillCommand
{
    public const int DefaultBatchUnits = 50;

    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "daily|investors|minute|krx-daily|krx-indices" };
        var from = new Option<string>("--from") { Description = "First session yyyy-MM-dd", Required = true };
        var to = new Option<string?>("--to") { Description = "Last session yyyy-MM-dd (default: the last session whose data is final)" };
        var batch = new Option<int>("--batch") { Description = "Units (stock × range) per promotion", DefaultValueFactory = _ => DefaultBatchUnits };
        var command = new Command("backfill", """
            Fetch a range of sessions per stock at the rate limit, with a progress bar and ETA. Every --batch units are
            promoted as one pipeline run and recorded as complete; killed mid-way, the next run fetches only what is
            missing, and re-running a finished range fetches nothing. Adjusted daily bars are adjusted as of the last
            final session (Kiwoom's base_dt), so a later day backfills them afresh. A stock's range is paged until its
            first session; KRXHUB_KIWOOM__PAGECAP only guards against a runaway answer, raised by the pages the range needs.
            Exit codes: 0 done; 3 done, but a unit stopped short of its range (promoted, not recorded as complete);
            1 the source failed (batches promoted before it stay); 2 bad arguments or settings.

            Examples:
              krxhub backfill daily --from 2024-01-02 --to 2024-12-30
              krxhub backfill daily --from 2020-01-02 --to 2025-06-17 --codes 005930,000660 --basis adjusted
              krxhub backfill investors --from 2026-03-03 --to 2026-04-14
              krxhub backfill minute --from 2026-04-08 --to 2026-04-14 --codes 005930
              krxhub backfill krx-daily --from 2024-01-02 --to 2024-12-30
            """);
        command.Arguments.Add(dataset);
        command.Options.Add(from);
        command.Options.Add(to);
        command.Options.Add(CollectionCli.Codes);
        command.Options.Add(CollectionCli.Basis);
        command.Options.Add(batch);
        command.Options.Add(CalendarFiles.ExtensionFile);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var name = parse.GetValue(dataset);
            if (!CollectDatasets.TryParse(name, out var which) || which == CollectDataset.Master)
            {
                throw new CliException($"'{name}' cannot be backfilled; use daily|investors|minute|krx-daily|krx-indices", 2);
            }

            var settings = HubSettings.Load();
            var rate = CollectionCli.RequireSource(settings, which, "backfill");
            var codes = CollectionCli.ParseCodes(parse);
            if (which.FromKrx() && codes is not null)
            {
                throw new CliException($"{which.Name()} takes no --codes: the KRX Open API answers every stock of a market (every index of a series) at once", 2);
            }
            var basis = CollectionCli.ParseBasis(parse, which);
            var first = CollectionCli.ParseDate("--from", parse.GetValue(from)!);
            if (parse.GetValue(batch) < 1)
            {
                throw new CliException("--batch must be at least 1", 2);
            }

            if (which == CollectDataset.Minute)
            {
                codes ??= settings.Collection.WatchlistCodes is { Count: > 0 } watchlist ? watchlist
                    : throw new CliException("`backfill minute` needs --codes or KRXHUB_COLLECTION__WATCHLIST", 2);
            }

            await using var cli = await CollectionCli.OpenAsync(parse, settings, ct);
            var final = FinalSessions.LastFinal(cli.Calendar, CollectionCli.Time.GetUtcNow()) ?? throw new CliException("no final session in the calendar", 2);
            var last = parse.GetValue(to) is { } toText ? CollectionCli.ParseDate("--to", toText) : final;
            if (last > final)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"note: sessions after {final:yyyy-MM-dd} are not final yet; backfilling up to {final:yyyy-MM-dd}"));
                last = final;
            }

            if (last < first)
            {
                throw new CliException($"--from {first:yyyy-MM-dd} is after --to {last:yyyy-MM-dd}", 2);
            }

            await cli.CheckKnownAsync(codes, ct);
            var request = new CollectionRequest(which, first, last)
            {
                Basis = basis,
                Codes = codes,
                SkipCompleted = true,
                BatchUnits = parse.GetValue(batch),
                Trigger = "backfill",
            };
            var units = await cli.Jobs.PlanAsync(request, ct);
            var title = string.Create(CultureInfo.InvariantCulture, $"backfill {which.Name()} {first:yyyy-MM-dd}..{last:yyyy-MM-dd}");
            if (units.Count == 0)
            {
                Console.WriteLine($"{title}: nothing to fetch, every unit is complete");
                return 0;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{title}: {units.Count:N0} units to fetch, at least {units.Count:N0} requests (~{TimeSpan.FromSeconds(Math.Ceiling(units.Count / rate)):hh\\:mm\\:ss} at {rate:0.##}/s)"));
            var stopwatch = Stopwatch.StartNew();
            CollectionOutcome outcome;
            try
            {
                outcome = await CollectionProgressDisplay.RunAsync(title, units.Count, (p, token) => cli.Jobs.RunAsync(request, units, p, token), ct);
            }
            catch (CollectionFailedException e)
            {
                throw new CliException($"{title} stopped: {e.Message} (run {e.RunId}); run it again to resume");
            }

            CollectionCli.PrintOutcome(title, outcome, stopwatch.Elapsed, rate);
            return CollectionCli.ExitCode(outcome);
        }));
        return command;
    }
}
