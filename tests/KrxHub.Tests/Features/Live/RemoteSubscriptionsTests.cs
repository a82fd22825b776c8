using System.Text;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Features.Live;
using KrxHub.Hosting;
using KrxHub.Shared;
using KrxHub.Sources.Import;

namespace KrxHub.Tests;

/// <summary>The code sets nodes announce on the backplane: split into payloads, assembled per (node, version), expired.</summary>
public class RemoteSubscriptionsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(6);

    /// <summary>The first <paramref name="count"/> listed codes of the bundled KRX master.</summary>
    internal static List<StockCode> MasterCodes(int count)
    {
        var codes = MasterFiles.ReadListed(BundledData.Master).Records.Select(s => s.Code).Distinct().Take(count).ToList();
        Assert.Equal(count, codes.Count);
        return codes;
    }

    private static SubscriptionPart Parse(string payload, out string node)
    {
        using var document = JsonDocument.Parse(payload);
        node = document.RootElement.GetProperty("n").GetString()!;
        return SubscriptionPart.Read(document.RootElement.GetProperty("subs"));
    }

    private static IEnumerable<SubscriptionPart> Parts(string node, long version, params string[] codes) =>
        SubscriptionPart.Payloads(node, version, codes.Select(StockCode.Parse).ToList(), PostgresBackplane.MaxPayloadBytes)
            .Select(p => Parse(p, out _));

    private static string[] Codes(RemoteCodes remote) => [.. remote.Codes.Select(c => c.Value).Order(StringComparer.Ordinal)];

    [Fact]
    public void A_set_of_2000_master_codes_is_split_under_the_payload_limit_and_counts_only_once_every_part_arrived()
    {
        var codes = MasterCodes(2_000);
        var payloads = SubscriptionPart.Payloads("vm:1234:abcd0001", 7, codes, PostgresBackplane.MaxPayloadBytes);

        // 2,000 codes of 9 bytes each ("005930",) need three payloads of under 7,900 bytes (PostgreSQL refuses 8,000).
        Assert.Equal(3, payloads.Count);
        Assert.All(payloads, p => Assert.InRange(Encoding.UTF8.GetByteCount(p), 1, PostgresBackplane.MaxPayloadBytes));

        var remote = new RemoteSubscriptions(Timeout);
        var now = TimeSpan.FromSeconds(100);
        // Parts may come in any order; nothing of the set counts until the last one.
        foreach (var payload in payloads.AsEnumerable().Reverse().SkipLast(1))
        {
            var part = Parse(payload, out var node);
            Assert.Equal("vm:1234:abcd0001", node);
            Assert.Equal(7, part.Version);
            Assert.Equal(3, part.Parts);
            Assert.False(remote.Accept(node, part, now));
            Assert.Empty(remote.Snapshot(now).Codes);
        }

        Assert.True(remote.Accept("vm:1234:abcd0001", Parse(payloads[0], out _), now));
        var snapshot = remote.Snapshot(now);
        Assert.True(snapshot.Codes.SetEquals(codes));
        Assert.Equal(2_000, snapshot.Codes.Count);
        Assert.Equal(1, snapshot.Nodes);
    }

    [Fact]
    public void A_complete_newer_set_replaces_the_node_s_previous_one_and_parts_of_an_older_set_are_ignored()
    {
        var remote = new RemoteSubscriptions(Timeout);
        var now = TimeSpan.FromSeconds(10);
        foreach (var part in Parts("b", 1, "005930", "000660"))
        {
            remote.Accept("b", part, now);
        }

        foreach (var part in Parts("c", 4, "000660", "035420"))
        {
            remote.Accept("c", part, now);
        }

        var both = remote.Snapshot(now);
        Assert.Equal(["000660", "005930", "035420"], Codes(both));
        Assert.Equal(2, both.Nodes);

        // The same set again (a heartbeat) changes nothing, not even the version.
        foreach (var part in Parts("b", 1, "005930", "000660"))
        {
            Assert.False(remote.Accept("b", part, now));
        }

        Assert.Equal(both.Version, remote.Snapshot(now).Version);

        // b's clients left 005930: its new set replaces the old one whole.
        foreach (var part in Parts("b", 2, "000660"))
        {
            Assert.True(remote.Accept("b", part, now));
        }

        var replaced = remote.Snapshot(now);
        Assert.Equal(["000660", "035420"], Codes(replaced));
        Assert.NotEqual(both.Version, replaced.Version);

        // A late part of b's first set (from another connection) does not bring 005930 back.
        foreach (var part in Parts("b", 1, "005930", "000660"))
        {
            Assert.False(remote.Accept("b", part, now));
        }

        Assert.Equal(["000660", "035420"], Codes(remote.Snapshot(now)));

        // An empty set is a set: b follows nothing now, and no longer counts as a node that contributes codes.
        foreach (var part in Parts("b", 3))
        {
            Assert.True(remote.Accept("b", part, now));
        }

        // 000660 is still followed by c.
        var emptied = remote.Snapshot(now);
        Assert.Equal(["000660", "035420"], Codes(emptied));
        Assert.Equal(1, emptied.Nodes);
    }

    [Fact]
    public void A_new_version_that_starts_before_the_old_one_completed_wins_and_the_old_one_never_completes()
    {
        var codes = MasterCodes(2_000);
        var old = SubscriptionPart.Payloads("b", 1, codes, PostgresBackplane.MaxPayloadBytes).Select(p => Parse(p, out _)).ToList();
        var remote = new RemoteSubscriptions(Timeout);
        var now = TimeSpan.FromSeconds(1);
        remote.Accept("b", old[0], now);
        foreach (var part in Parts("b", 2, "005930"))
        {
            Assert.True(remote.Accept("b", part, now));
        }

        foreach (var part in old.Skip(1))
        {
            Assert.False(remote.Accept("b", part, now));
        }

        Assert.Equal(["005930"], Codes(remote.Snapshot(now)));
    }

    [Fact]
    public void A_node_not_heard_for_the_timeout_is_forgotten_with_its_codes_and_a_node_that_keeps_announcing_stays()
    {
        var remote = new RemoteSubscriptions(Timeout);
        var start = TimeSpan.FromSeconds(50);
        foreach (var part in Parts("b", 1, "005930"))
        {
            remote.Accept("b", part, start);
        }

        foreach (var part in Parts("c", 1, "000660"))
        {
            remote.Accept("c", part, start);
        }

        var before = remote.Snapshot(start + Timeout - TimeSpan.FromMilliseconds(1));
        Assert.Equal(["000660", "005930"], Codes(before));

        // c repeats its set (heartbeat) half-way; b stays silent.
        foreach (var part in Parts("c", 1, "000660"))
        {
            remote.Accept("c", part, start + Timeout / 2);
        }

        Assert.True(remote.Expire(start + Timeout));
        var after = remote.Snapshot(start + Timeout);
        Assert.Equal(["000660"], Codes(after));
        Assert.Equal(1, after.Nodes);
        Assert.NotEqual(before.Version, after.Version);

        // The snapshot itself expires too: nobody has been heard for a whole timeout.
        Assert.Empty(remote.Snapshot(start + Timeout / 2 + Timeout).Codes);
        Assert.Equal(0, remote.Snapshot(start + Timeout / 2 + Timeout).Nodes);

        // A node that comes back is a node again.
        foreach (var part in Parts("b", 5, "005930"))
        {
            Assert.True(remote.Accept("b", part, start + 3 * Timeout));
        }

        Assert.Equal(["005930"], Codes(remote.Snapshot(start + 3 * Timeout)));
    }

    [Theory]
    [InlineData("""{"v":1,"part":3,"parts":3,"codes":[]}""")]
    [InlineData("""{"v":1,"part":-1,"parts":3,"codes":[]}""")]
    [InlineData("""{"v":1,"part":0,"parts":0,"codes":[]}""")]
    [InlineData("""{"v":1,"part":0,"parts":100000,"codes":[]}""")]
    public void Impossible_part_numbers_are_a_format_error(string subs)
    {
        using var document = JsonDocument.Parse(subs);
        Assert.Throws<FormatException>(() => SubscriptionPart.Read(document.RootElement));
    }

    [Fact]
    public void A_bad_code_in_a_part_is_a_format_error_naming_it()
    {
        using var document = JsonDocument.Parse("""{"v":1,"part":0,"parts":1,"codes":["005930","59 30"]}""");
        var error = Assert.Throws<FormatException>(() => SubscriptionPart.Read(document.RootElement));
        Assert.Contains("59 30", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_same_version_sent_in_a_different_number_of_parts_is_a_format_error()
    {
        var remote = new RemoteSubscriptions(Timeout);
        remote.Accept("b", new SubscriptionPart(1, 0, 2, [StockCode.Parse("005930")]), TimeSpan.Zero);
        Assert.Throws<FormatException>(() => remote.Accept("b", new SubscriptionPart(1, 1, 3, [StockCode.Parse("000660")]), TimeSpan.Zero));
    }
}
