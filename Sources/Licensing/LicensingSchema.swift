import GRDB
import SyncletCore

public enum LicenseTag: IdentifierKind { public static let prefix = "lic_" }
public typealias LicenseID = Identifier<LicenseTag>

/// The license engine's tables.
public enum LicensingSchema {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("licensing-1-licenses-payments-idempotency") { db in
            try db.execute(sql: """
                CREATE TABLE license (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'lic\\_%' ESCAPE '\\'),
                    code TEXT NOT NULL UNIQUE,
                    licensee_id TEXT NOT NULL REFERENCES party(id),
                    asset_id TEXT NOT NULL REFERENCES asset(id),
                    template_id TEXT NOT NULL,
                    template_version INTEGER NOT NULL CHECK (template_version >= 1),
                    terms_sha256 TEXT NOT NULL CHECK (length(terms_sha256) = 64),
                    envelope TEXT NOT NULL,
                    intended_use TEXT NOT NULL,
                    price_micros INTEGER NOT NULL CHECK (price_micros >= 0),
                    fee_micros INTEGER NOT NULL CHECK (fee_micros >= 0 AND fee_micros <= price_micros),
                    issued_at INTEGER NOT NULL,
                    expires_at INTEGER,
                    revoked_at INTEGER,
                    revoke_reason TEXT,
                    key_id TEXT NOT NULL,
                    token TEXT NOT NULL
                );
                CREATE INDEX license_licensee ON license(licensee_id, id);
                CREATE INDEX license_asset ON license(asset_id);

                -- The channels a license clears, for claim administrators.
                CREATE TABLE license_channel (
                    license_id TEXT NOT NULL REFERENCES license(id),
                    platform TEXT NOT NULL,
                    channel_id TEXT NOT NULL,
                    PRIMARY KEY (license_id, platform, channel_id)
                );
                CREATE INDEX license_channel_lookup ON license_channel(platform, channel_id);

                -- Each payment-provider payment is credited once.
                CREATE TABLE payment (
                    id TEXT PRIMARY KEY NOT NULL,
                    licensee_id TEXT NOT NULL REFERENCES party(id),
                    amount_micros INTEGER NOT NULL CHECK (amount_micros > 0),
                    received_at INTEGER NOT NULL
                );

                -- First answers to money-moving POSTs, replayed for a retry with the same key.
                CREATE TABLE idempotency (
                    party_id TEXT NOT NULL REFERENCES party(id),
                    key TEXT NOT NULL,
                    route TEXT NOT NULL,
                    request_sha256 TEXT NOT NULL,
                    status INTEGER NOT NULL,
                    response TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    PRIMARY KEY (party_id, key)
                );
                """)
        }

        // Limited drops, and monthly spending caps.
        migrator.registerMigration("licensing-2-drops-caps") { db in
            try db.execute(sql: """
                CREATE TABLE drop_sale (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'drp\\_%' ESCAPE '\\'),
                    asset_id TEXT NOT NULL REFERENCES asset(id),
                    template_id TEXT NOT NULL,
                    quantity INTEGER NOT NULL CHECK (quantity > 0),
                    sold INTEGER NOT NULL DEFAULT 0 CHECK (sold >= 0 AND sold <= quantity),
                    starts_at INTEGER NOT NULL,
                    ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),
                    created_at INTEGER NOT NULL
                );
                ALTER TABLE license ADD COLUMN drop_id TEXT REFERENCES drop_sale(id);

                CREATE TABLE spending_cap (
                    party_id TEXT PRIMARY KEY NOT NULL REFERENCES party(id),
                    monthly_cap_micros INTEGER NOT NULL CHECK (monthly_cap_micros >= 0)
                );
                """)
        }

        // The per-use prices a license was sold with (its template's pricing as JSON), so
        // that a later change of the template never reprices usage already licensed. NULL
        // for licenses sold before: they keep the template's current prices.
        migrator.registerMigration("licensing-3-license-pricing") { db in
            try db.execute(sql: "ALTER TABLE license ADD COLUMN pricing TEXT")
        }

        // How far below zero usage may take a licensee's wallet, where the operator set it
        // for that licensee (otherwise the usage-credit-limit setting).
        migrator.registerMigration("licensing-4-credit-limit") { db in
            try db.execute(sql: """
                CREATE TABLE credit_limit (
                    party_id TEXT PRIMARY KEY NOT NULL REFERENCES party(id),
                    limit_micros INTEGER NOT NULL CHECK (typeof(limit_micros) = 'integer' AND limit_micros BETWEEN 0 AND 1000000000000000)
                );
                """)
        }
    }
}
