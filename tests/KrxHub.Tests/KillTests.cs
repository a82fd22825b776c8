using System.Diagnostics;
using KrxHub.Hosting;
using KrxHub.Sources.Import;
using KrxHub.Testing;

namespace KrxHub.Tests;

/// <summary>Crash safety: SIGKILL in the middle of an import, then a re-run, equals one clean import.</summary>
public class KillTests
{
    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Killing_an_import_midway_and_rerunning_it_leaves_exactly_the_rows_of_one_clean_import(string backend)
    {
        var file = BundledData.RawWindow; // 80,828 real rows: two 50,000-row chunks

        await using var clean = await TestStore.CreateAsync(backend);
        await using (var store = await clean.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        var cleanRun = await CliProcess.RunAsync(["import", file, .. clean.CliArgs]);
        Assert.True(cleanRun.ExitCode == 0, cleanRun.Stderr);

        await using var killed = await TestStore.CreateAsync(backend);
        await using (var store = await killed.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
        }

        // Start the import and kill it as soon as it reports its first staged chunk.
        using (var p = Process.Start(CliProcess.StartInfo(["import", file, .. killed.CliArgs]))!)
        {
            var stderr = p.StandardError.ReadToEndAsync();
            string? line;
            var sawProgress = false;
            while ((line = await p.StandardOutput.ReadLineAsync()) is not null)
            {
                if (line.Contains("50,000 rows", StringComparison.Ordinal))
                {
                    sawProgress = true;
                    p.Kill(); // SIGKILL
                    break;
                }
            }

            await p.WaitForExitAsync();
            Assert.True(sawProgress, "the import ended before it could be killed: " + await stderr);
        }

        await using (var store = await killed.OpenAsync())
        {
            Assert.Empty(await TestData.AllBarsAsync(store)); // nothing half-promoted
            var runs = await store.GetRunsAsync(10, 0, CancellationToken.None);
            Assert.Equal("running", runs.First(r => r.Job.StartsWith("import", StringComparison.Ordinal)).Status);
        }

        var rerun = await CliProcess.RunAsync(["import", file, .. killed.CliArgs]);
        Assert.True(rerun.ExitCode == 0, rerun.Stderr);

        await using var a = await clean.OpenAsync();
        await using var b = await killed.OpenAsync();
        var expected = await TestData.AllBarsAsync(a);
        Assert.Equal(80_500, expected.Count, tolerance: 500);
        Assert.Equal(expected, await TestData.AllBarsAsync(b));
        var statuses = (await b.GetRunsAsync(10, 0, CancellationToken.None)).Where(r => r.Job.StartsWith("import", StringComparison.Ordinal)).Select(r => r.Status).ToList();
        Assert.Equal(["succeeded", "abandoned"], statuses);
        Assert.Equal((await a.GetQuarantineAsync(null, null, 1000, 0, CancellationToken.None)).Count,
            (await b.GetQuarantineAsync(null, null, 1000, 0, CancellationToken.None)).Count);
    }
}
