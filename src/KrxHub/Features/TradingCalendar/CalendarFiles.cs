using System.CommandLine;
using KrxHub.Core;
using KrxHub.Shared;

namespace KrxHub.Features.TradingCalendar;

/// <summary>The calendar every verb runs on: the bundled session file, extended by the operator's file when one is named.</summary>
public static class CalendarFiles
{
    public static readonly Option<string?> ExtensionFile = new("--calendar-file")
    {
        Description = "Calendar override file: KRX's published closed days of the years after the bundled calendar, election days, "
            + $"temporary holidays and CSAT days; it wins over the holiday rules (or {CalendarSettings.ExtensionFileVariable}; docs/calendar.md)",
    };

    /// <summary>The calendar for a verb: --calendar-file wins over the setting; a bad file is a one-line error (exit 2).</summary>
    public static KrxCalendar Load(ParseResult parse, CalendarSettings settings)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(settings);
        return Load(parse.GetValue(ExtensionFile) ?? settings.ExtensionFile);
    }

    /// <summary>As <see cref="Load(ParseResult, CalendarSettings)"/> for verbs that read no other setting.</summary>
    public static KrxCalendar Load(ParseResult parse) => Load(parse, HubSettings.LoadCalendarSettings());

    /// <summary>The bundled calendar, then <paramref name="extensionFile"/> (when not null) over the holiday rules through 2050.</summary>
    public static KrxCalendar Load(string? extensionFile)
    {
        if (string.IsNullOrWhiteSpace(extensionFile))
        {
            return BundledData.LoadCalendar();
        }

        try
        {
            using var reader = new StreamReader(extensionFile);
            return KrxCalendarOverrides.Parse(reader, extensionFile).ApplyTo(BundledData.LoadSessionFile());
        }
        catch (CalendarOverrideException e)
        {
            throw new CliException($"calendar override file {e.Message}", 2);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"calendar override file {extensionFile}: cannot be read: {e.Message.ReplaceLineEndings(" ")}", 2);
        }
    }

    /// <summary>Where one part of the calendar comes from, for `krxhub calendar`.</summary>
    public static string Describe(CalendarPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return part.Kind switch
        {
            CalendarSource.Bundled => $"bundled {Path.GetFileName(part.Source)} (published)",
            CalendarSource.Override => $"override file {Path.GetFullPath(part.Source)} (published)",
            _ => "holiday rules (provisional until KRX publishes each year)",
        };
    }
}
