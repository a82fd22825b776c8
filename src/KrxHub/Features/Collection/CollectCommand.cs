using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using KrxHub.Core;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;

namespace KrxHub.Features.Collection;

/// <summary>`krxhub collect &lt;dataset&gt;`: run one collection job now, through the pipeline, as collection runs.</summary>
public static class CollectCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = CollectDatasets.Names };
        var date = new Option<string?>("--date") { Description = "Session yyyy-MM-dd (default: today once the session has opened, else the last session)" };
        var command = new Command("collect", """
            Fetch one dataset now and load it through the pipeline (validate → stage → promote; bad rows to quarantine):
              master      ka10099 stock lists of KOSPI, KOSDAQ and KONEX → the stock master
              daily       ka10081 daily bars of every listed stock (or --codes) for one session, --basis raw|adjusted
              investors   ka10059 net buying per investor type of every listed stock (or --codes) for one session
              minute      ka10080 1-minute bars of --codes (default KRXHUB_COLLECTION__WATCHLIST) for one session
              krx-daily   KRX Open API: every stock of KOSPI, KOSDAQ and KONEX for one session (raw)
              krx-indices KRX Open API index service: KOSPI, KOSPI 200, KOSDAQ, KOSDAQ 150 levels of one session
            Kiwoom datasets need KRXHUB_KIWOOM__APPKEY and KRXHUB_KIWOOM__SECRETKEY; krx-daily and krx-indices need KRXHUB_KRX__AUTHKEY.
            Runs at the rate limit with a progress bar.

            Examples:
              krxhub collect master
              krxhub collect daily --date 2026-04-14
              krxhub collect daily --codes 005930,000660 --date 2026-04-14 --basis adjusted
              krxhub collect investors --codes 005930
              krxhub collect minute --codes 005930 --date 2026-04-14
              krxhub collect krx-daily --date 2026-04-14
              krxhub collect krx-indices --date 2026-04-14
            """);
        command.Arguments.Add(dataset);
        command.Options.Add(CollectionCli.Codes);
        command.Options.Add(date);
        command.Options.Add(CollectionCli.Basis);
        command.Options.Add(CalendarFiles.ExtensionFile);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var name = parse.GetValue(dataset);
            if (!CollectDatasets.TryParse(name, out var which))
            {
                throw new CliException($"'{name}' is not a dataset; use {CollectDatasets.Names}", 2);
            }

            var settings = HubSettings.Load();
            var rate = CollectionCli.RequireSource(settings, which, "collect");
            var codes = CollectionCli.ParseCodes(parse);
            if (which.FromKrx() && codes is not null)
            {
                throw new CliException($"{which.Name()} takes no --codes: the KRX Open API answers every stock of a market (every index of a series) at once", 2);
            }
            var basis = CollectionCli.ParseBasis(parse, which);
            var dateText = parse.GetValue(date);
            if (which == CollectDataset.Master)
            {
                if (codes is not null || dateText is not null)
                {
                    throw new CliException("`collect master` takes no --codes or --date: it fetches today's lists of all three markets", 2);
                }

                await using var master = await CollectionCli.OpenAsync(parse, settings, ct);
                Pipeline.ImportSummary summary;
                try
                {
                    summary = await master.Jobs.MasterAsync("collect", ct);
                }
                catch (CollectionFailedException e)
                {
                    throw new CliException($"collect master failed: {e.Message}");
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"master: {summary.Accepted:N0} stocks from Kiwoom, {summary.Quarantined:N0} records quarantined, run {summary.RunId}"));
                foreach (var note in summary.Notes)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"note: {note}"));
                }

                return 0;
            }

            if (which == CollectDataset.Minute)
            {
                codes ??= settings.Collection.WatchlistCodes is { Count: > 0 } watchlist ? watchlist
                    : throw new CliException("`collect minute` needs --codes or KRXHUB_COLLECTION__WATCHLIST", 2);
            }

            await using var cli = await CollectionCli.OpenAsync(parse, settings, ct);
            var day = dateText is null
                ? FinalSessions.Latest(cli.Calendar, CollectionCli.Time.GetUtcNow()) ?? throw new CliException("no session before today in the calendar", 2)
                : CollectionCli.ParseDate("--date", dateText);
            if (cli.Calendar.Covers(day) && !cli.Calendar.IsSession(day))
            {
                throw new CliException(cli.Calendar.Day(day).DescribeClosed(), 2);
            }

            if (day > KrxCalendar.KstDate(CollectionCli.Time.GetUtcNow()))
            {
                throw new CliException($"{day:yyyy-MM-dd} is in the future", 2);
            }

            await cli.CheckKnownAsync(codes, ct);
            var request = new CollectionRequest(which, day, day) { Basis = basis, Codes = codes, Trigger = "collect" };
            var units = await cli.Jobs.PlanAsync(request, ct);
            var title = string.Create(CultureInfo.InvariantCulture, $"collect {which.Name()} {day:yyyy-MM-dd}");
            var stopwatch = Stopwatch.StartNew();
            CollectionOutcome outcome;
            try
            {
                outcome = await CollectionProgressDisplay.RunAsync(title, units.Count, (p, token) => cli.Jobs.RunAsync(request, units, p, token), ct);
            }
            catch (CollectionFailedException e)
            {
                throw new CliException($"{title} failed: {e.Message} (run {e.RunId})");
            }

            CollectionCli.PrintOutcome(string.Create(CultureInfo.InvariantCulture, $"{title}: {units.Count:N0} units"), outcome, stopwatch.Elapsed, rate);
            return CollectionCli.ExitCode(outcome);
        }));
        return command;
    }
}
