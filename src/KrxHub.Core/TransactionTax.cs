namespace KrxHub.Core;

/// <summary>
/// The sell-side securities transaction tax (incl. the KOSPI rural special tax) as dated data. A rate applies by
/// settlement date (trade date T+2 sessions), so a change dated 1 January reaches trades two sessions earlier.
/// Source: ../shared/docs/krx-rules.md, which cites each row.
/// </summary>
public static class TransactionTax
{
    /// <summary>Sessions between trade and settlement (T+2).</summary>
    public const int SettlementLag = 2;

    private static readonly (DateOnly From, decimal Kospi, decimal Kosdaq, decimal Konex)[] Rates =
    [
        // Before 2019-06-03: 0.15% tax + 0.15% rural special tax on KOSPI; 0.30% on KOSDAQ and KONEX.
        (DateOnly.MinValue, 0.0030m, 0.0030m, 0.0030m),
        // Enforcement decree change of 2019-05-21 (Hankook Ilbo 2019-05-21, FnTimes 2019-06-02): trades from 2019-05-30.
        (new DateOnly(2019, 6, 3), 0.0025m, 0.0025m, 0.0010m),
        // 2020 tax-law revision (Hankyung 2020-07-22).
        (new DateOnly(2021, 1, 1), 0.0023m, 0.0023m, 0.0010m),
        // Broker notices.
        (new DateOnly(2023, 1, 1), 0.0020m, 0.0020m, 0.0010m),
        // Broker notices (e.g. Hanyang Securities 2024-12-26, listing 0.18% before the 2025 change).
        (new DateOnly(2024, 1, 1), 0.0018m, 0.0018m, 0.0010m),
        // Same notice: 0.00% tax + 0.15% rural special tax; trades from 2024-12-27.
        (new DateOnly(2025, 1, 1), 0.0015m, 0.0015m, 0.0010m),
        // 2025 tax reform, restored after the financial investment income tax was abolished (reports of January 2026).
        (new DateOnly(2026, 1, 1), 0.0020m, 0.0020m, 0.0010m),
    ];

    /// <summary>The sell tax rate for a settlement date and market.</summary>
    public static decimal RateBySettlement(DateOnly settlementDate, Market market)
    {
        var row = Rates[0];
        foreach (var candidate in Rates)
        {
            if (candidate.From <= settlementDate)
            {
                row = candidate;
            }
            else
            {
                break;
            }
        }

        return market switch
        {
            Market.Kospi => row.Kospi,
            Market.Kosdaq => row.Kosdaq,
            _ => row.Konex,
        };
    }

    /// <summary>The settlement date of a trade: the second KRX session after it (or two weekdays when the calendar ends).</summary>
    public static DateOnly SettlementDate(DateOnly tradeDate, KrxCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var date = tradeDate;
        for (var i = 0; i < SettlementLag; i++)
        {
            date = calendar.NextSession(date) ?? NextWeekday(date);
        }

        return date;
    }

    /// <summary>The sell tax rate for a trade executed on <paramref name="tradeDate"/>.</summary>
    public static decimal RateForTrade(DateOnly tradeDate, Market market, KrxCalendar calendar) =>
        RateBySettlement(SettlementDate(tradeDate, calendar), market);

    private static DateOnly NextWeekday(DateOnly date)
    {
        var next = date.AddDays(1);
        while (next.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday)
        {
            next = next.AddDays(1);
        }

        return next;
    }
}
