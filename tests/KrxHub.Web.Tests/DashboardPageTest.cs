using Microsoft.Playwright;

namespace KrxHub.Web.Tests;

/// <summary>
/// A dashboard test: a fresh browser context and page on the shared hub (1366×768, Korean, KST) that collects the page's
/// console errors, and a screenshot helper. The tests of a collection run one after another.
/// </summary>
public abstract class DashboardPageTest(DashboardHub hub) : IAsyncLifetime
{
    protected const float Timeout = 20_000;

    protected DashboardHub Hub { get; } = hub;

    protected IBrowserContext Context { get; private set; } = null!;

    protected IPage Page { get; private set; } = null!;

    protected List<string> ConsoleErrors { get; } = [];

    public async Task InitializeAsync()
    {
        Context = await Hub.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Hub.Address.ToString(),
            ViewportSize = new ViewportSize { Width = 1366, Height = 768 },
            Locale = "ko-KR",
            TimezoneId = "Asia/Seoul",
        });
        Context.SetDefaultTimeout(Timeout);
        Page = await Context.NewPageAsync();
        Page.Console += (_, m) =>
        {
            if (m.Type == "error")
            {
                ConsoleErrors.Add($"{m.Location}: {m.Text}");
            }
        };
        Page.PageError += (_, e) => ConsoleErrors.Add($"page error: {e}");
    }

    public async Task DisposeAsync() => await Context.DisposeAsync();

    protected async Task ScreenshotAsync(string name) =>
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(DashboardHub.ScreenshotDirectory, $"{name}.png"), FullPage = true });

    /// <summary>Chromium logs a deliberate 4xx answer as a failed resource: takes exactly <paramref name="count"/> such lines out.</summary>
    protected void ExpectFailedRequests(int count, string path, int status) =>
        Assert.Equal(count, ConsoleErrors.RemoveAll(e => e.Contains(path, StringComparison.Ordinal) && e.Contains($"status of {status}", StringComparison.Ordinal)));

    protected void AssertNoConsoleErrors() => Assert.True(ConsoleErrors.Count == 0, string.Join("\n", ConsoleErrors));
}
