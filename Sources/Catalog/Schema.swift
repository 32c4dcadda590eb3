import GRDB
import SyncletCore

/// The catalog's tables. Shipped migrations are never edited: add a new one.
public enum CatalogSchema {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("catalog-1-parties-keys-uploads-assets") { db in
            try db.execute(sql: """
                CREATE TABLE party (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'pty\\_%' ESCAPE '\\'),
                    kind TEXT NOT NULL CHECK (kind IN ('composer', 'licensee', 'reporter', 'admin')),
                    display_name TEXT NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
                    created_at INTEGER NOT NULL
                );

                CREATE TABLE api_key (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'key\\_%' ESCAPE '\\'),
                    party_id TEXT NOT NULL REFERENCES party(id),
                    lookup TEXT NOT NULL UNIQUE,
                    token_sha256 BLOB NOT NULL CHECK (length(token_sha256) = 32),
                    hint TEXT NOT NULL,
                    label TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    revoked_at INTEGER
                );
                CREATE INDEX api_key_party ON api_key(party_id);

                CREATE TABLE upload (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'upl\\_%' ESCAPE '\\'),
                    owner_id TEXT NOT NULL REFERENCES party(id),
                    length INTEGER NOT NULL CHECK (length > 0),
                    filename TEXT,
                    metadata TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL
                );
                CREATE INDEX upload_owner ON upload(owner_id);
                CREATE INDEX upload_expiry ON upload(expires_at);

                CREATE TABLE asset (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'ast\\_%' ESCAPE '\\'),
                    owner_id TEXT NOT NULL REFERENCES party(id),
                    kind TEXT NOT NULL CHECK (kind IN ('track', 'stem', 'loop')),
                    track_id TEXT REFERENCES asset(id),
                    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'withdrawn')),
                    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
                    bpm REAL CHECK (bpm IS NULL OR (bpm > 0 AND bpm <= 400)),
                    musical_key TEXT,
                    camelot TEXT,
                    tags TEXT NOT NULL DEFAULT '[]',
                    moods TEXT NOT NULL DEFAULT '[]',
                    genres TEXT NOT NULL DEFAULT '[]',
                    instruments TEXT NOT NULL DEFAULT '[]',
                    vocals INTEGER CHECK (vocals IS NULL OR vocals IN (0, 1)),
                    isrc TEXT CHECK (isrc IS NULL OR length(isrc) = 12),
                    blob_sha256 TEXT NOT NULL CHECK (length(blob_sha256) = 64),
                    byte_count INTEGER NOT NULL CHECK (byte_count > 0),
                    filename TEXT,
                    container TEXT NOT NULL,
                    encoding TEXT NOT NULL,
                    sample_rate INTEGER NOT NULL CHECK (sample_rate > 0),
                    bit_depth INTEGER,
                    channels INTEGER NOT NULL CHECK (channels > 0),
                    frames INTEGER NOT NULL CHECK (frames > 0),
                    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    CHECK ((kind = 'stem') = (track_id IS NOT NULL))
                );
                CREATE INDEX asset_owner ON asset(owner_id, id);
                CREATE INDEX asset_track ON asset(track_id);
                CREATE INDEX asset_blob ON asset(blob_sha256);

                -- Splits are versioned: a change adds a version, never rewrites one.
                -- A stem without rows here follows its track's splits.
                CREATE TABLE asset_split (
                    asset_id TEXT NOT NULL REFERENCES asset(id),
                    version INTEGER NOT NULL CHECK (version >= 1),
                    party_id TEXT NOT NULL REFERENCES party(id),
                    basis_points INTEGER NOT NULL CHECK (basis_points BETWEEN 1 AND 10000),
                    effective_at INTEGER NOT NULL,
                    PRIMARY KEY (asset_id, version, party_id)
                );
                """)
        }
    }
}

extension Identifier: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { rawValue.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Self? {
        String.fromDatabaseValue(dbValue).flatMap(Self.init)
    }
}

extension Timestamp: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { millisecondsSince1970.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Self? {
        Int64.fromDatabaseValue(dbValue).map(Timestamp.init(millisecondsSince1970:))
    }
}

extension PartyKind: DatabaseValueConvertible {}
extension AssetKind: DatabaseValueConvertible {}
extension AssetStatus: DatabaseValueConvertible {}
