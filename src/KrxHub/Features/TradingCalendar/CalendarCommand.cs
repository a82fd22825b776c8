using System.CommandLine;
using System.Globalization;
using KrxHub.Shared;

namespace KrxHub.Features.TradingCalendar;

/// <summary>`krxhub calendar`: how far the published and provisional days reach, and where each part comes from.</summary>
public static class CalendarCommand
{
    public static Command Create()
    {
        var command = new Command("calendar", $"""
            Print the coverage of the KRX trading calendar: how far KRX's published days reach (the bundled session file,
            then the override file of --calendar-file or {CalendarSettings.ExtensionFileVariable}) and how far the
            provisional, rule-derived days reach (through 2050), with the source of each part and the days the override
            file sets in rule years. Checks the override file: a bad row is one line naming the file and line (exit code 2).

            Examples:
              krxhub calendar
              krxhub calendar --calendar-file /etc/krxhub/krx-closed-days.csv
            """);
        command.Options.Add(CalendarFiles.ExtensionFile);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(() =>
        {
            var calendar = CalendarFiles.Load(parse);
            var provisional = CalendarCoverage.ProvisionalFrom(calendar);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"KRX calendar: covers {calendar.CoveredFrom:yyyy-MM-dd}..{calendar.CoveredThrough:yyyy-MM-dd}, {calendar.Count:N0} sessions"));
            var provisionalSpan = provisional is { } p
                ? string.Create(CultureInfo.InvariantCulture, $"provisional (holiday rules) {p:yyyy-MM-dd}..{calendar.CoveredThrough:yyyy-MM-dd}")
                : "nothing provisional";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  published through {calendar.PublishedThrough:yyyy-MM-dd}; {provisionalSpan}"));
            foreach (var part in calendar.Parts)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {part.From:yyyy-MM-dd}..{part.Through:yyyy-MM-dd}  {part.Sessions,6:N0} sessions  {CalendarFiles.Describe(part)}"));
            }

            foreach (var date in calendar.OverrideDays)
            {
                var day = calendar.Day(date);
                var what = day.Hours is { } h ? $"session {h.OpenKst:HH\\:mm}-{h.CloseKst:HH\\:mm}" : $"closed ({day.Reason})";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {date:yyyy-MM-dd}  {what}  set by override file {Path.GetFullPath(day.File!)}"));
            }

            Console.WriteLine("  CSAT days (10:00 open, 16:30 close) of provisional years are unknown until the override file lists them.");
            if (CalendarCoverage.Notice(calendar, TimeProvider.System.GetUtcNow()) is { } notice)
            {
                Console.WriteLine($"notice: {notice}");
            }

            return Task.FromResult(0);
        }));
        return command;
    }
}
