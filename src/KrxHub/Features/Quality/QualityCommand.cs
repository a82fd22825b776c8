using System.CommandLine;
using KrxHub.Core;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;
using Spectre.Console;

namespace KrxHub.Features.Quality;

/// <summary>`krxhub quality-report`: the quality report of one session, as GET /api/quality gives it.</summary>
public static class QualityCommand
{
    public static Command Create()
    {
        var date = new Option<string?>("--date") { Description = "Session date yyyy-MM-dd (default: the latest date with data)" };
        var command = new Command("quality-report", """
            Print the data-quality report of one session: bars accepted per basis, rows quarantined by reason,
            listed stocks without a bar.

            Examples:
              krxhub quality-report --date 2024-01-02
            """);
        command.Options.Add(date);
        command.Options.Add(CalendarFiles.ExtensionFile);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var calendar = CalendarFiles.Load(parse);
            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            DateOnly d;
            var text = parse.GetValue(date);
            if (text is null)
            {
                var dates = await store.GetDatesWithBarsAsync(DateOnly.MinValue, DateOnly.MaxValue, ct);
                if (dates.Count == 0)
                {
                    throw new CliException("the store has no bars yet; pass --date or import data first");
                }

                d = dates.Max();
            }
            else if (KrxText.TryDate(text, out d) != FieldStatus.Ok)
            {
                throw new CliException($"--date '{text}' is not a date; use yyyy-MM-dd");
            }

            var q = await QualityReport.ForDayAsync(store, calendar, d, ct);
            var table = new Table().AddColumns("measure", "value");
            var closed = q.IsSession ? string.Empty : $" (not a session{(q.CalendarReason is { } why ? ": " + why : string.Empty)})";
            table.AddRow("date", $"{q.Date:yyyy-MM-dd}{closed}{(q.Provisional ? ", provisional calendar day: holiday rules, not published by KRX" : string.Empty)}");
            table.AddRow("raw bars", q.RawBars.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("adjusted bars", q.AdjustedBars.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("no-trade bars (halts)", q.NoTradeBars.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("adjustment_rounding (kept, high/low widened)",
                q.Kept.GetValueOrDefault(Core.Validation.ReasonCodes.AdjustmentRounding).ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("listed stocks", q.ListedStocks.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("listed without a bar", q.ListedWithoutBar.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            table.AddRow("quarantined", q.Quarantined.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            foreach (var (reason, n) in q.QuarantinedByReason.OrderByDescending(x => x.Value))
            {
                table.AddRow($"  {reason}", n.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }
}
