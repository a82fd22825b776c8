using System.CommandLine;
using System.Globalization;
using KrxHub.Shared;
using Spectre.Console;

namespace KrxHub.Features.Access;

/// <summary>`krxhub keys add|list|revoke`: the API keys of the store (docs/access.md). A key is printed once, at add.</summary>
public static class KeysCommand
{
    public static Command Create()
    {
        var command = new Command("keys", """
            Manage API keys (docs/access.md). Keys have the role read or admin; only a hash is stored, so a key is shown
            once, when it is added. A running hub sees a new or revoked key within 5 seconds.

            Examples:
              krxhub keys add --name ops --role admin
              krxhub keys add --name notebook --role read
              krxhub keys list
              krxhub keys revoke notebook
            """);
        command.Subcommands.Add(Add());
        command.Subcommands.Add(List());
        command.Subcommands.Add(Revoke());
        return command;
    }

    private static Command Add()
    {
        var name = new Option<string>("--name") { Description = "Who or what uses the key", Required = true };
        var role = new Option<string>("--role") { Description = "read|admin", DefaultValueFactory = _ => Roles.Read };
        var add = new Command("add", "Create a key and print it (once)");
        add.Options.Add(name);
        add.Options.Add(role);
        add.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var keyName = parse.GetValue(name)!.Trim();
            var keyRole = parse.GetValue(role)!.Trim().ToLowerInvariant();
            if (keyName.Length is 0 or > 100)
            {
                throw new CliException("--name must have 1 to 100 characters", 2);
            }

            if (!Roles.IsKnown(keyRole))
            {
                throw new CliException($"--role '{keyRole}' is not read or admin", 2);
            }

            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            var added = await ApiKeys.AddAsync(store, keyName, keyRole, TimeProvider.System.GetUtcNow(), ct)
                ?? throw new CliException($"an active key is already named '{keyName}'; revoke it or choose another name", 2);
            Console.Error.WriteLine($"added {added.Record.Role} key '{added.Record.Name}' ({added.Record.Prefix}…). It is shown once; keep it now:");
            Console.WriteLine(added.Key);
            return 0;
        }));
        return add;
    }

    private static Command List()
    {
        var list = new Command("list", "Every key (never the key itself: its first characters)");
        list.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            var table = new Table().AddColumns("id", "name", "role", "key", "created", "last used", "revoked");
            foreach (var k in await store.GetApiKeysAsync(ct))
            {
                table.AddRow(k.Id.ToString(CultureInfo.InvariantCulture), Markup.Escape(k.Name), k.Role, Markup.Escape(k.Prefix + "…"),
                    Time(k.CreatedAt), k.LastUsedAt is { } used ? Time(used) : "-", k.RevokedAt is { } revoked ? Time(revoked) : "-");
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return list;
    }

    private static Command Revoke()
    {
        var key = new Argument<string>("name-or-prefix") { Description = "The key's name, or its prefix as `keys list` shows it (krx_…)" };
        var revoke = new Command("revoke", "Revoke a key (it stops working within 5 seconds)");
        revoke.Arguments.Add(key);
        revoke.SetAction((parse, ct) => CliSupport.GuardAsync(async () =>
        {
            var which = parse.GetValue(key)!.Trim().TrimEnd('…');
            await using var store = await CliSupport.OpenStoreAsync(parse, ct);
            var revoked = await store.RevokeApiKeysAsync(which, TimeProvider.System.GetUtcNow(), ct);
            if (revoked.Count == 0)
            {
                throw new CliException($"no active key is named or starts with '{which}' (see krxhub keys list)");
            }

            foreach (var k in revoked)
            {
                Console.WriteLine($"revoked {k.Role} key '{k.Name}' ({k.Prefix}…)");
            }

            var (active, admins) = await store.CountActiveApiKeysAsync(ct);
            if (active > 0 && admins == 0)
            {
                Console.Error.WriteLine("warning: no admin key is left; a hub bound to a public address will not start without one");
            }

            return 0;
        }));
        return revoke;
    }

    private static string Time(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(9)).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " KST";
}
