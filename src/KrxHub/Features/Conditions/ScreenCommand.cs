using System.CommandLine;
using System.Globalization;
using KrxHub.Core;
using KrxHub.Core.Conditions;
using KrxHub.Features.TradingCalendar;
using KrxHub.Shared;
using Spectre.Console;

namespace KrxHub.Features.Conditions;

/// <summary>`krxhub screen "&lt;condition&gt;"`: what POST /api/screen answers, as a table.</summary>
public static class ScreenCommand
{
    public static Command Create()
    {
        var expression = new Argument<string>("condition") { Description = "The condition, e.g. \"close > sma(close, 20) and volume > 3 * avg(volume, 20)\"" };
        var date = new Option<string?>("--date") { Description = "Session yyyy-MM-dd (default: the latest session with bars)" };
        var market = new Option<string?>("--market") { Description = "KOSPI|KOSDAQ|KONEX (default: all)" };
        var basis = new Option<string?>("--basis") { Description = "raw|adjusted (default adjusted)" };
        var limit = new Option<int>("--limit") { Description = "Matches to print (all are counted)", DefaultValueFactory = _ => 50 };
        var command = new Command("screen", """
            Screen the listed universe with a condition on a stored session. The language is in docs/conditions.md.
            Exit code 0 with or without matches; 2 for a bad condition (the message names the column); 1 without data.

            Examples:
              krxhub screen "close > sma(close, 20) and volume > 3 * avg(volume, 20)" --date 2025-06-16
              krxhub screen "market == KOSDAQ and change_pct between 3 and 15" --limit 10
            """);
        command.Arguments.Add(expression);
        command.Options.Add(date);
        command.Options.Add(market);
        command.Options.Add(basis);
        command.Options.Add(limit);
        command.Options.Add(CalendarFiles.ExtensionFile);
        command.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var text = parse.GetValue(expression)!;
            var condition = ParseOrExit(text);

            DateOnly? day = null;
            if (parse.GetValue(date) is { } d)
            {
                day = DateOnly.TryParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
                    ? parsed : throw new CliException($"--date '{d}' is not a date; use yyyy-MM-dd", 2);
            }

            Market? m = parse.GetValue(market) is { } mt
                ? Markets.TryParse(mt, out var pm) ? pm : throw new CliException($"--market '{mt}' is not KOSPI, KOSDAQ or KONEX", 2)
                : null;
            var b = parse.GetValue(basis) is { } bt
                ? PriceBases.TryParse(bt, out var pb) ? pb : throw new CliException($"--basis '{bt}' is not raw or adjusted", 2)
                : PriceBasis.Adjusted;
            var calendar = CalendarFiles.Load(parse);
            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            ScreenResultDto result;
            try
            {
                result = await Screening.RunAsync(store, calendar, condition, text, m, day, b, KrxCalendar.KstDate(TimeProvider.System.GetUtcNow()), ct);
            }
            catch (ScreenException e)
            {
                throw new CliException(e.Message, 1);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Date:yyyy-MM-dd} ({result.Basis}): {result.Matched:N0} of {result.Universe:N0} listed stocks match; {result.NotEnoughHistory:N0} without enough history, {result.WithoutBar:N0} without a bar that day"));
            if (result.Stocks.Count == 0 || parse.GetValue(limit) <= 0)
            {
                return 0;
            }

            var table = new Table().AddColumns("code", "name", "market", "close");
            var columns = result.Stocks[0].Values.Keys.ToList();
            foreach (var c in columns)
            {
                table.AddColumn(new TableColumn(Markup.Escape(c)).RightAligned());
            }

            foreach (var s in result.Stocks.Take(parse.GetValue(limit)))
            {
                table.AddRow([s.Code, Markup.Escape(s.Name), s.Market, s.Close.ToString("N0", CultureInfo.InvariantCulture),
                    .. columns.Select(c => Markup.Escape(Format(s.Values[c])))]);
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    /// <summary>The condition, or exit 2 with the message and a caret under its column.</summary>
    internal static ConditionNode ParseOrExit(string text)
    {
        try
        {
            return ConditionParser.Parse(text);
        }
        catch (ConditionException e)
        {
            throw new CliException($"{e.Message}\n  {text}\n  {new string(' ', e.Column - 1)}^", 2);
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "-",
        decimal d => Math.Round(d, 2).ToString("#,0.##", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => value.ToString() ?? "-",
    };
}
