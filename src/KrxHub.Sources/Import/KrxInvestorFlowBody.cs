using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Validation;
using static KrxHub.Sources.Import.KrxJsonBody;

namespace KrxHub.Sources.Import;

/// <summary>
/// The investor-flow bodies of the KRX data system (TRD_DD + TRDVAL1..4 general, TRDVAL1..11 detail): per stock
/// (MDCSTAT02302/02303) with a code, market-wide (MDCSTAT02202/02203) with a market. <see cref="KrxJsonBody"/> recognises
/// them and hands them here.
/// </summary>
internal static class KrxInvestorFlowBody
{
    // TRDVAL1..4 of the general bodies (MDCSTAT02202/02302).
    private static readonly InvestorType[] GeneralColumns =
        [InvestorType.InstitutionTotal, InvestorType.OtherCorporation, InvestorType.Individual, InvestorType.Foreign];

    // TRDVAL1..11 of the detail bodies (MDCSTAT02203/02303); TRDVAL10 is foreigners without 기타외국인, see Expand.
    private static readonly InvestorType[] DetailColumns =
    [
        InvestorType.FinancialInvestment, InvestorType.Insurance, InvestorType.Trust, InvestorType.PrivateFund,
        InvestorType.Bank, InvestorType.OtherFinance, InvestorType.Pension, InvestorType.OtherCorporation,
        InvestorType.Individual, InvestorType.Foreign, InvestorType.OtherForeign,
    ];

    private const int InstitutionalColumns = 7;

    public static ImportFile Read(string path, string subject, JsonElement records, JsonElement first, ImportOptions options, DateTimeOffset fetchedAt)
    {
        var columns = Enumerable.Range(1, 4).All(i => Has(first, Column(i))) ? 4 : 0;
        var extra = Enumerable.Range(5, 7).Count(i => Has(first, Column(i)));
        if (columns == 0 || (extra != 0 && extra != 7) || Has(first, Column(12)))
        {
            var found = string.Join(",", first.EnumerateObject().Select(p => p.Name).Where(n => n.StartsWith("TRDVAL", StringComparison.Ordinal)));
            throw new ImportFormatException(
                $"{subject} has an unknown investor layout ({found}): expected TRDVAL1..4 (general) or TRDVAL1..11 (detail) and TRDVAL_TOT");
        }

        var detail = extra == 7;
        var perStock = options.Code is not null;
        string bld = (perStock, detail) switch
        {
            (true, false) => "MDCSTAT02302",
            (true, true) => "MDCSTAT02303",
            (false, false) => "MDCSTAT02202",
            (false, true) => "MDCSTAT02203",
        };
        var pair = detail ? "MDCSTAT02303 or 02203" : "MDCSTAT02302 or 02202";
        if (options.Code is not null && options.Market is not null)
        {
            throw new ImportFormatException($"{subject} is an investor-flow body ({pair}): pass either --code (one stock) or --market (whole market), not both");
        }

        if (options.Code is null && options.Market is null)
        {
            throw new ImportFormatException($"{subject} is an investor-flow body ({pair}) that names neither stock nor market: pass --code (one stock) or --market (whole market)");
        }

        Refuse(options.Date is not null, "--date", bld, "each record carries its date (TRD_DD)");
        var measure = options.Measure ?? throw new ImportFormatException($"{bld} bodies do not say whether they hold volumes or values: pass --measure volume|value");
        var side = options.Side ?? InvestorSide.Net;
        var count = detail ? DetailColumns.Length : GeneralColumns.Length;

        var days = new List<(DateOnly Date, decimal[] Values)>(records.GetArrayLength());
        var rejected = new List<RejectedRecord>();
        var line = 0;
        foreach (var r in records.EnumerateArray())
        {
            line++;
            if (ParseDay(r, count, measure, out var date, out var values) is { } reason)
            {
                rejected.Add(new RejectedRecord(line, r.GetRawText(), reason));
                continue;
            }

            CheckSide(subject, r, values, side);
            days.Add((date, values));
        }

        var source = options.Source ?? "krx:" + bld;
        var amounts = days.SelectMany(d => Expand(d.Values, detail).Select(a => (d.Date, a.Type, a.Amount)));
        if (options.Code is { } code)
        {
            var flows = amounts.Select(a =>
            {
                var s = Slots(a.Amount, measure, side);
                return new InvestorFlow(code, a.Date, a.Type, s.BuyVolume, s.SellVolume, s.NetVolume, s.BuyValue, s.SellValue, s.NetValue, source, fetchedAt);
            }).ToList();
            return new ImportFile(path, ImportFormat.KrxJson, ImportContent.InvestorFlows, source, fetchedAt, null, bld,
                flows: new ParsedRecords<InvestorFlow>(flows, rejected));
        }

        var market = options.Market!.Value;
        var marketFlows = amounts.Select(a =>
        {
            var s = Slots(a.Amount, measure, side);
            return new MarketInvestorFlow(market, a.Date, a.Type, s.BuyVolume, s.SellVolume, s.NetVolume, s.BuyValue, s.SellValue, s.NetValue, source, fetchedAt);
        }).ToList();
        return new ImportFile(path, ImportFormat.KrxJson, ImportContent.MarketInvestorFlows, source, fetchedAt, null, bld,
            marketFlows: new ParsedRecords<MarketInvestorFlow>(marketFlows, rejected));
    }

