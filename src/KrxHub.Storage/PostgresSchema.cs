namespace KrxHub.Storage;

/// <summary>
/// The PostgreSQL schema as ordered migrations: daily bars partitioned by year, minute bars by month,
/// each with a DEFAULT partition so no row is ever refused for its date.
/// </summary>
internal static class PostgresSchema
{
    /// <summary>Key of the transaction-scoped advisory lock that serializes migrations across nodes.</summary>
    public const long MigrationLockKey = 0x4B52_5848_7562; // "KRXHub"

    public const string CreateMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    public static readonly IReadOnlyList<Migration> Migrations =
    [
        new(1, "initial schema", """
            CREATE TABLE stocks (
                code           text PRIMARY KEY,
                name           text NOT NULL,
                name_en        text,
                market         text NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
                segment        text,
                isin           text,
                security_group text,
                share_class    text,
                listing_date   date,
                delisting_date date,
                listed_shares  bigint,
                industry       text,
                updated_at     timestamptz NOT NULL
            );

            CREATE TABLE daily_bars (
                code          text NOT NULL,
                date          date NOT NULL,
                basis         text NOT NULL CHECK (basis IN ('raw', 'adjusted')),
                open          numeric NOT NULL,
                high          numeric NOT NULL,
                low           numeric NOT NULL,
                close         numeric NOT NULL,
                volume        bigint NOT NULL,
                trading_value numeric,
                market_cap    numeric,
                listed_shares bigint,
                no_trade      boolean NOT NULL DEFAULT false,
                source        text NOT NULL,
                fetched_at    timestamptz NOT NULL,
                PRIMARY KEY (code, date, basis)
            ) PARTITION BY RANGE (date);

            CREATE INDEX daily_bars_by_date ON daily_bars (date, basis);

            DO $$
            BEGIN
                FOR y IN 1980..2030 LOOP
                    EXECUTE format('CREATE TABLE daily_bars_%s PARTITION OF daily_bars FOR VALUES FROM (%L) TO (%L)',
                        y, make_date(y, 1, 1), make_date(y + 1, 1, 1));
                END LOOP;
            END
            $$;

            CREATE TABLE daily_bars_default PARTITION OF daily_bars DEFAULT;

            -- Scratch space for one run's rows before promotion: not worth WAL.
            CREATE UNLOGGED TABLE staging_daily_bars (
                run_id        bigint NOT NULL,
                code          text NOT NULL,
                date          date NOT NULL,
                basis         text NOT NULL,
                open          numeric NOT NULL,
                high          numeric NOT NULL,
                low           numeric NOT NULL,
                close         numeric NOT NULL,
                volume        bigint NOT NULL,
                trading_value numeric,
                market_cap    numeric,
                listed_shares bigint,
                no_trade      boolean NOT NULL DEFAULT false,
                source        text NOT NULL,
                fetched_at    timestamptz NOT NULL
            );

            CREATE INDEX staging_daily_bars_by_run ON staging_daily_bars (run_id);

            CREATE TABLE investor_flows (
                code        text NOT NULL,
                date        date NOT NULL,
                investor    text NOT NULL,
                buy_volume  bigint,
                sell_volume bigint,
                net_volume  bigint,
                buy_value   numeric,
                sell_value  numeric,
                net_value   numeric,
                source      text NOT NULL,
                fetched_at  timestamptz NOT NULL,
                PRIMARY KEY (code, date, investor)
            );

            CREATE TABLE market_investor_flows (
                market      text NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
                date        date NOT NULL,
                investor    text NOT NULL,
                buy_volume  bigint,
                sell_volume bigint,
                net_volume  bigint,
                buy_value   numeric,
                sell_value  numeric,
                net_value   numeric,
                source      text NOT NULL,
                fetched_at  timestamptz NOT NULL,
                PRIMARY KEY (market, date, investor)
            );

            CREATE TABLE index_constituents (
                index_code text NOT NULL,
                date       date NOT NULL,
                code       text NOT NULL,
                weight     numeric,
                PRIMARY KEY (index_code, date, code)
            );

            CREATE TABLE minute_bars (
                code          text NOT NULL,
                ts            timestamptz NOT NULL,
                open          numeric NOT NULL,
                high          numeric NOT NULL,
                low           numeric NOT NULL,
                close         numeric NOT NULL,
                volume        bigint NOT NULL,
                trading_value numeric,
                source        text NOT NULL,
                fetched_at    timestamptz NOT NULL,
                PRIMARY KEY (code, ts)
            ) PARTITION BY RANGE (ts);

            DO $$
            DECLARE
                m date;
            BEGIN
                FOR i IN 0..47 LOOP
                    m := make_date(2024, 1, 1) + make_interval(months => i);
                    EXECUTE format('CREATE TABLE minute_bars_%s PARTITION OF minute_bars FOR VALUES FROM (%L) TO (%L)',
                        to_char(m, 'YYYY_MM'),
                        m::timestamp AT TIME ZONE 'UTC',
                        (m + interval '1 month')::timestamp AT TIME ZONE 'UTC');
                END LOOP;
            END
            $$;

            CREATE TABLE minute_bars_default PARTITION OF minute_bars DEFAULT;

            CREATE TABLE quarantine (
                id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                run_id         bigint NOT NULL,
                dataset        text NOT NULL,
                source         text NOT NULL,
                code           text,
                date           date,
                reasons        text NOT NULL,
                payload        text NOT NULL,
                line           bigint NOT NULL,
                payload_hash   text NOT NULL,
                quarantined_at timestamptz NOT NULL,
                UNIQUE (dataset, source, payload_hash)
            );

            CREATE INDEX quarantine_by_date ON quarantine (date);

            CREATE TABLE collection_runs (
                id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                job              text NOT NULL,
                parameters       json NOT NULL,
                status           text NOT NULL,
                rows_read        bigint NOT NULL DEFAULT 0,
                rows_accepted    bigint NOT NULL DEFAULT 0,
                rows_quarantined bigint NOT NULL DEFAULT 0,
                rows_changed     bigint NOT NULL DEFAULT 0,
                started_at       timestamptz NOT NULL,
                finished_at      timestamptz,
                error            text,
                host             text NOT NULL,
                process_id       integer NOT NULL
            );

            CREATE INDEX collection_runs_by_status ON collection_runs (status, host);
            """),
        new(2, "stock master as-of date", """
            ALTER TABLE stocks ADD COLUMN as_of date;
            """),
        new(3, "collection state: source tokens, backfill progress, scheduled occurrences", """
            -- An upstream access token (Kiwoom au10001), so a restart reuses it instead of issuing another.
            CREATE TABLE source_tokens (
                source     text PRIMARY KEY,
                token      text NOT NULL,
                expires_at timestamptz NOT NULL,
                scope      text NOT NULL,
                updated_at timestamptz NOT NULL
            );

            -- Fetched and promoted slices of a backfill: what a re-run must not fetch again.
            CREATE TABLE backfill_progress (
                dataset      text NOT NULL,
                basis        text NOT NULL,
                key          text NOT NULL,
                from_date    date NOT NULL,
                to_date      date NOT NULL,
                completed_at timestamptz NOT NULL,
                PRIMARY KEY (dataset, basis, key, from_date, to_date)
            );

            -- One row per scheduled job occurrence that ran to the end, whichever node ran it.
            CREATE TABLE job_occurrences (
                job          text NOT NULL,
                occurrence   text NOT NULL,
                run_id       bigint,
                host         text NOT NULL,
                completed_at timestamptz NOT NULL,
                PRIMARY KEY (job, occurrence)
            );

            CREATE INDEX collection_runs_by_job ON collection_runs (job, id);
            """),
        // SQLite only: PostgreSQL reads the whole market straight from daily_bars, so this version adds nothing here.
        new(4, "bar series cache (SQLite only)", """
            SELECT 1;
            """),
        new(5, "base prices, repaired adjusted bars, adjustment events", """
            -- KRX's base price (close − change) of a raw bar: a base that is not the previous close reveals a corporate action.
            ALTER TABLE daily_bars ADD COLUMN base_price numeric;
            -- An imported adjusted bar whose high/low the source rounded past open/close: the values as delivered.
            ALTER TABLE daily_bars ADD COLUMN repaired_from text;
            ALTER TABLE staging_daily_bars ADD COLUMN base_price numeric;
            ALTER TABLE staging_daily_bars ADD COLUMN repaired_from text;

            -- Corporate actions found in the raw bars (factor = base_price / previous_close); rebuilt per stock on every raw promotion.
            CREATE TABLE adjustment_events (
                code           text NOT NULL,
                date           date NOT NULL,
                previous_date  date NOT NULL,
                previous_close numeric NOT NULL,
                base_price     numeric NOT NULL,
                source         text NOT NULL,
                PRIMARY KEY (code, date)
            );
            """),
        new(6, "index bars", """
            -- Daily index levels (KOSPI 1001, KOSDAQ 2001, KOSPI 200 1028 …, KRX data-system codes), with provenance like daily_bars.
            -- open/high/low are null where the source did not publish them (early years).
            CREATE TABLE index_bars (
                index_code    text NOT NULL,
                date          date NOT NULL,
                open          numeric,
                high          numeric,
                low           numeric,
                close         numeric NOT NULL,
                volume        bigint,
                trading_value numeric,
                market_cap    numeric,
                source        text NOT NULL,
                fetched_at    timestamptz NOT NULL,
                PRIMARY KEY (index_code, date)
            );

            -- Constituents as KRX lists them (MDCSTAT00601), with the same provenance.
            ALTER TABLE index_constituents ADD COLUMN name text;
            ALTER TABLE index_constituents ADD COLUMN close numeric;
            ALTER TABLE index_constituents ADD COLUMN market_cap numeric;
            ALTER TABLE index_constituents ADD COLUMN source text;
            ALTER TABLE index_constituents ADD COLUMN fetched_at timestamptz;
            """),
        new(7, "delistings inferred from complete listings", DelistingInference),
        new(8, "conditions, their matches and events, the alert outbox", """
            CREATE TABLE conditions (
                id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name             text NOT NULL UNIQUE,
                expression       text NOT NULL,
                market           text,
                active           bigint NOT NULL,
                schedule         text NOT NULL CHECK (schedule IN ('interval', 'on-tick', 'eod')),
                interval_seconds bigint NOT NULL,
                channels         text NOT NULL,
                created_at       timestamptz NOT NULL,
                updated_at       timestamptz NOT NULL,
                last_run_at      timestamptz,
                last_session     date
            );

            -- The matching set of each condition after its last evaluation.
            CREATE TABLE condition_matches (
                condition_id bigint NOT NULL,
                code         text NOT NULL,
                since        timestamptz NOT NULL,
                PRIMARY KEY (condition_id, code)
            );

            -- Entries and exits, kept as history with the values that decided them.
            CREATE TABLE condition_events (
                id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                condition_id bigint NOT NULL,
                code         text NOT NULL,
                event        text NOT NULL CHECK (event IN ('entry', 'exit')),
                at           timestamptz NOT NULL,
                session      date NOT NULL,
                live         text,
                vals         text NOT NULL
            );

            CREATE INDEX condition_events_by_condition ON condition_events (condition_id, at);

            -- Alerts written in the same transaction as their event; a sender delivers them at least once.
            CREATE TABLE alert_outbox (
                id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                event_id        bigint NOT NULL,
                condition_id    bigint NOT NULL,
                code            text NOT NULL,
                event           text NOT NULL,
                channel         text NOT NULL,
                idempotency_key text NOT NULL UNIQUE,
                message         text NOT NULL,
                payload         text NOT NULL,
                status          text NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
                attempts        bigint NOT NULL,
                next_attempt_at timestamptz NOT NULL,
                last_error      text,
                created_at      timestamptz NOT NULL,
                sent_at         timestamptz
            );

            CREATE INDEX alert_outbox_due ON alert_outbox (status, next_attempt_at);
            CREATE INDEX alert_outbox_dedupe ON alert_outbox (condition_id, code, event, channel, created_at);
            """),
        new(9, "API keys, stored hashed", """
            -- The key itself is never stored: only its SHA-256 and the first characters the owner can recognise it by.
            CREATE TABLE api_keys (
                id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name         text NOT NULL,
                role         text NOT NULL CHECK (role IN ('read', 'admin')),
                key_hash     text NOT NULL UNIQUE,
                prefix       text NOT NULL,
                created_at   timestamptz NOT NULL,
                revoked_at   timestamptz,
                last_used_at timestamptz
            );

            CREATE UNIQUE INDEX api_keys_active_name ON api_keys (name) WHERE revoked_at IS NULL;
            """),
        new(10, StoreViews.Name, StoreViews.Postgres),
        new(11, KiwoomConditionRows.Name, KiwoomConditionRows.Sql),
        new(12, "alert channels set through the API", """
            -- See SqliteSchema: a channel set through the API, its secrets sealed when a key is set.
            CREATE TABLE alert_channels (
                channel    text PRIMARY KEY,
                settings   text NOT NULL,
                updated_at timestamptz NOT NULL
            );
            """),
        new(13, SqliteSchema.StagingFile, """
            -- Nothing to do here: staging_daily_bars is an unlogged table already (see SqliteSchema).
            SELECT 1;
            """),
        new(14, SqliteSchema.StagingWithoutRunIndex, """
            -- The staging table usually holds one run, whose promotion reads all of it: the run_id index saved no reads, and
            -- maintaining it cost a quarter of the server's time of a staging COPY (986k bars: 2.4-4.2 s with it, 1.9-3.0 s
            -- without, psql on the busy shared machine).
            DROP INDEX IF EXISTS staging_daily_bars_by_run;
            """),
    ];

    // Version 7 (6 is taken by another change): see SqliteSchema.
    private const string DelistingInference = """
        ALTER TABLE stocks ADD COLUMN delisting_inferred boolean NOT NULL DEFAULT false;
        ALTER TABLE stocks ADD COLUMN absent_count integer NOT NULL DEFAULT 0;
        ALTER TABLE stocks ADD COLUMN last_absent_on date;
        """;
}
