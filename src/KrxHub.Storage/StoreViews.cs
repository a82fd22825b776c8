namespace KrxHub.Storage;

/// <summary>
/// Migration 10: stable read-only views for other programs (docs/sql.md). The four plain views are the same SQL on both
/// backends; the adjusted view differs (PostgreSQL multiplies factors in numeric and LATERAL, SQLite in doubles), and only
/// PostgreSQL has roles.
/// </summary>
internal static class StoreViews
{
    public const string Name = "read-only SQL views";

    private const string Plain = """
            -- Stable read-only views for other programs (pandas, SQLAlchemy, BI tools): their columns only ever grow.
            CREATE VIEW v_stocks AS
            SELECT code, name, name_en, market, segment, isin, industry, listing_date, delisting_date, listed_shares, as_of, updated_at
            FROM stocks;

            CREATE VIEW v_daily_bars_raw AS
            SELECT code, date, open, high, low, close, volume, trading_value, market_cap, listed_shares, base_price, no_trade, source, fetched_at
            FROM daily_bars WHERE basis = 'raw';

            CREATE VIEW v_investor_flows AS
            SELECT code, date, investor, buy_volume, sell_volume, net_volume, buy_value, sell_value, net_value, source, fetched_at
            FROM investor_flows;

            CREATE VIEW v_index_bars AS
            SELECT index_code, date, open, high, low, close, volume, trading_value, market_cap, source, fetched_at
            FROM index_bars;
        """;

    public const string Postgres = Plain + """

            -- Adjusted bars as the API makes them: derived from a raw bar (raw × the product of the factors of every later
            -- event, rounded half away from zero) wherever one exists, else the imported adjusted bar. numeric ln/exp keep
            -- the product exact to far below a won.
            CREATE VIEW v_daily_bars_adjusted AS
            SELECT b.code, b.date,
                   round(b.open * f.factor) AS open, round(b.high * f.factor) AS high, round(b.low * f.factor) AS low,
                   round(b.close * f.factor) AS close, b.volume, b.trading_value, b.market_cap, 'derived' AS adjustment, f.factor
            FROM daily_bars b
            CROSS JOIN LATERAL (
                SELECT coalesce(exp(sum(ln(e.base_price / e.previous_close))), 1) AS factor
                FROM adjustment_events e WHERE e.code = b.code AND e.date > b.date) f
            WHERE b.basis = 'raw'
            UNION ALL
            SELECT a.code, a.date, a.open, a.high, a.low, a.close, a.volume, a.trading_value, a.market_cap, 'imported', NULL
            FROM daily_bars a
            WHERE a.basis = 'adjusted'
              AND NOT EXISTS (SELECT 1 FROM daily_bars r WHERE r.code = a.code AND r.date = a.date AND r.basis = 'raw');

            -- A role to grant to read-only logins (docs/sql.md): SELECT on the views, nothing else. Creating it needs
            -- CREATEROLE; without it the views are still made and the role is left to the administrator.
            DO $$
            BEGIN
                -- Roles belong to the cluster: two databases migrating at once may both find none and both create it.
                BEGIN
                    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'krxhub_read') THEN
                        CREATE ROLE krxhub_read NOLOGIN;
                    END IF;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL; -- created by the other one meanwhile
                END;
                GRANT USAGE ON SCHEMA public TO krxhub_read;
                GRANT SELECT ON v_stocks, v_daily_bars_raw, v_daily_bars_adjusted, v_investor_flows, v_index_bars TO krxhub_read;
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE NOTICE 'krxhub_read not created: no CREATEROLE privilege (see docs/sql.md)';
            END
            $$;
        """;

    public const string Sqlite = Plain + """

            -- Adjusted bars as the API makes them: derived from a raw bar (raw × the product of the factors of every later
            -- event, rounded half away from zero) wherever one exists, else the imported adjusted bar. SQLite multiplies
            -- the factors through exp(sum(ln)) in doubles: exact to the won except on a tie a billionth of a won away.
            CREATE VIEW v_daily_bars_adjusted AS
            SELECT code, date,
                   CAST(round(open * factor) AS INTEGER) AS open, CAST(round(high * factor) AS INTEGER) AS high,
                   CAST(round(low * factor) AS INTEGER) AS low, CAST(round(close * factor) AS INTEGER) AS close,
                   volume, trading_value, market_cap, 'derived' AS adjustment, factor
            FROM (SELECT b.*, coalesce((SELECT exp(sum(ln(CAST(e.base_price AS REAL) / e.previous_close)))
                                        FROM adjustment_events e WHERE e.code = b.code AND e.date > b.date), 1.0) AS factor
                  FROM daily_bars b WHERE b.basis = 'raw')
            UNION ALL
            SELECT a.code, a.date, a.open, a.high, a.low, a.close, a.volume, a.trading_value, a.market_cap, 'imported', NULL
            FROM daily_bars a
            WHERE a.basis = 'adjusted'
              AND NOT EXISTS (SELECT 1 FROM daily_bars r WHERE r.code = a.code AND r.date = a.date AND r.basis = 'raw');
        """;
}
