using System.CommandLine;
using KrxHub.Core;
using KrxHub.Hosting;

namespace KrxHub.Features.TradingCalendar;

/// <summary>The calendar every verb runs on: the bundled session file, extended by the operator's file when one is named.</summary>
public static class CalendarFiles
{
    public static readonly Option<string?> ExtensionFile = new("--calendar-file")
    {
        Description = "Calendar extension file: KRX's closed days of the years after the bundled calendar "
            + $"(or {CalendarSettings.ExtensionFileVariable}; README \"Trading calendar coverage\")",
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

    /// <summary>The bundled calendar, followed by the years of <paramref name="extensionFile"/> when it is not null.</summary>
    public static KrxCalendar Load(string? extensionFile)
    {
        var bundled = BundledData.LoadCalendar();
        if (string.IsNullOrWhiteSpace(extensionFile))
        {
            return bundled;
        }

        try
        {
            using var reader = new StreamReader(extensionFile);
            return KrxCalendarExtension.Parse(reader, extensionFile).ApplyTo(bundled);
        }
        catch (CalendarExtensionException e)
        {
            throw new CliException($"calendar extension {e.Message}", 2);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException($"calendar extension {extensionFile}: cannot be read: {e.Message.ReplaceLineEndings(" ")}", 2);
        }
    }

    /// <summary>"bundled" or "extension file", and the file, for one part of the calendar.</summary>
    public static string Describe(CalendarPart part)
    {
        ArgumentNullException.ThrowIfNull(part);
        return part.IsExtension ? $"extension file {Path.GetFullPath(part.Source)}" : $"bundled {Path.GetFileName(part.Source)}";
    }
}
