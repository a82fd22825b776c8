using System.Diagnostics;
using System.Globalization;
using KrxHub.Core;
using KrxHub.Sources.Import;

namespace KrxHub.Tests;

/// <summary>`krxhub serve` runs the dashboard's whole-market backtest once after it starts, so the first run from the page does not pay for the JIT.</summary>
public sealed class BacktestWarmupTests
{
    [Fact]
    public async Task Serve_warms_the_whole_market_backtest_up_once_over_the_newest_adjusted_sessions()
    {
        await using var test = await TestStore.CreateAsync("sqlite");
        await using (var store = await test.OpenAsync())
        {
            await TestData.LoadMasterAsync(store);
            var samsung = TestData.TempFile(test.DataDirectory, "005930-adjusted.csv",
                ["code,date,open,high,low,close,volume,change_pct", .. HubServer.ReadAdjusted("005930")]);
            await TestData.ImportAsync(store, samsung, new ImportOptions { Format = ImportFormat.PykrxCsv }, PriceBasis.Adjusted);
        }

        using var process = Process.Start(CliProcess.StartInfo(["serve", "--no-bundled", "--urls", "http://127.0.0.1:0", .. test.CliArgs]))!;
        var warmedUp = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.Add(e.Data);
            }

            if (e.Data.Contains("backtest warm-up", StringComparison.Ordinal))
            {
                warmedUp.TrySetResult(e.Data);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            string line;
            try
            {
                line = await warmedUp.Task.WaitAsync(TimeSpan.FromSeconds(90));
            }
            catch (TimeoutException)
            {
                lock (output)
                {
                    throw new TimeoutException("no warm-up line: " + string.Join("\n", output));
                }
            }

            // Only 005930 has adjusted bars: one stock, over the 60 sessions up to its newest bar.
            var sessions = TestData.Calendar.Sessions(TestData.Calendar.FirstSession, new DateOnly(2025, 6, 17)).ToArray();
            var range = string.Create(CultureInfo.InvariantCulture, $"{sessions[^60]:yyyy-MM-dd}..2025-06-17");
            Assert.True(line.Contains($"backtest warm-up: sma-cross 5/20 over 1 stocks, {range}, in ", StringComparison.Ordinal), line);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
