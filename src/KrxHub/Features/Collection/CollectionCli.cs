using System.CommandLine;
using System.Globalization;
using KrxHub.Core;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;
using KrxHub.Storage;
using Spectre.Console;

namespace KrxHub.Features.Collection;

/// <summary>What `collect` and `backfill` share: their options, and a store with the jobs over it.</summary>
internal sealed class CollectionCli : IAsyncDisposable
{
    public static readonly Option<string?> Codes = new("--codes")
    {
        Description = "Stock codes, comma-separated (default: every listed stock; for minute: KRXHUB_COLLECTION__WATCHLIST)",
    };

    public static readonly Option<string?> Basis = new("--basis") { Description = "raw|adjusted: price basis of daily bars (default raw)" };

    private readonly ILoggerFactory _loggers;

    private CollectionCli(MarketStore store, KrxCalendar calendar, CollectionJobs jobs, ILoggerFactory loggers)
    {
        Store = store;
        Calendar = calendar;
        Jobs = jobs;
        _loggers = loggers;
    }

    public MarketStore Store { get; }

    public KrxCalendar Calendar { get; }

    public CollectionJobs Jobs { get; }

    public static TimeProvider Time => TimeProvider.System;

    /// <summary>Settings and the calendar first (a missing key or a bad calendar file fails before the store is touched), then the store and the Kiwoom client.</summary>
    public static async Task<CollectionCli> OpenAsync(ParseResult parse, HubSettings settings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var calendar = CalendarFiles.Load(parse, settings.Calendar);
        var store = await CliSupport.OpenStoreAsync(parse, ct);
        // Warnings (retries, the breaker) go to stderr, one line each; the token and keys are never logged.
        var loggers = LoggerFactory.Create(b => b
            .AddSimpleConsole(o => o.SingleLine = true)
            .AddFilter("Microsoft", LogLevel.Warning)
            .SetMinimumLevel(LogLevel.Warning));
        var kiwoom = settings.Kiwoom is { } options
            ? KiwoomWiring.CreateClient(options, store, Time, loggers.CreateLogger<Sources.Kiwoom.KiwoomClient>(), settings.Secrets.Box)
            : null;
        var krx = settings.Krx is { } krxOptions
            ? new Sources.KrxOpenApi.KrxOpenApiClient(new HttpClient(), krxOptions, Time, null, loggers.CreateLogger<Sources.KrxOpenApi.KrxOpenApiClient>())
            : null;
        return new CollectionCli(store, calendar, new CollectionJobs(store, calendar, Time, settings, kiwoom, krx), loggers);
    }

    public static IReadOnlyList<StockCode>? ParseCodes(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(Codes) is not { } text)
        {
            return null;
        }

