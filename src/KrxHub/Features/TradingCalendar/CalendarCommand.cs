using System.CommandLine;
using System.Globalization;
using KrxHub.Hosting;

namespace KrxHub.Features.TradingCalendar;

/// <summary>`krxhub calendar`: which days the trading calendar covers, and from which file each part comes.</summary>
public static class CalendarCommand
{
    public static Command Create()
    {
        var command = new Command("calendar", $"""
            Print the coverage of the KRX trading calendar: the first and last session, the last covered day, and the
            source of each part (the bundled session file, then the extension file of --calendar-file or
            {CalendarSettings.ExtensionFileVariable}). Checks the extension file: a bad row is one line naming the
            file and line (exit code 2). Warns when the calendar ends within {CalendarCoverage.WarningDays} days.

            Examples:
              krxhub calendar
              krxhub calendar --calendar-file /etc/krxhub/krx-closed-days-2027.csv
            """);
        command.Options.Add(CalendarFiles.ExtensionFile);
        command.SetAction((parse, ct) => Cli.GuardAsync(() =>
        {
            var calendar = CalendarFiles.Load(parse);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"KRX calendar: covers {calendar.FirstSession:yyyy-MM-dd}..{calendar.CoveredThrough:yyyy-MM-dd}, first session {calendar.FirstSession:yyyy-MM-dd}, last session {calendar.LastSession:yyyy-MM-dd}, {calendar.Count:N0} sessions"));
            foreach (var part in calendar.Parts)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {part.From:yyyy-MM-dd}..{part.Through:yyyy-MM-dd}  {part.Sessions,6:N0} sessions  {CalendarFiles.Describe(part)}"));
            }

            if (CalendarCoverage.Warning(calendar, TimeProvider.System.GetUtcNow()) is { } warning)
            {
                Console.WriteLine($"warning: {warning}");
            }

            return Task.FromResult(0);
        }));
        return command;
    }
}
