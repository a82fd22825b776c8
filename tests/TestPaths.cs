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
