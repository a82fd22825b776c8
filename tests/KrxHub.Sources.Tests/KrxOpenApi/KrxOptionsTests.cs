using KrxHub.Sources.KrxOpenApi;
using Microsoft.Extensions.Configuration;

namespace KrxHub.Sources.Tests.KrxOpenApi;

public sealed class KrxOptionsTests
{
    [Fact]
    public void The_environment_keys_bind_to_the_options_and_the_defaults_are_the_documented_hosts()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            // What KRXHUB_KRX__AUTHKEY etc. become once the KRXHUB_ prefix is removed by the environment provider.
            ["Krx:AuthKey"] = "key-1",
            ["Krx:OpenApiUrl"] = "http://127.0.0.1:9/svc/apis",
            ["Krx:DataSystem:UseLoginSession"] = "true",
            ["Krx:DataSystem:LoginId"] = "member",
            ["Krx:DataSystem:Password"] = "secret",
        }).Build();

        var openApi = configuration.GetSection(KrxOpenApiOptions.SectionName).Get<KrxOpenApiOptions>()!;
        var dataSystem = configuration.GetSection(KrxDataSystemOptions.SectionName).Get<KrxDataSystemOptions>()!;

        Assert.Equal(("key-1", "http://127.0.0.1:9/svc/apis", "sto/stk_bydd_trd"), (openApi.AuthKey, openApi.OpenApiUrl, openApi.KospiDailyPath));
        Assert.Null(openApi.Validate());
        Assert.Equal((true, "member", "secret", "https://data.krx.co.kr"), (dataSystem.UseLoginSession, dataSystem.LoginId, dataSystem.Password, dataSystem.Url));
        Assert.Null(dataSystem.Validate());
        Assert.Equal("https://data-dbg.krx.co.kr/svc/apis", new KrxOpenApiOptions().OpenApiUrl);
        Assert.False(new KrxDataSystemOptions().UseLoginSession);
        Assert.Null(new KrxDataSystemOptions().Validate());
    }

    [Theory]
    [InlineData("", "KRXHUB_KRX__AUTHKEY is required (the key issued at openapi.krx.co.kr)")]
    [InlineData("url", "KRXHUB_KRX__OPENAPIURL must be an absolute http(s) URL such as https://data-dbg.krx.co.kr/svc/apis")]
    [InlineData("path", "KRXHUB_KRX__KONEXDAILYPATH must be a path below the Open API URL such as sto/stk_bydd_trd")]
    [InlineData("rate", "KRXHUB_KRX__REQUESTSPERSECOND must be a positive number")]
    [InlineData("timeout", "KRXHUB_KRX__REQUESTTIMEOUT must be positive (e.g. 00:00:30)")]
    [InlineData("retries", "KRXHUB_KRX__MAXRETRIES must not be negative")]
    public void Bad_Open_API_settings_are_named_in_one_line(string broken, string message)
    {
        var options = new KrxOpenApiOptions { AuthKey = "k" };
        options = broken switch
        {
            "" => options with { AuthKey = null },
            "url" => options with { OpenApiUrl = "data-dbg.krx.co.kr" },
            "path" => options with { KonexDailyPath = "https://elsewhere/knx" },
            "rate" => options with { RequestsPerSecond = 0 },
            "timeout" => options with { RequestTimeout = TimeSpan.Zero },
            _ => options with { MaxRetries = -1 },
        };

        Assert.Equal(message, options.Validate());
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => new KrxOpenApiClient(new HttpClient(), options, TimeProvider.System)).Message.Split(" (Parameter")[0]);
    }

    [Fact]
    public void Logging_in_needs_both_the_ID_and_the_password()
    {
        Assert.Equal("KRXHUB_KRX__DATASYSTEM__LOGINID is required when KRXHUB_KRX__DATASYSTEM__USELOGINSESSION is true",
            new KrxDataSystemOptions { UseLoginSession = true, Password = "p" }.Validate());
        Assert.Equal("KRXHUB_KRX__DATASYSTEM__PASSWORD is required when KRXHUB_KRX__DATASYSTEM__USELOGINSESSION is true",
            new KrxDataSystemOptions { UseLoginSession = true, LoginId = "m" }.Validate());
    }
}
