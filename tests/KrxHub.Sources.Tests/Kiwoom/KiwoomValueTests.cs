using KrxHub.Core;
using KrxHub.Sources.Kiwoom;

namespace KrxHub.Sources.Tests.Kiwoom;

public class KiwoomValueTests
{
    [Theory]
    [InlineData("+70700", "70700")]
    [InlineData("-78800", "78800")]
    [InlineData("70100", "70100")]
    [InlineData("00000197", "197")]
    [InlineData("-00000197", "197")]
    [InlineData(" +1234.5 ", "1234.5")]
    public void Prices_drop_the_sign_and_the_zero_padding_exactly(string text, string expected)
    {
        Assert.Equal(FieldStatus.Ok, KiwoomValue.TryPrice(text, out var price));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), price);
    }

    [Theory]
    [InlineData("-1234", "-1234")]
    [InlineData("+0.16", "0.16")]
    [InlineData("-0.42", "-0.42")]
    [InlineData("0", "0")]
    public void Signed_values_keep_their_sign(string text, string expected)
    {
        Assert.Equal(FieldStatus.Ok, KiwoomValue.TrySigned(text, out var value));
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), value);
    }

    [Fact]
    public void Zero_padded_counts_parse_to_long_without_loss()
    {
        Assert.Equal(FieldStatus.Ok, KiwoomValue.TryCount("0000000123759593", out var count));
        Assert.Equal(123_759_593L, count);
        Assert.Equal(FieldStatus.Ok, KiwoomValue.TryLong("-9263135", out var signed));
        Assert.Equal(-9_263_135L, signed);
        Assert.Equal(FieldStatus.Invalid, KiwoomValue.TryLong("1.5", out _));
    }

    [Theory]
    [InlineData("600", "2", 600)]
    [InlineData("+600", "1", 600)]
    [InlineData("600", "5", -600)]
    [InlineData("+600", "4", -600)]
    [InlineData("-600", "2", 600)]
    [InlineData("0", "3", 0)]
    [InlineData("-600", null, -600)]
    [InlineData("+600", "x", 600)]
    public void The_change_takes_its_direction_from_the_sign_code_when_there_is_one(string text, string? sign, int expected)
    {
        Assert.Equal(FieldStatus.Ok, KiwoomValue.TryChange(text, sign, out var change));
        Assert.Equal(expected, change);
    }

    [Theory]
    [InlineData("abc", FieldStatus.Invalid)]
    [InlineData("+-5", FieldStatus.Invalid)]
    [InlineData("70 700", FieldStatus.Invalid)]
    [InlineData("", FieldStatus.Missing)]
    [InlineData("  ", FieldStatus.Missing)]
    [InlineData(null, FieldStatus.Missing)]
    public void Bad_values_are_reported_as_missing_or_invalid_never_thrown(string? text, FieldStatus expected)
    {
        Assert.Equal(expected, KiwoomValue.TryPrice(text, out _));
        Assert.Equal(expected, KiwoomValue.TryCount(text, out _));
    }

    [Fact]
    public void Direction_codes_map_to_directions()
    {
        Assert.Equal(PriceDirection.LimitUp, KiwoomValue.Direction("1"));
        Assert.Equal(PriceDirection.Up, KiwoomValue.Direction("2"));
        Assert.Equal(PriceDirection.Unchanged, KiwoomValue.Direction("3"));
        Assert.Equal(PriceDirection.LimitDown, KiwoomValue.Direction("4"));
        Assert.Equal(PriceDirection.Down, KiwoomValue.Direction("5"));
        Assert.Null(KiwoomValue.Direction("9"));
        Assert.Null(KiwoomValue.Direction(null));
    }

    [Fact]
    public void Expires_dt_is_Korean_wall_clock_time()
    {
        // The official guide's example: 2024-11-07 08:37:13 in Seoul is 2024-11-06 23:37:13 UTC.
        Assert.Equal(FieldStatus.Ok, KiwoomValue.TryKstTime("20241107083713", out var expires));
        Assert.Equal(new DateTimeOffset(2024, 11, 6, 23, 37, 13, TimeSpan.Zero), expires);
        Assert.Equal(TimeSpan.FromHours(9), expires.Offset);
        Assert.Equal(FieldStatus.Invalid, KiwoomValue.TryKstTime("2024-11-07 08:37", out _));
        Assert.Equal(FieldStatus.Invalid, KiwoomValue.TryKstTime("20241307083713", out _));
    }

    [Theory]
    [InlineData("허용된 요청 개수를 초과하였습니다[1700:허용된 요청 개수를 초과하였습니다. API ID=kt00001]", 1700)]
    [InlineData("허용된 요청 개수를 초과하였습니다[1634]", 1634)]
    [InlineData("[x] then [1511:필수 입력 값]", 1511)]
    [InlineData("정상적으로 처리되었습니다", null)]
    [InlineData(null, null)]
    public void The_bracketed_detail_code_is_read_from_return_msg(string? message, int? expected) =>
        Assert.Equal(expected, KiwoomResponse.DetailCode(message));
}

