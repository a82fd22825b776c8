using KrxHub.Core;
using KrxHub.Core.Validation;
using KrxHub.Sources.Import;
using KrxHub.Sources.Kiwoom;

namespace KrxHub.Features.Collection;

/// <summary>Kiwoom rows that could not be read, as quarantine records with a reason code.</summary>
internal static class KiwoomRejections
{
    public static RejectedRecord From(StockCode? code, KiwoomRowError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        var reason = error.Field == "(row)" ? ReasonCodes.BadPayload
            : error.Problem.Contains("missing", StringComparison.Ordinal) ? ReasonCodes.MissingField
            : ReasonCodes.NonNumericField;
        return new RejectedRecord(error.Row, $"{code?.Value ?? "-"} {error}", reason) { Code = code?.Value };
    }
}
