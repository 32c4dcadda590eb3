import GRDB
import GRDBSQLite
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

        // Search, lifecycle, previews, pack roles and attachments. The asset table is
        // rebuilt because a track made from a stem pack without a full mix has no file of
        // its own: its file and audio columns become nullable for tracks only.
        migrator.registerMigration("catalog-2-search-lifecycle-previews") { db in
            try db.execute(sql: """
                CREATE TABLE asset_v2 (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'ast\\_%' ESCAPE '\\'),
                    owner_id TEXT NOT NULL REFERENCES party(id),
                    kind TEXT NOT NULL CHECK (kind IN ('track', 'stem', 'loop')),
                    track_id TEXT REFERENCES asset_v2(id),
                    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'withdrawn')),
                    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
                    role TEXT CHECK (role IS NULL OR kind = 'stem'),
                    bpm REAL CHECK (bpm IS NULL OR (bpm > 0 AND bpm <= 400)),
                    musical_key TEXT,
                    camelot TEXT,
                    tags TEXT NOT NULL DEFAULT '[]',
                    moods TEXT NOT NULL DEFAULT '[]',
                    genres TEXT NOT NULL DEFAULT '[]',
                    instruments TEXT NOT NULL DEFAULT '[]',
                    vocals INTEGER CHECK (vocals IS NULL OR vocals IN (0, 1)),
                    isrc TEXT CHECK (isrc IS NULL OR length(isrc) = 12),
                    blob_sha256 TEXT CHECK (blob_sha256 IS NULL OR length(blob_sha256) = 64),
                    byte_count INTEGER CHECK (byte_count IS NULL OR byte_count > 0),
                    filename TEXT,
                    container TEXT,
                    encoding TEXT,
                    sample_rate INTEGER CHECK (sample_rate IS NULL OR sample_rate > 0),
                    bit_depth INTEGER,
                    channels INTEGER CHECK (channels IS NULL OR channels > 0),
                    frames INTEGER CHECK (frames IS NULL OR frames > 0),
                    duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0),
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL,
                    published_at INTEGER,
                    withdrawn_at INTEGER,
                    preview_status TEXT NOT NULL DEFAULT 'pending'
                        CHECK (preview_status IN ('pending', 'ready', 'failed', 'none')),
                    preview_detail TEXT,
                    preview_start_ms INTEGER NOT NULL DEFAULT 0 CHECK (preview_start_ms >= 0),
                    preview_duration_ms INTEGER NOT NULL DEFAULT 30000 CHECK (preview_duration_ms > 0),
                    preview_watermark INTEGER NOT NULL DEFAULT 0 CHECK (preview_watermark IN (0, 1)),
                    preview_sha256 TEXT,
                    preview_byte_count INTEGER,
                    preview_format TEXT,
                    waveform_sha256 TEXT,
                    CHECK ((kind = 'stem') = (track_id IS NOT NULL)),
                    -- Only a track may lack a file (one made from stems alone); all or none of the file's facts.
                    CHECK ((blob_sha256 IS NULL) = (container IS NULL) AND (blob_sha256 IS NULL) = (frames IS NULL)
                           AND (blob_sha256 IS NULL) = (sample_rate IS NULL) AND (blob_sha256 IS NULL) = (byte_count IS NULL)),
                    CHECK (blob_sha256 IS NOT NULL OR kind = 'track')
                );
                INSERT INTO asset_v2 (id, owner_id, kind, track_id, status, title, bpm, musical_key, camelot, tags, moods,
                    genres, instruments, vocals, isrc, blob_sha256, byte_count, filename, container, encoding, sample_rate,
                    bit_depth, channels, frames, duration_ms, created_at, updated_at)
                SELECT id, owner_id, kind, track_id, status, title, bpm, musical_key, camelot, tags, moods,
                    genres, instruments, vocals, isrc, blob_sha256, byte_count, filename, container, encoding, sample_rate,
                    bit_depth, channels, frames, duration_ms, created_at, updated_at FROM asset;
                DROP TABLE asset;
                ALTER TABLE asset_v2 RENAME TO asset;

                CREATE INDEX asset_owner ON asset(owner_id, id);
                CREATE INDEX asset_track ON asset(track_id);
                CREATE INDEX asset_blob ON asset(blob_sha256);
                CREATE INDEX asset_status_id ON asset(status, id);
                CREATE INDEX asset_status_bpm ON asset(status, bpm);
                CREATE INDEX asset_status_camelot ON asset(status, camelot, id);
                CREATE INDEX asset_status_duration ON asset(status, duration_ms, id);
                CREATE INDEX asset_status_kind_duration ON asset(status, kind, duration_ms, id);
                CREATE INDEX asset_preview_pending ON asset(preview_status) WHERE preview_status = 'pending';

                -- Text files that came with a pack (credits, lyrics), kept for bundles.
                CREATE TABLE asset_attachment (
                    asset_id TEXT NOT NULL REFERENCES asset(id),
                    name TEXT NOT NULL,
                    blob_sha256 TEXT NOT NULL CHECK (length(blob_sha256) = 64),
                    byte_count INTEGER NOT NULL CHECK (byte_count >= 0),
                    PRIMARY KEY (asset_id, name)
                );

                -- Full-text search over what people type: title, tags, moods, genres,
                -- instruments and the composer's name. Kept in step by triggers.
                CREATE VIRTUAL TABLE asset_search USING fts5(
                    title, tags, moods, genres, instruments, composer,
                    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
                );
                INSERT INTO asset_search (rowid, title, tags, moods, genres, instruments, composer)
                SELECT asset.rowid, asset.title, asset.tags, asset.moods, asset.genres, asset.instruments, party.display_name
                FROM asset JOIN party ON party.id = asset.owner_id;
                -- Titles weigh most, then tags, then moods, genres and instruments, then the composer.
                INSERT INTO asset_search (asset_search, rank) VALUES ('rank', 'bm25(10.0, 5.0, 3.0, 3.0, 3.0, 2.0)');
                CREATE TRIGGER asset_search_insert AFTER INSERT ON asset BEGIN
                    INSERT INTO asset_search (rowid, title, tags, moods, genres, instruments, composer)
                    VALUES (new.rowid, new.title, new.tags, new.moods, new.genres, new.instruments,
                            (SELECT display_name FROM party WHERE id = new.owner_id));
                END;
                CREATE TRIGGER asset_search_update AFTER UPDATE OF title, tags, moods, genres, instruments ON asset BEGIN
                    UPDATE asset_search SET title = new.title, tags = new.tags, moods = new.moods, genres = new.genres,
                        instruments = new.instruments WHERE rowid = new.rowid;
                END;
                CREATE TRIGGER asset_search_delete AFTER DELETE ON asset BEGIN
                    DELETE FROM asset_search WHERE rowid = old.rowid;
                END;
                CREATE TRIGGER asset_search_composer AFTER UPDATE OF display_name ON party BEGIN
                    UPDATE asset_search SET composer = new.display_name
                    WHERE rowid IN (SELECT rowid FROM asset WHERE owner_id = new.id);
                END;
                """)
        }
        // One row the health check rewrites, so /health knows the database takes writes.
        migrator.registerMigration("catalog-3-health-probe") { db in
            try db.execute(sql: """
                CREATE TABLE health_probe (
                    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                    checked_at INTEGER NOT NULL CHECK (typeof(checked_at) = 'integer')
                );
                """)
        }
        // The id of the storage folder this database belongs to (see `StorageIdentity`).
        migrator.registerMigration("catalog-4-storage-identity") { db in
            try db.execute(sql: """
                CREATE TABLE storage_identity (
                    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
                    folder_id TEXT NOT NULL CHECK (length(folder_id) BETWEEN 1 AND 64)
                );
                """)
        }
        // What each consumed upload made (an asset, or a pack's track, stems and text files)
        // and a fingerprint of the request that made it, so that the same request again (a
        // client retrying after losing the answer) gets the same answer, and another is refused.
        migrator.registerMigration("catalog-5-consumed-uploads") { db in
            try db.execute(sql: """
                CREATE TABLE consumed_upload (
                    upload_id TEXT PRIMARY KEY NOT NULL,
                    owner_id TEXT NOT NULL REFERENCES party(id),
                    made TEXT NOT NULL CHECK (made IN ('asset', 'pack')),
                    request_sha256 TEXT NOT NULL CHECK (length(request_sha256) = 64),
                    asset_id TEXT NOT NULL REFERENCES asset(id),
                    stem_ids TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(stem_ids)),
                    attachment_names TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(attachment_names)),
                    consumed_at INTEGER NOT NULL CHECK (typeof(consumed_at) = 'integer')
                ) WITHOUT ROWID;
                """)
        }
    }
}

