using System.Diagnostics;
using KrxHub.Core;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

public sealed class RunTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task A_run_records_its_host_and_process_and_its_outcome(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var started = Samples.FetchedAt;
        const string parameters = """{"from":"2024-01-02","to":"2024-02-13","basis":"raw"}""";

        var first = await db.Store.StartRunAsync("import-daily", parameters, started, Ct);
        var second = await db.Store.StartRunAsync("collect-flows", "{}", started.AddMinutes(1), Ct);
        await db.Store.FinishRunAsync(first, new RunOutcome(RunStatus.Succeeded, 100, 97, 3, 90, started.AddSeconds(5), null), Ct);

        var runs = await db.Store.GetRunsAsync(10, 0, Ct);
        Assert.Equal([second, first], runs.Select(r => r.Id));
        Assert.Equal(
            new CollectionRun(first, "import-daily", parameters, RunStatus.Succeeded, 100, 97, 3, 90, Samples.Stored(started),
                Samples.Stored(started.AddSeconds(5)), null, Environment.MachineName, Environment.ProcessId),
            runs[1]);
        Assert.Equal((RunStatus.Running, (DateTimeOffset?)null), (runs[0].Status, runs[0].FinishedAt));
        Assert.Equal([first], (await db.Store.GetRunsAsync(1, 1, Ct)).Select(r => r.Id));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            db.Store.FinishRunAsync(12345, new RunOutcome(RunStatus.Failed, 0, 0, 0, 0, started, "x"), Ct));
    }

    [Theory]
    [MemberData(nameof(Backends.All), MemberType = typeof(Backends))]
    public async Task Runs_of_dead_processes_on_this_host_are_abandoned_and_their_staging_cleared(string backend)
    {
        await using var db = await TestStore.CreateAsync(backend);
        var deadPid = await ExitedProcessIdAsync();
        var dead = await db.Store.StartRunAsync("import", "{}", Samples.FetchedAt, Ct);
        var alive = await db.Store.StartRunAsync("import", "{}", Samples.FetchedAt, Ct);
        var elsewhere = await db.Store.StartRunAsync("import", "{}", Samples.FetchedAt, Ct);
        var finished = await db.Store.StartRunAsync("import", "{}", Samples.FetchedAt, Ct);
        await db.Store.FinishRunAsync(finished, new RunOutcome(RunStatus.Succeeded, 1, 1, 0, 1, Samples.FetchedAt, null), Ct);
        await db.ExecuteAsync($"UPDATE collection_runs SET process_id = {deadPid} WHERE id IN ({dead}, {elsewhere}, {finished})");
        await db.ExecuteAsync($"UPDATE collection_runs SET host = 'another-node' WHERE id = {elsewhere}");
        await db.Store.StageDailyBarsAsync(dead, [Samples.SamsungJan2, Samples.HynixJan2], Ct);
        await db.Store.StageDailyBarsAsync(alive, [Samples.SamsungJan3], Ct);

        var abandoned = await db.Store.AbandonDeadRunsAsync(Ct);

        Assert.Equal(1, abandoned);
        var runs = (await db.Store.GetRunsAsync(10, 0, Ct)).ToDictionary(r => r.Id);
        Assert.Equal(RunStatus.Abandoned, runs[dead].Status);
        Assert.Equal("process exited before the run finished", runs[dead].Error);
        Assert.NotNull(runs[dead].FinishedAt);
        Assert.Equal(RunStatus.Running, runs[alive].Status);
        Assert.Equal(RunStatus.Running, runs[elsewhere].Status);
        Assert.Equal(RunStatus.Succeeded, runs[finished].Status);
        Assert.Equal(0, await db.ScalarAsync($"SELECT count(*) FROM staging_daily_bars WHERE run_id = {dead}"));
        Assert.Equal(1, await db.ScalarAsync($"SELECT count(*) FROM staging_daily_bars WHERE run_id = {alive}"));
        Assert.Equal(0, await db.Store.AbandonDeadRunsAsync(Ct));
    }

    private static async Task<int> ExitedProcessIdAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }
}

public sealed class ProcessLivenessTests
{
    [Fact]
    public async Task A_running_process_is_alive_until_it_exits_and_this_process_always_is()
    {
        using var sleeper = Process.Start(new ProcessStartInfo("sleep", "30") { UseShellExecute = false })!;
        try
        {
            Assert.True(StoredValues.IsProcessAlive(sleeper.Id));
        }
        finally
        {
            sleeper.Kill();
            await sleeper.WaitForExitAsync();
        }

        Assert.False(StoredValues.IsProcessAlive(sleeper.Id));
        Assert.True(StoredValues.IsProcessAlive(Environment.ProcessId));
    }
}