public class KiwoomOptionsTests
{
    private static readonly KiwoomOptions Valid = new() { AppKey = "k", SecretKey = "s" };

    [Fact]
    public void Defaults_are_the_real_hosts_at_five_requests_a_second()
    {
        Assert.Null(Valid.Validate());
        Assert.Equal("https://api.kiwoom.com", Valid.EffectiveBaseUrl);
        Assert.Equal("wss://api.kiwoom.com:10000", Valid.EffectiveWsUrl);
        Assert.Equal(5, Valid.EffectiveRequestsPerSecond);
    }

    [Fact]
    public void Mock_selects_the_mock_hosts_and_one_request_a_second()
    {
        var mock = Valid with { Mock = true };
        Assert.Equal("https://mockapi.kiwoom.com", mock.EffectiveBaseUrl);
        Assert.Equal("wss://mockapi.kiwoom.com:10000", mock.EffectiveWsUrl);
        Assert.Equal(1, mock.EffectiveRequestsPerSecond);
        Assert.Equal(3, (mock with { RequestsPerSecond = 3 }).EffectiveRequestsPerSecond);
    }

    [Fact]
    public void Validate_names_the_missing_or_bad_setting_in_one_line()
    {
        Assert.Equal("KRXHUB_KIWOOM__APPKEY is required", new KiwoomOptions { SecretKey = "s" }.Validate());
        Assert.Equal("KRXHUB_KIWOOM__SECRETKEY is required", new KiwoomOptions { AppKey = "k" }.Validate());
        Assert.StartsWith("KRXHUB_KIWOOM__BASEURL ", (Valid with { BaseUrl = "api.kiwoom.com" }).Validate());
        Assert.StartsWith("KRXHUB_KIWOOM__REQUESTSPERSECOND ", (Valid with { RequestsPerSecond = 0 }).Validate());
        Assert.StartsWith("KRXHUB_KIWOOM__PAGECAP ", (Valid with { PageCap = 0 }).Validate());
        Assert.StartsWith("KRXHUB_KIWOOM__REQUESTTIMEOUT ", (Valid with { RequestTimeout = TimeSpan.Zero }).Validate());
        Assert.DoesNotContain('\n', (Valid with { PageCap = 0 }).Validate()!);
    }

    [Fact]
    public void Printing_the_options_does_not_print_the_key_or_the_secret()
    {
        var text = new KiwoomOptions { AppKey = "APPKEY-visible?", SecretKey = "SECRET-visible?" }.ToString();
        Assert.DoesNotContain("APPKEY-visible?", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SECRET-visible?", text, StringComparison.Ordinal);
        Assert.Contains("api.kiwoom.com", text, StringComparison.Ordinal);
        Assert.DoesNotContain("TOKEN-visible?", new CachedToken("TOKEN-visible?", DateTimeOffset.UnixEpoch, "x").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_limiter_turns_a_rate_into_permits_per_window()
    {
        var five = new KiwoomRateLimiter(5, TimeProvider.System);
        Assert.Equal((5, TimeSpan.FromSeconds(1)), (five.Permits, five.Window));
        var half = new KiwoomRateLimiter(0.5, TimeProvider.System);
        Assert.Equal((1, TimeSpan.FromSeconds(2)), (half.Permits, half.Window));
        var odd = new KiwoomRateLimiter(2.5, TimeProvider.System);
        Assert.Equal((2, TimeSpan.FromSeconds(1)), (odd.Permits, odd.Window));
    }
}