extension Identifier: DatabaseValueConvertible, StatementColumnConvertible {
    public var databaseValue: DatabaseValue { rawValue.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Self? {
        String.fromDatabaseValue(dbValue).flatMap(Self.init)
    }

    /// Read straight from a statement's column (rows read through a cursor): no
    /// intermediate `DatabaseValue`, no `String` copy before the check.
    public init?(sqliteStatement: SQLiteStatement, index: CInt) {
        guard let text = sqlite3_column_text(sqliteStatement, index) else { return nil }
        let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(sqliteStatement, index)))
        guard let id = Self(utf8: bytes) else { return nil }
        self = id
    }
}

extension Timestamp: DatabaseValueConvertible, StatementColumnConvertible {
    public var databaseValue: DatabaseValue { millisecondsSince1970.databaseValue }
    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Self? {
        Int64.fromDatabaseValue(dbValue).map(Timestamp.init(millisecondsSince1970:))
    }

    public init(sqliteStatement: SQLiteStatement, index: CInt) {
        self.init(millisecondsSince1970: sqlite3_column_int64(sqliteStatement, index))
    }
}

extension PartyKind: DatabaseValueConvertible {}
extension AssetKind: DatabaseValueConvertible {}
extension AssetStatus: DatabaseValueConvertible {}