        var codes = CollectionSettings.ParseCodes(text, out var error);
        return error is not null ? throw new CliException($"--codes: {error}", 2)
            : codes.Count == 0 ? throw new CliException("--codes is empty", 2)
            : codes;
    }

    public static PriceBasis ParseBasis(ParseResult parse, CollectDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(Basis) is not { } text)
        {
            return PriceBasis.Raw;
        }

        if (dataset != CollectDataset.Daily)
        {
            throw new CliException($"--basis applies to daily bars only, not to {dataset.Name()}", 2);
        }

        return PriceBases.TryParse(text, out var basis) ? basis : throw new CliException($"--basis '{text}' is not raw or adjusted", 2);
    }

    public static DateOnly ParseDate(string option, string text) =>
        KrxText.TryDate(text, out var d) == FieldStatus.Ok ? d : throw new CliException($"{option} '{text}' is not a date; use yyyy-MM-dd", 2);

    /// <summary>Codes must be in the master: a collection for an unknown stock would only fill the quarantine.</summary>
    public async Task CheckKnownAsync(IReadOnlyList<StockCode>? codes, CancellationToken ct)
    {
        foreach (var code in codes ?? [])
        {
            if (await Store.GetStockAsync(code, ct) is null)
            {
                throw new CliException($"--codes: {code.Value} is not in the stock master (run `krxhub collect master` or import a listing first)", 2);
            }
        }
    }

    /// <summary>Fails in one line when the source of <paramref name="dataset"/> has no keys; returns its request limit.</summary>
    public static double RequireSource(HubSettings settings, CollectDataset dataset, string verb)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return dataset.FromKrx()
            ? settings.RequireKrx($"`{verb} {dataset.Name()}`").RequestsPerSecond
            : settings.RequireKiwoom($"`{verb} {dataset.Name()}`").EffectiveRequestsPerSecond;
    }

    public static void PrintOutcome(string title, CollectionOutcome outcome, TimeSpan elapsed, double? rateLimit)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        static string N(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
        var table = new Table().Title(Markup.Escape(title)).AddColumns("measure", "value");
        table.AddRow("units fetched", N(outcome.UnitsPlanned - outcome.UnitsFailed));
        if (outcome.UnitsFailed > 0)
        {
            table.AddRow("units failed (quarantined, fetched again next time)", N(outcome.UnitsFailed));
        }

        if (outcome.UnitsIncomplete > 0)
        {
            table.AddRow("units short of their range (not recorded as complete)", N(outcome.UnitsIncomplete));
        }

        table.AddRow("requests", N(outcome.Requests));
        table.AddRow("rows read", N(outcome.RowsRead));
        table.AddRow("accepted", N(outcome.Accepted));
        table.AddRow("quarantined", N(outcome.Quarantined));
        foreach (var (reason, n) in outcome.Runs.SelectMany(r => r.QuarantinedByReason).GroupBy(kv => kv.Key).Select(g => (g.Key, g.Sum(kv => kv.Value))).OrderByDescending(x => x.Item2))
        {
            table.AddRow($"  {reason}", N(n));
        }

        table.AddRow("written (new or changed)", N(outcome.Changed));
        table.AddRow("runs", outcome.Runs.Count == 0 ? "-" : string.Join(", ", outcome.Runs.Select(r => r.RunId.ToString(CultureInfo.InvariantCulture))));
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-3);
        var rate = outcome.Requests / seconds;
        table.AddRow("time", string.Create(CultureInfo.InvariantCulture,
            $"{elapsed.TotalSeconds:F1} s, {rate:F2} requests/s{(rateLimit is { } limit ? $" ({rate / limit:P0} of the {limit:0.##}/s limit)" : string.Empty)}"));
        AnsiConsole.Write(table);
        foreach (var note in outcome.Runs.SelectMany(r => r.Notes).Distinct())
        {
            Console.WriteLine($"note: {note}");
        }

        if (outcome.UnitsIncomplete > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"incomplete: {outcome.UnitsIncomplete:N0} unit(s) stopped short of their range at the page guard (KRXHUB_KIWOOM__PAGECAP plus the pages the range needs); what they got is promoted, but they are not recorded as complete (exit code {IncompleteExitCode})"));
        }
    }

    /// <summary>`collect` and `backfill` finished, but some units are short of their range.</summary>
    public const int IncompleteExitCode = 3;

    /// <summary>0, or <see cref="IncompleteExitCode"/> when a unit is short of its range.</summary>
    public static int ExitCode(CollectionOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return outcome.UnitsIncomplete > 0 ? IncompleteExitCode : 0;
    }

    public async ValueTask DisposeAsync()
    {
        if (Jobs.Kiwoom is { } client && Jobs.Settings.RevokeKiwoomTokenOnShutdown)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await client.RevokeTokenAsync(timeout.Token);
            }
            catch (Exception e) when (e is Sources.Kiwoom.KiwoomException or OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"warning: the Kiwoom token was not revoked: {e.Message.ReplaceLineEndings(" ")}");
            }
        }

        await Store.DisposeAsync();
        _loggers.Dispose();
    }
}
