namespace KrxHub.Storage;

/// <summary>
/// The SQLite schema as ordered migrations. Dates are TEXT 'yyyy-MM-dd', instants TEXT ISO-8601 UTC ('O'),
/// prices NUMERIC (whole values stored as INTEGER, fractional ones as REAL).
/// </summary>
internal static class SqliteSchema
{
    public const string CreateMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            applied_at TEXT NOT NULL
        );
        """;

    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "initial schema", """
            CREATE TABLE stocks (
                code           TEXT PRIMARY KEY,
                name           TEXT NOT NULL,
                name_en        TEXT,
                market         TEXT NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
                segment        TEXT,
                isin           TEXT,
                security_group TEXT,
                share_class    TEXT,
                listing_date   TEXT,
                delisting_date TEXT,
                listed_shares  INTEGER,
                industry       TEXT,
                updated_at     TEXT NOT NULL
            );

            -- Few columns, small rows: clustering by the key saves a b-tree and keeps a stock's history together.
            CREATE TABLE daily_bars (
                code          TEXT NOT NULL,
                date          TEXT NOT NULL,
                basis         TEXT NOT NULL CHECK (basis IN ('raw', 'adjusted')),
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
                PRIMARY KEY (code, date, basis)
            ) WITHOUT ROWID;

            CREATE INDEX daily_bars_by_date ON daily_bars (date, basis);

            CREATE TABLE staging_daily_bars (
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
                fetched_at    TEXT NOT NULL
            );

            CREATE INDEX staging_daily_bars_by_run ON staging_daily_bars (run_id);

            CREATE TABLE investor_flows (
                code        TEXT NOT NULL,
                date        TEXT NOT NULL,
                investor    TEXT NOT NULL,
                buy_volume  INTEGER,
                sell_volume INTEGER,
                net_volume  INTEGER,
                buy_value   NUMERIC,
                sell_value  NUMERIC,
                net_value   NUMERIC,
                source      TEXT NOT NULL,
                fetched_at  TEXT NOT NULL,
                PRIMARY KEY (code, date, investor)
            ) WITHOUT ROWID;

            CREATE TABLE market_investor_flows (
                market      TEXT NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
                date        TEXT NOT NULL,
                investor    TEXT NOT NULL,
                buy_volume  INTEGER,
                sell_volume INTEGER,
                net_volume  INTEGER,
                buy_value   NUMERIC,
                sell_value  NUMERIC,
                net_value   NUMERIC,
                source      TEXT NOT NULL,
                fetched_at  TEXT NOT NULL,
                PRIMARY KEY (market, date, investor)
            ) WITHOUT ROWID;

            CREATE TABLE index_constituents (
                index_code TEXT NOT NULL,
                date       TEXT NOT NULL,
                code       TEXT NOT NULL,
                weight     NUMERIC,
                PRIMARY KEY (index_code, date, code)
            ) WITHOUT ROWID;

            CREATE TABLE minute_bars (
                code          TEXT NOT NULL,
                ts            TEXT NOT NULL,
                open          NUMERIC NOT NULL,
                high          NUMERIC NOT NULL,
                low           NUMERIC NOT NULL,
                close         NUMERIC NOT NULL,
                volume        INTEGER NOT NULL,
                trading_value NUMERIC,
                source        TEXT NOT NULL,
                fetched_at    TEXT NOT NULL,
                PRIMARY KEY (code, ts)
            ) WITHOUT ROWID;

            CREATE TABLE quarantine (
                id             INTEGER PRIMARY KEY AUTOINCREMENT,
                run_id         INTEGER NOT NULL,
                dataset        TEXT NOT NULL,
                source         TEXT NOT NULL,
                code           TEXT,
                date           TEXT,
                reasons        TEXT NOT NULL,
                payload        TEXT NOT NULL,
                line           INTEGER NOT NULL,
                payload_hash   TEXT NOT NULL,
                quarantined_at TEXT NOT NULL,
                UNIQUE (dataset, source, payload_hash)
            );

            CREATE INDEX quarantine_by_date ON quarantine (date);

            CREATE TABLE collection_runs (
                id               INTEGER PRIMARY KEY AUTOINCREMENT,
                job              TEXT NOT NULL,
                parameters       TEXT NOT NULL CHECK (json_valid(parameters)),
                status           TEXT NOT NULL,
                rows_read        INTEGER NOT NULL DEFAULT 0,
                rows_accepted    INTEGER NOT NULL DEFAULT 0,
                rows_quarantined INTEGER NOT NULL DEFAULT 0,
                rows_changed     INTEGER NOT NULL DEFAULT 0,
                started_at       TEXT NOT NULL,
                finished_at      TEXT,
                error            TEXT,
                host             TEXT NOT NULL,
                process_id       INTEGER NOT NULL
            );

            CREATE INDEX collection_runs_by_status ON collection_runs (status, host);
            """),
        new(2, "stock master as-of date", """
            ALTER TABLE stocks ADD COLUMN as_of TEXT;
            """),
        new(3, "collection state: source tokens, backfill progress, scheduled occurrences", """
            -- An upstream access token (Kiwoom au10001), so a restart reuses it instead of issuing another.
            CREATE TABLE source_tokens (
                source     TEXT PRIMARY KEY,
                token      TEXT NOT NULL,
                expires_at TEXT NOT NULL,
                scope      TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );

            -- Fetched and promoted slices of a backfill: what a re-run must not fetch again.
            CREATE TABLE backfill_progress (
                dataset      TEXT NOT NULL,
                basis        TEXT NOT NULL,
                key          TEXT NOT NULL,
                from_date    TEXT NOT NULL,
                to_date      TEXT NOT NULL,
                completed_at TEXT NOT NULL,
                PRIMARY KEY (dataset, basis, key, from_date, to_date)
            ) WITHOUT ROWID;

            -- One row per scheduled job occurrence that ran to the end, whichever node ran it.
            CREATE TABLE job_occurrences (
                job          TEXT NOT NULL,
                occurrence   TEXT NOT NULL,
                run_id       INTEGER,
                host         TEXT NOT NULL,
                completed_at TEXT NOT NULL,
                PRIMARY KEY (job, occurrence)
            ) WITHOUT ROWID;

            CREATE INDEX collection_runs_by_job ON collection_runs (job, id);
            """),
        new(4, "bar series cache", """
            -- Each stock's whole daily history per basis as one compact blob (see BarSeriesCache), so a whole-market
            -- read (backtests) is 2,800 blob reads instead of a million rows. Derived data: valid while
            -- bar_series_cache_state.cached_generation = generation; every promotion that changes daily_bars bumps
            -- generation, and the next whole-market read rebuilds the cache.
            CREATE TABLE bar_series_cache (
                basis TEXT NOT NULL,
                code  TEXT NOT NULL,
                data  BLOB NOT NULL,
                PRIMARY KEY (basis, code)
            );

            CREATE TABLE bar_series_cache_state (
                basis             TEXT PRIMARY KEY,
                generation        INTEGER NOT NULL,
                cached_generation INTEGER
            );

            INSERT INTO bar_series_cache_state (basis, generation, cached_generation) VALUES ('raw', 0, NULL), ('adjusted', 0, NULL);
            """),
        new(5, "base prices, repaired adjusted bars, adjustment events", """
            -- KRX's base price (close − change) of a raw bar: a base that is not the previous close reveals a corporate action.
            ALTER TABLE daily_bars ADD COLUMN base_price NUMERIC;
            -- An imported adjusted bar whose high/low the source rounded past open/close: the values as delivered.
            ALTER TABLE daily_bars ADD COLUMN repaired_from TEXT;
            ALTER TABLE staging_daily_bars ADD COLUMN base_price NUMERIC;
            ALTER TABLE staging_daily_bars ADD COLUMN repaired_from TEXT;

            -- Corporate actions found in the raw bars (factor = base_price / previous_close); rebuilt per stock on every raw promotion.
            CREATE TABLE adjustment_events (
                code           TEXT NOT NULL,
                date           TEXT NOT NULL,
                previous_date  TEXT NOT NULL,
                previous_close NUMERIC NOT NULL,
                base_price     NUMERIC NOT NULL,
                source         TEXT NOT NULL,
                PRIMARY KEY (code, date)
            ) WITHOUT ROWID;
            """),
        new(6, "index bars", """
            -- Daily index levels (KOSPI 1001, KOSDAQ 2001, KOSPI 200 1028 …, KRX data-system codes), with provenance like daily_bars.
            -- open/high/low are null where the source did not publish them (early years).
            CREATE TABLE index_bars (
                index_code    TEXT NOT NULL,
                date          TEXT NOT NULL,
                open          NUMERIC,
                high          NUMERIC,
                low           NUMERIC,
                close         NUMERIC NOT NULL,
                volume        INTEGER,
                trading_value NUMERIC,
                market_cap    NUMERIC,
                source        TEXT NOT NULL,
                fetched_at    TEXT NOT NULL,
                PRIMARY KEY (index_code, date)
            ) WITHOUT ROWID;

            -- Constituents as KRX lists them (MDCSTAT00601), with the same provenance.
            ALTER TABLE index_constituents ADD COLUMN name TEXT;
            ALTER TABLE index_constituents ADD COLUMN close NUMERIC;
            ALTER TABLE index_constituents ADD COLUMN market_cap NUMERIC;
            ALTER TABLE index_constituents ADD COLUMN source TEXT;
            ALTER TABLE index_constituents ADD COLUMN fetched_at TEXT;
            """),
        new(7, "delistings inferred from complete listings", DelistingInference),
        new(8, "conditions, their matches and events, the alert outbox", """
            CREATE TABLE conditions (
                id               INTEGER PRIMARY KEY AUTOINCREMENT,
                name             TEXT NOT NULL UNIQUE,
                expression       TEXT NOT NULL,
                market           TEXT,
                active           INTEGER NOT NULL,
                schedule         TEXT NOT NULL CHECK (schedule IN ('interval', 'on-tick', 'eod')),
                interval_seconds INTEGER NOT NULL,
                channels         TEXT NOT NULL,
                created_at       TEXT NOT NULL,
                updated_at       TEXT NOT NULL,
                last_run_at      TEXT,
                last_session     TEXT
            );

            -- The matching set of each condition after its last evaluation.
            CREATE TABLE condition_matches (
                condition_id INTEGER NOT NULL,
                code         TEXT NOT NULL,
                since        TEXT NOT NULL,
                PRIMARY KEY (condition_id, code)
            ) WITHOUT ROWID;

            -- Entries and exits, kept as history with the values that decided them.
            CREATE TABLE condition_events (
                id           INTEGER PRIMARY KEY AUTOINCREMENT,
                condition_id INTEGER NOT NULL,
                code         TEXT NOT NULL,
                event        TEXT NOT NULL CHECK (event IN ('entry', 'exit')),
                at           TEXT NOT NULL,
                session      TEXT NOT NULL,
                live         TEXT,
                vals         TEXT NOT NULL
            );

            CREATE INDEX condition_events_by_condition ON condition_events (condition_id, at);

            -- Alerts written in the same transaction as their event; a sender delivers them at least once.
            CREATE TABLE alert_outbox (
                id              INTEGER PRIMARY KEY AUTOINCREMENT,
                event_id        INTEGER NOT NULL,
                condition_id    INTEGER NOT NULL,
                code            TEXT NOT NULL,
                event           TEXT NOT NULL,
                channel         TEXT NOT NULL,
                idempotency_key TEXT NOT NULL UNIQUE,
                message         TEXT NOT NULL,
                payload         TEXT NOT NULL,
                status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
                attempts        INTEGER NOT NULL,
                next_attempt_at TEXT NOT NULL,
                last_error      TEXT,
                created_at      TEXT NOT NULL,
                sent_at         TEXT
            );

            CREATE INDEX alert_outbox_due ON alert_outbox (status, next_attempt_at);
            CREATE INDEX alert_outbox_dedupe ON alert_outbox (condition_id, code, event, channel, created_at);
            """),
        new(9, "API keys, stored hashed", """
            -- The key itself is never stored: only its SHA-256 and the first characters the owner can recognise it by.
            CREATE TABLE api_keys (
                id           INTEGER PRIMARY KEY AUTOINCREMENT,
                name         TEXT NOT NULL,
                role         TEXT NOT NULL CHECK (role IN ('read', 'admin')),
                key_hash     TEXT NOT NULL UNIQUE,
                prefix       TEXT NOT NULL,
                created_at   TEXT NOT NULL,
                revoked_at   TEXT,
                last_used_at TEXT
            );

            CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
            """),
        new(10, StoreViews.Name, StoreViews.Sqlite),
        new(11, KiwoomConditionRows.Name, KiwoomConditionRows.Sql),
        new(12, "alert channels set through the API", """
            -- A channel set through PUT /api/alerts/channels/{channel}: its fields as JSON, each secret in it sealed under
            -- KRXHUB_SECRETS__KEY when one is set. A row overrides that channel's KRXHUB_ALERTS__ settings.
            CREATE TABLE alert_channels (
                channel    TEXT PRIMARY KEY,
                settings   TEXT NOT NULL,
                updated_at TEXT NOT NULL
            );
            """),
        new(13, StagingFile, """
            -- Staged rows live in a file of their own (SqliteDialect.StagingFile.cs), attached as "staging". A run that
            -- was staged here and never promoted is abandoned: its next run stages again.
            DROP TABLE staging_daily_bars;
            """),
        new(14, StagingWithoutRunIndex, """
            -- Nothing to do here: the staging file keeps its run_id index (appending to it costs little; see PostgresSchema).
            SELECT 1;
            """),
    ];

    /// <summary>Migration 13's name; on PostgreSQL, whose staging table is already unlogged, it changes nothing.</summary>
    internal const string StagingFile = "staged rows in a file of their own (SQLite)";

    /// <summary>Migration 14's name; on SQLite it changes nothing.</summary>
    internal const string StagingWithoutRunIndex = "staging without its run_id index (PostgreSQL)";

    // Version 7 (6 is taken by another change): a stock missing from complete listings (the three Kiwoom ka10099
    // lists of a run, or a KRX MDCSTAT01901 listing of all markets) of two different dates is marked delisted, inferred.
    // absent_count counts those listings in a row, last_absent_on is the date of the latest (a date counts once).
    private const string DelistingInference = """
        ALTER TABLE stocks ADD COLUMN delisting_inferred INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stocks ADD COLUMN absent_count INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE stocks ADD COLUMN last_absent_on TEXT;
        """;
}
