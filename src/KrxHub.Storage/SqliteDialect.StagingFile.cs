using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace KrxHub.Storage;

/// <summary>
/// SQLite keeps staged rows in a file of their own beside the database (<c>krxhub.db.staging</c>), attached to the
/// connections that stage and promote. Staged rows are scratch: written once, read once by the promotion, then deleted.
/// In the database's WAL they were written twice more (to the log, then by the checkpoint into the file, each flushed to
/// disk) for nothing: the 986k-bar import staged 112 MB that way next to the 140 MB it promotes. The staging file uses
/// a rollback journal without fsync instead: a killed process loses nothing (the OS holds its writes, and the hot
/// journal rolls an interrupted transaction back on the next open); a power cut may damage the staging file, never the
/// database, and only rows of a run that has not been promoted.
/// </summary>
/// <remarks>
/// A transaction over both files would be atomic in each file but not across the two (SQLite's rule for WAL databases),
/// so the promotion commits its rows into the database first and then deletes them from the staging file on its own: a
/// crash between the two leaves the promoted run's staged rows behind, and the next run's
/// <see cref="MarketStore.DeleteStaleStagingAsync"/> removes them, as it removes the rows of any run that did not finish.
/// </remarks>
internal sealed partial class SqliteDialect
{
    /// <summary>Bump when the staging table changes: a staging file of another version is emptied and rebuilt.</summary>
    private const int StagingFileVersion = 1;

    private const string StagingSchema = """
        CREATE TABLE staging.staging_daily_bars (
            run_id        INTEGER NOT NULL,
            code          TEXT NOT NULL,
            date          TEXT NOT NULL,
            basis         TEXT NOT NULL,
            open          NUMERIC NOT NULL,
            high          NUMERIC NOT NULL,
            low           NUMERIC NOT NULL,
            close         NUMERIC NOT NULL,
            volume        INTEGER NOT NULL,
            trading_value NUMERIC,
            market_cap    NUMERIC,
            listed_shares INTEGER,
            no_trade      INTEGER NOT NULL DEFAULT 0,
            source        TEXT NOT NULL,
            fetched_at    TEXT NOT NULL,
            base_price    NUMERIC,
            repaired_from TEXT
        );

        CREATE INDEX staging.staging_daily_bars_by_run ON staging_daily_bars (run_id);
        """;

    /// <summary>The staging file's path: the database's, with <see cref="MarketStore.SqliteStagingSuffix"/>.</summary>
    public string StagingPath => DatabasePath + MarketStore.SqliteStagingSuffix;

    public override async Task<DbConnection> OpenWithStagingAsync(CancellationToken ct) => await OpenStagingSqliteAsync(ct);

    /// <summary>The staging file and its table exist from the first open on, like the database's own tables.</summary>
    protected override async Task AfterMigrationAsync(CancellationToken ct)
    {
        await using var connection = await OpenStagingSqliteAsync(ct);
    }

    /// <summary>
    /// A connection with the staging file attached as <c>staging</c>. These come from a pool of their own (their
    /// connection string differs only in naming the default cache mode), so that a pooled connection that has the file
    /// attached is only ever handed out for staging work, and the attachment is made once per pooled connection.
    /// </summary>
    private async Task<SqliteConnection> OpenStagingSqliteAsync(CancellationToken ct)
    {
        var connection = await OpenSqliteAsync(_stagingConnectionString, ct);
        try
        {
            await using (var attached = Command(connection, null, "SELECT count(*) FROM pragma_database_list WHERE name = 'staging'"))
            {
                if (Convert.ToInt64(await attached.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) > 0)
                {
                    return connection;
                }
            }

            await AttachStagingFileAsync(connection, StagingPath, ct);

            // Per connection: the page size only counts for a new file; journal and sync modes are settings of this connection.
            await ExecuteAsync(connection, null, """
                PRAGMA staging.page_size = 16384;
                PRAGMA staging.journal_mode = TRUNCATE;
                PRAGMA staging.synchronous = OFF;
                """, ct);
            await EnsureStagingSchemaAsync(connection, ct);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>Attaches the staging file at <paramref name="stagingPath"/> as <c>staging</c> (also for tests that read the files directly).</summary>
    internal static async Task AttachStagingFileAsync(SqliteConnection connection, string stagingPath, CancellationToken ct)
    {
        await using var attach = Command(connection, null, "ATTACH DATABASE $path AS staging");
        attach.Parameters.AddWithValue("$path", stagingPath);
        await attach.ExecuteNonQueryAsync(ct);
    }

    private static async Task EnsureStagingSchemaAsync(SqliteConnection connection, CancellationToken ct)
    {
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        await using (var version = Command(connection, tx, "PRAGMA staging.user_version"))
        {
            if (Convert.ToInt32(await version.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) == StagingFileVersion)
            {
                return;
            }
        }

        await ExecuteAsync(connection, tx, "DROP TABLE IF EXISTS staging.staging_daily_bars", ct);
        await ExecuteAsync(connection, tx, StagingSchema, ct);
        await ExecuteAsync(connection, tx, $"PRAGMA staging.user_version = {StagingFileVersion}", ct);
        await tx.CommitAsync(ct);
    }
}
