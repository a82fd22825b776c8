using KrxHub.Core;

namespace KrxHub.Features.Collection;

/// <summary>What the hub collects and when, bound from the <c>Collection</c> section (KRXHUB_COLLECTION__…). Times are KST.</summary>
public sealed record CollectionSettings
{
    public const string SectionName = "Collection";

    /// <summary>Run the scheduler in `serve` (jobs run only for sources whose keys are set).</summary>
    public bool Schedule { get; init; } = true;

    /// <summary>Master refresh (ka10099) on sessions at <see cref="MasterAt"/>.</summary>
    public bool Master { get; init; } = true;

    /// <summary>End of day (ka10081 daily bars + ka10059 investor flows of every listed stock) on sessions at <see cref="EodAt"/>.</summary>
    public bool Eod { get; init; } = true;

    /// <summary>Minute bars (ka10080) of <see cref="Watchlist"/> every <see cref="MinuteEvery"/> during sessions.</summary>
    public bool Minute { get; init; } = true;

    /// <summary>All stocks of the session from the KRX Open API at <see cref="KrxDailyAt"/>.</summary>
    public bool KrxDaily { get; init; } = true;

    public TimeSpan MasterAt { get; init; } = new(8, 0, 0);

    /// <summary>After the after-hours single-price market (16:00–18:00) has ended.</summary>
    public TimeSpan EodAt { get; init; } = new(18, 0, 0);

    /// <summary>When KRX publishes a session's all-stock file is UNCONFIRMED; a session without rows yet is retried.</summary>
    public TimeSpan KrxDailyAt { get; init; } = new(18, 30, 0);

    public TimeSpan MinuteEvery { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Stock codes for minute bars, comma-separated: "005930,000660".</summary>
    public string? Watchlist { get; init; }

    /// <summary>Price basis of the end-of-day daily bars: raw (upd_stkpc_tp 0) or adjusted (1).</summary>
    public string DailyBasis { get; init; } = "raw";

    /// <summary>What the end-of-day investor job asks ka10059 for: value (amounts) or volume (shares); net buying.</summary>
    public string InvestorMeasure { get; init; } = "value";

    /// <summary>
    /// Whether ka10080's cntr_tm labels the start or the end of its minute. UNCONFIRMED (broker-apis.md gives no source):
    /// "start" stores it as the bar's start; "end" stores cntr_tm − 1 minute.
    /// </summary>
    public string MinuteBarTime { get; init; } = "start";

    /// <summary>How often the scheduler looks for due jobs.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a failed occurrence waits before the next attempt.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromMinutes(10);

    public IReadOnlyList<StockCode> WatchlistCodes => ParseCodes(Watchlist, out _);

    public PriceBasis Basis => PriceBases.TryParse(DailyBasis, out var b) ? b : PriceBasis.Raw;

    public bool InvestorVolume => string.Equals(InvestorMeasure.Trim(), "volume", StringComparison.OrdinalIgnoreCase);

    public bool MinuteLabelIsEnd => string.Equals(MinuteBarTime.Trim(), "end", StringComparison.OrdinalIgnoreCase);

    /// <summary>Null when usable; otherwise one line naming the bad setting by its environment name.</summary>
    public string? Validate()
    {
        ParseCodes(Watchlist, out var codeError);
        if (codeError is not null)
        {
            return $"KRXHUB_COLLECTION__WATCHLIST: {codeError}";
        }

        foreach (var (name, at) in new[] { ("MASTERAT", MasterAt), ("EODAT", EodAt), ("KRXDAILYAT", KrxDailyAt) })
        {
            if (at < TimeSpan.Zero || at >= TimeSpan.FromDays(1))
            {
                return $"KRXHUB_COLLECTION__{name} must be a time of day (KST) such as 18:00";
            }
        }

        if (MinuteEvery < TimeSpan.FromMinutes(1))
        {
            return "KRXHUB_COLLECTION__MINUTEEVERY must be at least 00:01:00";
        }

        if (!PriceBases.TryParse(DailyBasis, out _))
        {
            return $"KRXHUB_COLLECTION__DAILYBASIS '{DailyBasis}' is not raw or adjusted";
        }

        if (InvestorMeasure.Trim().ToUpperInvariant() is not ("VALUE" or "VOLUME"))
        {
            return $"KRXHUB_COLLECTION__INVESTORMEASURE '{InvestorMeasure}' is not value or volume";
        }

        if (MinuteBarTime.Trim().ToUpperInvariant() is not ("START" or "END"))
        {
            return $"KRXHUB_COLLECTION__MINUTEBARTIME '{MinuteBarTime}' is not start or end";
        }

        if (PollInterval < TimeSpan.FromMilliseconds(10) || RetryAfter < TimeSpan.Zero)
        {
            return "KRXHUB_COLLECTION__POLLINTERVAL must be positive and KRXHUB_COLLECTION__RETRYAFTER not negative";
        }

        return null;
    }

    /// <summary>Codes separated by commas or spaces; an empty text is an empty list.</summary>
    public static IReadOnlyList<StockCode> ParseCodes(string? text, out string? error)
    {
        error = null;
        var codes = new List<StockCode>();
        foreach (var part in (text ?? string.Empty).Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!StockCode.TryParse(part, out var code, out var problem))
            {
                error = problem;
                return [];
            }

            if (!codes.Contains(code))
            {
                codes.Add(code);
            }
        }

        return codes;
    }
}
