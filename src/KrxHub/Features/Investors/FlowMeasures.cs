using KrxHub.Core;

namespace KrxHub.Features.Investors;

/// <summary>
/// The measures and provenance of one flow row, so that a stock's flows and a market's are answered, and institution-ex-pension
/// derived, by the same code.
/// </summary>
internal sealed record FlowMeasures(long? BuyVolume, long? SellVolume, long? NetVolume, decimal? BuyValue, decimal? SellValue, decimal? NetValue,
    string Source, DateTimeOffset FetchedAt)
{
    public const string DerivedSource = "derived";

    public static FlowMeasures Of(InvestorFlow f) => new(f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.Source, f.FetchedAt);

    public static FlowMeasures Of(MarketInvestorFlow f) => new(f.BuyVolume, f.SellVolume, f.NetVolume, f.BuyValue, f.SellValue, f.NetValue, f.Source, f.FetchedAt);

    /// <summary>
    /// The answer rows, session by session in the order of <paramref name="session"/>'s key: the session's stored rows as they come,
    /// then its institution-ex-pension row when it has both institution-total and pension. <paramref name="answer"/> makes a row of
    /// the session, the investor's name, the measures and whether the row is derived.
    /// </summary>
    public static IReadOnlyList<TAnswer> WithExPension<TFlow, TSession, TAnswer>(IReadOnlyList<TFlow> flows, Func<TFlow, TSession> session,
        Func<TFlow, InvestorType> investor, Func<TFlow, FlowMeasures> measures, Func<TSession, string, FlowMeasures, bool, TAnswer> answer)
    {
        var result = new List<TAnswer>(flows.Count + flows.Count / 8);
        foreach (var day in flows.GroupBy(session).OrderBy(g => g.Key))
        {
            result.AddRange(day.Select(x => answer(day.Key, investor(x).Name(), measures(x), false)));
            if (ExPension(day, investor, measures) is { } derived)
            {
                result.Add(answer(day.Key, InvestorTypes.InstitutionExPension, derived, true));
            }
        }

        return result;
    }

    /// <summary>institution-total − pension of one session, or null unless both are stored (never double counted, never stored).</summary>
    private static FlowMeasures? ExPension<T>(IEnumerable<T> day, Func<T, InvestorType> type, Func<T, FlowMeasures> measures)
    {
        FlowMeasures? total = null, pension = null;
        foreach (var row in day)
        {
            switch (type(row))
            {
                case InvestorType.InstitutionTotal:
                    total = measures(row);
                    break;
                case InvestorType.Pension:
                    pension = measures(row);
                    break;
            }
        }

        return total is null || pension is null ? null : new FlowMeasures(
            total.BuyVolume - pension.BuyVolume, total.SellVolume - pension.SellVolume, total.NetVolume - pension.NetVolume,
            total.BuyValue - pension.BuyValue, total.SellValue - pension.SellValue, total.NetValue - pension.NetValue,
            DerivedSource, total.FetchedAt > pension.FetchedAt ? total.FetchedAt : pension.FetchedAt);
    }
}
