using KrxHub.Sources.Simulation;

namespace KrxHub.Shared;

/// <summary>Where the hub keeps its data: a SQLite file in a data directory, or a PostgreSQL database.</summary>
public sealed record StoreLocation(string DataDirectory, string? Database)
{
    public const string DefaultDataDirectory = "krxhub-data";

    /// <summary>Command-line values win over KRXHUB_DATA_DIR / KRXHUB_DATABASE, which win over the defaults.</summary>
    public static StoreLocation Resolve(string? dataDirOption, string? databaseOption) => new(
        dataDirOption ?? Environment.GetEnvironmentVariable("KRXHUB_DATA_DIR") ?? DefaultDataDirectory,
        databaseOption ?? NullIfEmpty(Environment.GetEnvironmentVariable("KRXHUB_DATABASE")));

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    public string Describe() => Database is null
        ? $"SQLite at {Path.GetFullPath(Path.Combine(DataDirectory, "krxhub.db"))}"
        : "PostgreSQL";
}

/// <summary>Everything `serve` needs.</summary>
public sealed record HubOptions(StoreLocation Store, string Urls, bool LoadBundledData)
{
    public const string DefaultUrls = "http://127.0.0.1:5080";

    /// <summary>Test hooks: a fixed clock, and quiet logs.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    public bool ShowProgress { get; init; } = true;

    /// <summary>The live bus and /ws settings.</summary>
    public Features.Live.LiveOptions Live { get; init; } = new();

    /// <summary>The live feed this node runs when it wins the live-source election (tests inject one; null: the default).</summary>
    public Core.Live.ILiveFeed? LiveFeed { get; init; }

    /// <summary>`serve --replay`: a recording is the live source instead of Kiwoom or the simulator (Features/Replay).</summary>
    public Features.Replay.ReplayOptions? Replay { get; init; }

    /// <summary>The simulated exchange, the default live source when no broker keys are set.</summary>
    public Sources.Simulation.SimulatorOptions Simulator { get; init; } = new();

    /// <summary>Sources and collection (KRXHUB_KIWOOM__…, KRXHUB_COLLECTION__…); none by default.</summary>
    public HubSettings Settings { get; init; } = HubSettings.None;

    /// <summary>Test hook: false leaves the condition scheduler and the alert sender to the test (it calls them itself).</summary>
    public bool RunConditionWorkers { get; init; } = true;

    /// <summary>--insecure-open: serve without keys on a non-loopback address (refused otherwise).</summary>
    public bool InsecureOpen { get; init; }

    /// <summary>Whether this hub may run without keys, from the addresses it listens on.</summary>
    public Features.Access.AccessMode Access => new(Features.Access.AccessMode.IsLoopbackOnly(Urls), InsecureOpen);

    /// <summary>Test hook: extra log providers (e.g. one that captures every line).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}
