using KrxHub.Core.Conditions;

namespace KrxHub.Core.Tests.Conditions;

/// <summary>The condition language: precedence, and every kind of error with the column it names.</summary>
public class ConditionParserTests
{
    [Fact]
    public void The_issue_example_parses_with_and_binding_tighter_than_or_and_arithmetic_inside_comparisons()
    {
        var node = ConditionParser.Parse("market == KOSDAQ and close > sma(close, 20) and volume > 3 * avg(volume, 20) and change_pct between 3 and 15 and netbuy(foreign, 5) > 0");
        Assert.Equal("(((((market == KOSDAQ) and (close > sma(close, 20))) and (volume > (3 * avg(volume, 20)))) and (change_pct between 3 and 15)) and (netbuy(foreign, 5) > 0))", node.Text);

        Assert.Equal("((close > 1) or ((open > 2) and (low > 3)))", ConditionParser.Parse("close > 1 or open > 2 and low > 3").Text);
        Assert.Equal("((close - (open * 2)) > ((high - low) / 2))", ConditionParser.Parse("close - open * 2 > (high - low) / 2").Text);
        Assert.Equal("not ((close > open))", ConditionParser.Parse("not close > open").Text);
        Assert.Equal("(rsi(close, 14) < 30)", ConditionParser.Parse("RSI(close) < 30").Text); // defaults filled in, case-insensitive
        Assert.Equal("(market == KOSPI)", ConditionParser.Parse("market = KOSPI").Text);
        Assert.Equal("(netbuy(institution-total, 3) > -1000)", ConditionParser.Parse("netbuy(institution_total, 3) > -(1000)").Text);
    }

    [Theory]
    [InlineData("close > sam(close, 20)", 9, "unknown function 'sam'; did you mean 'sma'?")]
    [InlineData("clsoe > 100", 1, "unknown field 'clsoe'; did you mean 'close'?")]
    [InlineData("close > 100 @ 3", 13, "unexpected character '@'")]
    [InlineData("close > (open + 1", 18, "expected ')' to close the '(' at col 9, found the end of the condition")]
    [InlineData("close > and open", 9, "expected a value before 'and'")]
    [InlineData("close + 1", 7, "a condition must be true or false")]
    [InlineData("market < KOSDAQ", 8, "text (market) can only be compared with == or !=")]
    [InlineData("KOSDAQ == \"KOSDAQ\"", 1, "compare a text field (market, industry, code, name) with a value")]
    [InlineData("close between 3 or 4", 17, "expected 'and' after 'between 3'")]
    [InlineData("sma(close) > 1", 10, "sma(x, n): missing n")]
    [InlineData("sma(close, 20, 3) > 1", 16, "sma(x, n): too many arguments")]
    [InlineData("sma(close, open) > 1", 12, "sma(x, n): n must be a number written out, not 'open'")]
    [InlineData("sma(close, 2.5) > 1", 12, "n must be a whole number from 1 to 5000, not 2.5")]
    [InlineData("netbuy(aliens, 5) > 0", 8, "unknown investor type 'aliens'")]
    [InlineData("name == \"삼성", 9, "text starting here has no closing \"")]
    [InlineData("close > 1 2", 11, "expected 'and', 'or' or the end of the condition, found '2'")]
    [InlineData("   ", 1, "the condition is empty")]
    [InlineData("close > market", 9, "'market' is text and 'close' is a number")]
    [InlineData("cross_up(close) ", 15, "cross_up(a, b): missing argument 2")]
    [InlineData("macd(close, 26, 12) > 0", 1, "fast (26) must be shorter than slow (12)")]
    [InlineData("not close", 5, "'not' needs a truth value, but 'close' is a number")]
    public void Every_error_names_its_column_and_what_was_expected(string text, int column, string problem)
    {
        var e = Assert.Throws<ConditionException>(() => ConditionParser.Parse(text));
        Assert.Equal(column, e.Column);
        Assert.Contains(problem, e.Problem, StringComparison.Ordinal);
        Assert.StartsWith($"col {column}: ", e.Message, StringComparison.Ordinal);
    }
}
