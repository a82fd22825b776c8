using Microsoft.Extensions.Configuration;
using KrxHub.Features.Access;
using KrxHub.Storage;

namespace KrxHub.Tests;

/// <summary>`krxhub keys` and the start rule, through the real binary.</summary>
public sealed class KeysCliTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Fact]
    public async Task Keys_are_printed_once_stored_hashed_listed_by_prefix_and_revoked()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var added = await CliProcess.RunAsync(null, ["keys", "add", "--name", "ops", "--role", "admin", .. test.CliArgs]);
        Assert.True(added.ExitCode == 0, added.Stderr);
        var key = added.Stdout.Trim();
        Assert.StartsWith(ApiKeys.Scheme, key, StringComparison.Ordinal);
        Assert.Equal(47, key.Length);

        var again = await CliProcess.RunAsync(null, ["keys", "add", "--name", "ops", .. test.CliArgs]);
        Assert.Equal(2, again.ExitCode);
        var badRole = await CliProcess.RunAsync(null, ["keys", "add", "--name", "x", "--role", "root", .. test.CliArgs]);
        Assert.Equal("error: --role 'root' is not read or admin", badRole.Stderr.Trim());

        var list = await CliProcess.RunAsync(null, ["keys", "list", .. test.CliArgs]);
        Assert.Contains(key[..ApiKeys.PrefixLength], list.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(key, list.Stdout, StringComparison.Ordinal);

        await using (var store = await test.OpenAsync())
        {
            Assert.NotNull(await store.FindActiveApiKeyAsync(ApiKeys.Hash(key), Ct));
            var file = await File.ReadAllBytesAsync(Path.Combine(test.DataDirectory, "krxhub.db"), Ct);
            Assert.DoesNotContain(key, System.Text.Encoding.ASCII.GetString(file), StringComparison.Ordinal); // only the hash is kept
        }

        var revoked = await CliProcess.RunAsync(null, ["keys", "revoke", key[..ApiKeys.PrefixLength], .. test.CliArgs]);
        Assert.True(revoked.ExitCode == 0, revoked.Stderr);
        Assert.Contains("revoked admin key 'ops'", revoked.Stdout, StringComparison.Ordinal);
        await using var check = await test.OpenAsync();
        Assert.Null(await check.FindActiveApiKeyAsync(ApiKeys.Hash(key), Ct));
        Assert.Equal(1, (await CliProcess.RunAsync(null, ["keys", "revoke", "ops", .. test.CliArgs])).ExitCode);
    }

    [Fact]
    public async Task Serve_refuses_a_public_address_without_an_admin_key_before_it_binds()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        // Nothing binds: the check runs before the web host starts.
        var refused = await CliProcess.RunAsync(null, ["serve", "--no-bundled", "--urls", "http://0.0.0.0:0", .. test.CliArgs]);
        Assert.Equal(2, refused.ExitCode);
        Assert.StartsWith("error: refusing to listen on a non-loopback address without an admin API key", refused.Stderr.Trim(), StringComparison.Ordinal);

        var readOnly = await CliProcess.RunAsync(null, ["keys", "add", "--name", "notebook", "--role", "read", .. test.CliArgs]);
        Assert.Equal(0, readOnly.ExitCode);
        var stillRefused = await CliProcess.RunAsync(null, ["serve", "--no-bundled", "--urls", "http://*:0", .. test.CliArgs]);
        Assert.Equal(2, stillRefused.ExitCode); // a read key is not enough
    }

    [Fact]
    public async Task A_setting_given_as_a_file_is_read_from_the_file_and_an_unreadable_one_names_only_its_path()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        var missing = Path.Combine(test.DataDirectory, "no-such-secret");
        var result = await CliProcess.RunAsync(new Dictionary<string, string?> { ["KRXHUB_KIWOOM__SECRETKEY_FILE"] = missing, ["KRXHUB_KIWOOM__APPKEY"] = "app" },
            ["collect", "daily", .. test.CliArgs]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal($"error: KRXHUB_KIWOOM__SECRETKEY_FILE: cannot read '{missing}' (FileNotFoundException)", result.Stderr.Trim());

        var secretFile = Path.Combine(test.DataDirectory, "kiwoom-secret");
        await File.WriteAllTextAsync(secretFile, "from-a-file\n", Ct);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kiwoom:AppKey"] = "app",
            ["Kiwoom:SecretKey_FILE"] = secretFile,
        }).Build();
        Assert.Equal("from-a-file", Shared.HubSettings.From(configuration).Kiwoom!.SecretKey);
    }
}
