using KrxHub.Core;
using KrxHub.Core.Validation;

namespace KrxHub.Sources.KrxOpenApi;

/// <summary>
/// Every stock of one market (or of all markets, <see cref="Market"/> null) on one session, as KRX sent it: one
/// <see cref="RawDailyRow"/> per record, in the server's order, none left out. Values are still text ("4,210", "-4,000");
/// <see cref="Validate"/> turns each row into a raw-basis <see cref="DailyBar"/> or the reasons it is quarantined, the same
/// contract as the file import, so a malformed record never fails the day and never disappears.
/// </summary>
public sealed record KrxDailyRows(Market? Market, DateOnly Date, string Source, DateTimeOffset FetchedAt, IReadOnlyList<RawDailyRow> Rows)
{
    /// <summary>KRX's own daily figures are never adjusted for corporate actions.</summary>
    public PriceBasis Basis => PriceBasis.Raw;

    public List<ValidatedRow> Validate(DailyBarValidator validator)
    {
        ArgumentNullException.ThrowIfNull(validator);
        return validator.ParseRows(Rows, Basis, Source, FetchedAt);
    }
}
