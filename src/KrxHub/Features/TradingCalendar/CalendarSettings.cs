using KrxHub.Hosting;

namespace KrxHub.Features.TradingCalendar;

/// <summary>The calendar section of the hub's settings (KRXHUB_CALENDAR__EXTENSIONFILE).</summary>
public sealed record CalendarSettings
{
    public const string SectionName = "Calendar";

    /// <summary>The environment variable that names the extension file.</summary>
    public static string ExtensionFileVariable => SettingsBinder.EnvName(SectionName, nameof(ExtensionFile));

    /// <summary>
    /// A calendar extension file with KRX's closed days of the years after the bundled calendar (see
    /// <see cref="Core.KrxCalendarExtension"/>); null: the bundled calendar alone.
    /// </summary>
    public string? ExtensionFile { get; init; }
}
