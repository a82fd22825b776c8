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

public class KrxTextTests
{
    [Theory]
    [InlineData("79600", "79600")]
    [InlineData("79600.0", "79600.0")]
    [InlineData("+70700", "70700")]
    [InlineData("-78800", "-78800")]
    [InlineData("000070700", "70700")]
    [InlineData("0.4024", "0.4024")]
    [InlineData("-0.11", "-0.11")]
    [InlineData("2,975,231,937,664", "2975231937664")]
    [InlineData("1.5e3", "1500")]
    [InlineData("1356958225913.0", "1356958225913.0")]
    [InlineData("123456789012345678901234", "123456789012345678901234")]
    [InlineData("212969.123456789012", "212969.123456789012")]
    public void Numbers_parse_exactly_in_every_KRX_and_Kiwoom_spelling(string text, string expected)
    {
        var status = KrxText.TryDecimal(text, out var value);
        if (text == "1.5e3")
        {
            Assert.Equal(FieldStatus.Invalid, status); // exponents are not a KRX spelling
            return;
        }

        Assert.Equal(FieldStatus.Ok, status);
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Theory]
    [InlineData("", FieldStatus.Missing)]
    [InlineData("-", FieldStatus.Missing)]
    [InlineData(" ", FieldStatus.Missing)]
    [InlineData("abc", FieldStatus.Invalid)]
    [InlineData("12a", FieldStatus.Invalid)]
    [InlineData("+", FieldStatus.Invalid)]
    [InlineData("1..2", FieldStatus.Invalid)]
    public void Missing_and_malformed_numbers_are_told_apart(string text, FieldStatus expected)
    {
        Assert.Equal(expected, KrxText.TryDecimal(text, out _));
    }
}
