using System.CommandLine;
using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Conditions;
using KrxHub.Shared;
using KrxHub.Storage;
using Spectre.Console;

namespace KrxHub.Features.Conditions;

/// <summary>`krxhub conditions list|add|remove`: the saved conditions of the store, as /api/conditions manages them.</summary>
public static class ConditionsCommand
{
    public static Command Create()
    {
        var command = new Command("conditions", """
            List, add and remove saved conditions (docs/conditions.md). A running hub evaluates the active ones on their
            schedules and alerts over their channels.

            Examples:
              krxhub conditions add "5일선 돌파" "cross_up(close, sma(close, 5))" --market KOSDAQ --channels log,webhook
              krxhub conditions list
              krxhub conditions remove 3
            """);
        command.Subcommands.Add(List());
        command.Subcommands.Add(Add());
        command.Subcommands.Add(Remove());
        return command;
    }

    private static Command List()
    {
        var list = new Command("list", "The saved conditions");
        list.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            var table = new Table().AddColumns("id", "name", "expression", "market", "schedule", "channels", "active", "last run");
            foreach (var c in await store.GetConditionsAsync(ct))
            {
                table.AddRow(c.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(c.Name), Markup.Escape(c.Expression), c.Market?.Name() ?? "all",
                    c.Schedule == "eod" ? "eod" : $"{c.Schedule} {c.IntervalSeconds}s", string.Join(",", c.Channels), c.Active ? "yes" : "no",
                    c.LastRunAt?.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-");
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return list;
    }

    private static Command Add()
    {
        var name = new Argument<string>("name") { Description = "A unique name" };
        var expression = new Argument<string>("condition") { Description = "The condition, e.g. \"close > sma(close, 20)\"" };
        var market = new Option<string?>("--market") { Description = "KOSPI|KOSDAQ|KONEX (default: all)" };
        var schedule = new Option<string>("--schedule") { Description = "interval|on-tick|eod", DefaultValueFactory = _ => "interval" };
        var interval = new Option<int>("--interval") { Description = "Seconds between runs of an interval schedule (>= 5)", DefaultValueFactory = _ => ConditionsApi.DefaultIntervalSeconds };
        var channels = new Option<string>("--channels") { Description = "Comma-separated: log, webhook, slack, telegram, email", DefaultValueFactory = _ => "log" };
        var add = new Command("add", "Save a condition (checked as the API checks it)");
        add.Arguments.Add(name);
        add.Arguments.Add(expression);
        add.Options.Add(market);
        add.Options.Add(schedule);
        add.Options.Add(interval);
        add.Options.Add(channels);
        add.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var text = parse.GetValue(expression)!;
            ScreenCommand.ParseOrExit(text);

            Market? m = parse.GetValue(market) is { } mt
                ? Markets.TryParse(mt, out var pm) ? pm : throw new CliException($"--market '{mt}' is not KOSPI, KOSDAQ or KONEX", 2)
                : null;
            var s = parse.GetValue(schedule)!;
            if (s is not ("interval" or "on-tick" or "eod"))
            {
                throw new CliException($"--schedule '{s}' is not interval, on-tick or eod", 2);
            }

            var seconds = parse.GetValue(interval);
            if (seconds < ConditionsApi.MinimumIntervalSeconds)
            {
                throw new CliException($"--interval must be at least {ConditionsApi.MinimumIntervalSeconds} seconds", 2);
            }

            var list = parse.GetValue(channels)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(c => c.ToLowerInvariant()).ToList();
            if (list.FirstOrDefault(c => !AlertSettings.AllChannels.Contains(c)) is { } unknown)
            {
                throw new CliException($"--channels: '{unknown}' is not one of {string.Join(", ", AlertSettings.AllChannels)}", 2);
            }

            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            var saved = await store.SaveConditionAsync(new StoredCondition(0, parse.GetValue(name)!.Trim(), text.Trim(), m, true, s, seconds, list, default, default, null, null), ct)
                ?? throw new CliException($"a condition named '{parse.GetValue(name)}' exists", 2);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"condition {saved.Id} saved: {saved.Name}"));
            return 0;
        }));
        return add;
    }

    private static Command Remove()
    {
        var id = new Argument<long>("id") { Description = "The condition's id (see list)" };
        var remove = new Command("remove", "Delete a condition with its matches and history");
        remove.Arguments.Add(id);
        remove.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            if (!await store.DeleteConditionAsync(parse.GetValue(id), ct))
            {
                throw new CliException($"no condition {parse.GetValue(id)}", 1);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"condition {parse.GetValue(id)} removed"));
            return 0;
        }));
        return remove;
    }
}
