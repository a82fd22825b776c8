using System.Globalization;

namespace KrxHub.Sources.Simulation;

/// <summary>
/// Settings of the simulated exchange. <see cref="AlwaysOpen"/> runs a continuous demo session whatever the calendar
/// says (for off-hours use); <see cref="Seed"/> fixes the whole sequence of events for a given clock.
/// </summary>
public sealed record SimulatorOptions
{
    public const int DefaultSeed = 1;
    public const int DefaultTradesPerSecond = 1000;
    public const string AlwaysOpenVariable = "KRXHUB_SIMULATOR__ALWAYSOPEN";
    public const string SeedVariable = "KRXHUB_SIMULATOR__SEED";

    public int Seed { get; init; } = DefaultSeed;

    /// <summary>Trade as in the regular session at every hour of every day, ignoring the calendar.</summary>
    public bool AlwaysOpen { get; init; }

    /// <summary>Trades per second across all stocks during continuous trading (order books come with each).</summary>
    public int TradesPerSecond { get; init; } = DefaultTradesPerSecond;

    /// <summary>
    /// Command-line values win over the environment (<see cref="AlwaysOpenVariable"/>, <see cref="SeedVariable"/>),
    /// which wins over the defaults. A malformed environment value is an error, not a silent default.
    /// </summary>
    /// <param name="alwaysOpenOption">true: --sim-always-open; false: --sim-calendar; null: neither was given.</param>
    /// <param name="seedOption">--sim-seed, or null.</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <param name="defaultAlwaysOpen">
    /// The mode when neither the command line nor the environment says: `serve` without broker keys passes true, so a
    /// newcomer sees a moving (and clearly labelled) simulated market at any hour.
    /// </param>
    /// <exception cref="FormatException">An environment value is not a boolean or a whole number.</exception>
    public static SimulatorOptions Resolve(bool? alwaysOpenOption, int? seedOption, Func<string, string?> environment, bool defaultAlwaysOpen = false)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var alwaysOpen = alwaysOpenOption ?? defaultAlwaysOpen;
        if (alwaysOpenOption is null && environment(AlwaysOpenVariable) is { } flag && !string.IsNullOrWhiteSpace(flag))
        {
            alwaysOpen = flag.Trim().ToLowerInvariant() switch
            {
                "true" or "1" or "yes" => true,
                "false" or "0" or "no" => false,
                _ => throw new FormatException($"{AlwaysOpenVariable}='{flag}' is not a boolean; use true or false"),
            };
        }

        var seed = seedOption ?? DefaultSeed;
        if (seedOption is null && environment(SeedVariable) is { } text && !string.IsNullOrWhiteSpace(text))
        {
            if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out seed))
            {
                throw new FormatException($"{SeedVariable}='{text}' is not a whole number; use e.g. 42");
            }
        }

        return new SimulatorOptions { AlwaysOpen = alwaysOpen, Seed = seed };
    }
}
