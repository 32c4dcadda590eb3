import GRDB

/// The usage pipeline's tables.
public enum UsageSchema {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("usage-1-events-counters-earnings") { db in
            try db.execute(sql: """
                -- Every event ever acknowledged, accepted or flagged; a replay finds its row here.
                CREATE TABLE usage_event (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    reporter_id TEXT NOT NULL REFERENCES party(id),
                    event_id TEXT NOT NULL,
                    license_id TEXT NOT NULL REFERENCES license(id),
                    kind TEXT NOT NULL CHECK (kind IN ('view', 'play', 'use', 'seconds')),
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    platform TEXT NOT NULL,
                    channel_id TEXT,
                    video_id TEXT,
                    country TEXT,
                    occurred_at INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    period TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('accepted', 'flagged', 'reversal')),
                    flag_limit TEXT,
                    flag_detail TEXT,
                    suggested_template TEXT,
                    charged_micros INTEGER NOT NULL DEFAULT 0 CHECK (charged_micros >= 0),
                    reverses_seq INTEGER REFERENCES usage_event(seq),
                    UNIQUE (reporter_id, event_id)
                );
                CREATE INDEX usage_event_license ON usage_event(license_id, kind);
                -- An event is reversed at most once.
                CREATE UNIQUE INDEX usage_event_reversal ON usage_event(reverses_seq) WHERE reverses_seq IS NOT NULL;

                -- Running totals per license and kind: what cumulative pricing reads and writes.
                CREATE TABLE usage_counter (
                    license_id TEXT NOT NULL REFERENCES license(id),
                    kind TEXT NOT NULL,
                    total_quantity INTEGER NOT NULL DEFAULT 0,
                    charged_micros INTEGER NOT NULL DEFAULT 0,
                    uses INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (license_id, kind)
                );

                -- Per rights holder, period, asset, template, platform and kind: a statement line,
                -- updated in the transaction that books the usage.
                CREATE TABLE earnings_line (
                    party_id TEXT NOT NULL REFERENCES party(id),
                    period TEXT NOT NULL,
                    asset_id TEXT NOT NULL,
                    template_id TEXT NOT NULL,
                    platform TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    quantity INTEGER NOT NULL DEFAULT 0,
                    gross_micros INTEGER NOT NULL DEFAULT 0,
                    fee_micros INTEGER NOT NULL DEFAULT 0,
                    share_micros INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (party_id, period, asset_id, template_id, platform, kind)
                );

                -- The platforms a reporter party reports for.
                CREATE TABLE reporter_platform (
                    reporter_id TEXT NOT NULL REFERENCES party(id),
                    platform TEXT NOT NULL,
                    PRIMARY KEY (reporter_id, platform)
                );
                """)
        }

        // Late events are found by their booking period and original date; without this
        // index a statement scanned every event of its period.
        migrator.registerMigration("usage-3-period-index") { db in
            try db.execute(sql: "CREATE INDEX usage_event_period_occurred ON usage_event(period, occurred_at)")
        }

        // A batch books one set of transfers per statement line, not per event; each event
        // keeps how its own charge was divided (fee, and `party=micros` shares), so that a
        // reversal books its exact opposite. Older events (NULL here) were booked one by one.
        migrator.registerMigration("usage-4-event-split") { db in
            try db.execute(sql: """
                ALTER TABLE usage_event ADD COLUMN fee_micros INTEGER;
                ALTER TABLE usage_event ADD COLUMN shares TEXT;
                """)
        }

        // Reversals booked in a period, for its statements' adjustments (a few rows, however
        // many events the period holds).
        migrator.registerMigration("usage-5-reversal-index") { db in
            try db.execute(sql: "CREATE INDEX usage_event_period_reversal ON usage_event(period) WHERE status = 'reversal'")
        }
    }
}
