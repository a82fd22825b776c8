using KrxHub.Shared;

namespace KrxHub.Features.TradingCalendar;

/// <summary>The calendar section of the hub's settings (KRXHUB_CALENDAR__EXTENSIONFILE).</summary>
public sealed record CalendarSettings
{
    public const string SectionName = "Calendar";

    /// <summary>The environment variable that names the override file (its name predates the rules, and stays).</summary>
    public static string ExtensionFileVariable => SettingsBinder.EnvName(SectionName, nameof(ExtensionFile));

    /// <summary>
    /// The calendar override file: KRX's published closed days of the years after the bundled calendar, and single days the
    /// rules cannot know (see <see cref="Core.KrxCalendarOverrides"/>); null: the bundled calendar, then the holiday rules.
    /// </summary>
    public string? ExtensionFile { get; init; }
}