    /// <summary>The record's date and TRDVAL1..n, or the reason code it is rejected for.</summary>
    private static string? ParseDay(JsonElement r, int count, InvestorMeasure measure, out DateOnly date, out decimal[] values)
    {
        date = default;
        values = new decimal[count];
        if (r.ValueKind != JsonValueKind.Object)
        {
            return ReasonCodes.MissingField;
        }

        string? reason = Reason(KrxText.TryDate(Text(r, "TRD_DD"), out date));
        for (var i = 0; i < count; i++)
        {
            var text = Text(r, Column(i + 1));
            FieldStatus status;
            if (measure == InvestorMeasure.Volume)
            {
                status = KrxText.TryLong(text, out var v);
                values[i] = v;
            }
            else
            {
                status = KrxText.TryDecimal(text, out values[i]);
            }

            reason ??= Reason(status);
        }

        return reason;
    }

    private static string? Reason(FieldStatus status) => status switch
    {
        FieldStatus.Missing => ReasonCodes.MissingField,
        FieldStatus.Invalid => ReasonCodes.NonNumericField,
        _ => null,
    };

    /// <summary>
    /// Net bodies total zero (TRDVAL_TOT = 0) and buy/sell bodies are never negative: a body that breaks
    /// this was fetched with another askBid than the option says, and storing it would mislabel every value.
    /// </summary>
    private static void CheckSide(string subject, JsonElement r, decimal[] values, InvestorSide side)
    {
        var day = Text(r, "TRD_DD");
        if (side == InvestorSide.Net)
        {
            if (KrxText.TryDecimal(Text(r, "TRDVAL_TOT"), out var total) == FieldStatus.Ok && total != 0m)
            {
                throw new ImportFormatException(
                    $"{subject} is not a net-buy body: TRDVAL_TOT is {Text(r, "TRDVAL_TOT")} on {day} (net bodies total 0): pass --side buy or --side sell");
            }
        }
        else if (values.Any(v => v < 0m))
        {
            throw new ImportFormatException(
                $"{subject} has negative values on {day}, so it is a net-buy body, not {side.Name()}: pass --side net");
        }
    }

    /// <summary>
    /// The categories of one day. Detail bodies do not report the two totals the general bodies carry, so they
    /// are summed here: 기관합계 = TRDVAL1..7 and 외국인합계 = 외국인 + 기타외국인 (both exact in the KRX data).
    /// <see cref="InvestorType.Foreign"/> is always 외국인합계, as in the general bodies, so that a general and a
    /// detail import of the same day store the same numbers; <see cref="InvestorType.OtherForeign"/> is a part of it.
    /// </summary>
    private static IEnumerable<(InvestorType Type, decimal Amount)> Expand(decimal[] values, bool detail)
    {
        if (!detail)
        {
            for (var i = 0; i < GeneralColumns.Length; i++)
            {
                yield return (GeneralColumns[i], values[i]);
            }

            yield break;
        }

        var institutions = 0m;
        for (var i = 0; i < InstitutionalColumns; i++)
        {
            institutions += values[i];
            yield return (DetailColumns[i], values[i]);
        }

        yield return (InvestorType.InstitutionTotal, institutions);
        yield return (InvestorType.OtherCorporation, values[7]);
        yield return (InvestorType.Individual, values[8]);
        yield return (InvestorType.Foreign, values[9] + values[10]);
        yield return (InvestorType.OtherForeign, values[10]);
    }

    private static (long? BuyVolume, long? SellVolume, long? NetVolume, decimal? BuyValue, decimal? SellValue, decimal? NetValue) Slots(
        decimal amount, InvestorMeasure measure, InvestorSide side)
    {
        long? volume = measure == InvestorMeasure.Volume ? (long)amount : null;
        decimal? value = measure == InvestorMeasure.Value ? amount : null;
        return side switch
        {
            InvestorSide.Buy => (volume, null, null, value, null, null),
            InvestorSide.Sell => (null, volume, null, null, value, null),
            _ => (null, null, volume, null, null, value),
        };
    }

    private static string Column(int i) => "TRDVAL" + i.ToString(CultureInfo.InvariantCulture);

    public static void RefuseInvestorOptions(ImportOptions options, string bld)
    {
        Refuse(options.Measure is not null, "--measure", bld, "it is not an investor-flow body");
        Refuse(options.Side is not null, "--side", bld, "it is not an investor-flow body");
    }
}
