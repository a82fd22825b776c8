using System.Reflection;

namespace KrxHub.Testing;

/// <summary>Where the repository's bundled data and the shared reference data are.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    /// <summary>The project's bundled data (data/ in the repository).</summary>
    public static string Data(params string[] parts) => Path.Combine([RepoRoot, "data", .. parts]);

    /// <summary>The shared reference pack beside the repository (../shared/reference).</summary>
    public static string Reference(params string[] parts) => Path.Combine([RepoRoot, "..", "shared", "reference", .. parts]);

    /// <summary>
    /// PostgreSQL connection string for tests (KRXHUB_TEST_POSTGRES). CI always sets it; without it,
    /// PostgreSQL tests fail when CI=true and are skipped otherwise.
    /// </summary>
    public static string? Postgres => Environment.GetEnvironmentVariable("KRXHUB_TEST_POSTGRES");
}

/// <summary>
/// A fact that needs PostgreSQL. Skipped only on a developer machine without KRXHUB_TEST_POSTGRES;
/// when CI=true it always runs (and fails loudly if the server is missing).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class PostgresFactAttribute : Xunit.FactAttribute
{
    public PostgresFactAttribute()
    {
        if (TestPaths.Postgres is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Skip = "KRXHUB_TEST_POSTGRES is not set (bash .ci/run sets it)";
        }
    }
}

/// <summary>A theory over both backends; the PostgreSQL case follows the same rule as <see cref="PostgresFactAttribute"/>.</summary>
internal static class Backends
{
    public static TheoryData<string> All
    {
        get
        {
            var data = new TheoryData<string> { "sqlite" };
            if (WithPostgres)
            {
                data.Add("postgresql");
            }

            return data;
        }
    }

    private static bool WithPostgres =>
        TestPaths.Postgres is not null || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Both backends and both ways a run's bars reach daily_bars (see DailyBarLoad): on SQLite a first load of a basis
    /// (straight into daily_bars) and a later one (staged, the basis seeded first); PostgreSQL always stages.
    /// </summary>
    public static TheoryData<string, bool> Loads
    {
        get
        {
            var data = new TheoryData<string, bool> { { "sqlite", true }, { "sqlite", false } };
            if (WithPostgres)
            {
                data.Add("postgresql", false);
            }

            return data;
        }
    }
}
