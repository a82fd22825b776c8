using KrxHub.Core;

namespace KrxHub.Core.Tests;

public class StockCodeTests
{
    [Theory]
    [InlineData("005930")]
    [InlineData("0126Z0")] // post-2024 alphanumeric code
    [InlineData("00104K")] // old preferred share
    [InlineData("0126z0", "0126Z0")]
    [InlineData(" 005930 ", "005930")]
    public void Valid_codes_parse_and_normalise(string text, string? expected = null)
    {
        Assert.Equal(expected ?? text, StockCode.Parse(text).Value);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("5930", "exactly 6 characters")]
    [InlineData("KR7005930003", "exactly 6 characters")]
    [InlineData("06031012", "exactly 6 characters")]
    [InlineData("A05930", "must start with a digit")]
    [InlineData("00593-", "only digits and A-Z")]
    [InlineData("00593가", "only digits and A-Z")]
    public void Invalid_codes_are_rejected_with_a_clear_message(string text, string message)
    {
        Assert.False(StockCode.TryParse(text, out _, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
        var e = Assert.Throws<FormatException>(() => StockCode.Parse(text));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
