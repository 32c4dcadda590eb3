import Foundation
import Blocking
import GRDB
import SyncletCore

/// The catalog's data: parties, API keys, uploads and assets. Wraps the database; every
/// method is one transaction.
public struct CatalogStore: Sendable {
    public let writer: any DatabaseWriter

    public init(writer: any DatabaseWriter) { self.writer = writer }

    // MARK: Parties

    public func createParty(_ party: PartyRecord) async throws {
        try await writer.write { db in try party.insert(db) }
    }

    public func party(_ id: PartyID) async throws -> PartyRecord? {
        try await writer.pooledRead { db in try PartyRecord.fetchOne(db, key: id) }
    }

    public func partyCount() async throws -> Int {
        try await writer.pooledRead { db in try PartyRecord.fetchCount(db) }
    }

    /// Parties in id order after `cursor`, at most `limit`.
    public func parties(after cursor: PartyID?, limit: Int) async throws -> [PartyRecord] {
        try await writer.pooledRead { db in
            var request = PartyRecord.order(Column("id"))
            if let cursor { request = request.filter(Column("id") > cursor) }
            return try request.limit(limit).fetchAll(db)
        }
    }

    // MARK: API keys

    public func insertKey(_ key: APIKeyRecord) async throws {
        try await writer.write { db in try key.insert(db) }
    }

    /// The key row for a lookup, and its party; the caller compares the hash. One read on
    /// GRDB's queue: never a synchronous read on the request's thread, which froze the
    /// server once every cooperative thread waited for a connection held by async reads.
    ///
    /// It runs on every authenticated request, so it is one prepared statement, kept per
    /// connection, decoded by position (GRDB's query builder and Codable decoding cost
    /// several times the query here).
    public func keyAndParty(lookup: String) async throws -> (APIKeyRecord, PartyRecord)? {
        try await writer.pooledStatementRead { db -> (APIKeyRecord, PartyRecord)? in
            let statement = try db.cachedStatement(sql: """
                SELECT k.id, k.party_id, k.lookup, k.token_sha256, k.hint, k.label, k.created_at, k.revoked_at,
                       p.kind, p.display_name, p.created_at
                FROM api_key k JOIN party p ON p.id = k.party_id WHERE k.lookup = ?
                """)
            guard let row = try Row.fetchOne(statement, arguments: [lookup]) else { return nil }
            let digest: Data = row[3]
            let key = APIKeyRecord(id: row[0], partyID: row[1], lookup: row[2], tokenSHA256: Array(digest), hint: row[4],
                                   label: row[5], createdAt: row[6], revokedAt: row[7])
            return (key, PartyRecord(id: key.partyID, kind: row[8], displayName: row[9], createdAt: row[10]))
        }
    }

    public func keys(of party: PartyID) async throws -> [APIKeyRecord] {
        try await writer.pooledRead { db in
            try APIKeyRecord.filter(APIKeyRecord.Columns.partyID == party).order(Column("id")).fetchAll(db)
        }
    }

    public func key(_ id: APIKeyID) async throws -> APIKeyRecord? {
        try await writer.pooledRead { db in try APIKeyRecord.fetchOne(db, key: id) }
    }

    /// Marks a key revoked; revoking twice keeps the first time.
    public func revokeKey(_ id: APIKeyID, at now: Timestamp) async throws -> APIKeyRecord? {
        try await writer.write { db in
            guard var key = try APIKeyRecord.fetchOne(db, key: id) else { return nil }
            if key.revokedAt == nil {
                // The operator is never locked out: its last key in force stays. (The write
                // transaction makes the count and the revocation one step.)
                let isOperatorKey = try String.fetchOne(db, sql: "SELECT kind FROM party WHERE id = ?", arguments: [key.partyID]) == "admin"
                if isOperatorKey {
                    let others = try Int.fetchOne(db, sql: """
                        SELECT count(*) FROM api_key JOIN party ON party.id = api_key.party_id
                        WHERE party.kind = 'admin' AND api_key.revoked_at IS NULL AND api_key.id <> ?
                        """, arguments: [id]) ?? 0
                    guard others > 0 else {
                        throw Problem.conflict("last-operator-key",
                            "\(id) is the last operator key in force; revoking it would lock the operator out. Issue another "
                            + "operator key first (synclet admin issue-key), or recover one on the server: synclet admin recover-key --storage DIR.")
                    }
                }
                key.revokedAt = now
                try key.update(db)
            }
            return key
        }
    }

    // MARK: Uploads

    /// Inserts an upload unless the owner already holds `openMax` unfinished ones.
    public func createUpload(_ upload: UploadRecord, openMax: Int) async throws {
        try await writer.write { db in
            let open = try UploadRecord
                .filter(UploadRecord.Columns.ownerID == upload.ownerID && UploadRecord.Columns.expiresAt >= upload.createdAt)
                .fetchCount(db)
            guard open < openMax else {
                throw Problem.conflict("too-many-uploads",
                    "You have \(open) unfinished uploads. Finish or delete some (DELETE /v1/uploads/{id}) before starting another.")
            }
            try upload.insert(db)
        }
    }

    public func upload(_ id: UploadID) async throws -> UploadRecord? {
        try await writer.pooledRead { db in try UploadRecord.fetchOne(db, key: id) }
    }

    public func touchUpload(_ id: UploadID, expiresAt: Timestamp) async throws {
        try await writer.write { db in
            try db.execute(sql: "UPDATE upload SET expires_at = ? WHERE id = ?", arguments: [expiresAt, id])
        }
    }

    public func deleteUpload(_ id: UploadID) async throws {
        _ = try await writer.write { db in try UploadRecord.deleteOne(db, key: id) }
    }

    public func expiredUploads(at now: Timestamp) async throws -> [UploadRecord] {
        try await writer.pooledRead { db in
            try UploadRecord.filter(UploadRecord.Columns.expiresAt < now).fetchAll(db)
        }
    }

    public func allUploadIDs() async throws -> Set<String> {
        try await writer.pooledRead { db in Set(try String.fetchAll(db, sql: "SELECT id FROM upload")) }
    }

    // MARK: Assets

    /// A stored file and the audio facts read from it.
    public struct StoredAudio: Sendable, Equatable {
        public var blobSHA256: String
        public var byteCount: Int64
        public var filename: String?
        public var container: String
        public var encoding: String
        public var sampleRate: Int
        public var bitDepth: Int?
        public var channels: Int
        public var frames: Int64
        public var durationMilliseconds: Int64

        public init(blobSHA256: String, byteCount: Int64, filename: String?, container: String, encoding: String,
                    sampleRate: Int, bitDepth: Int?, channels: Int, frames: Int64, durationMilliseconds: Int64) {
            self.blobSHA256 = blobSHA256
            self.byteCount = byteCount
            self.filename = filename
            self.container = container
            self.encoding = encoding
            self.sampleRate = sampleRate
            self.bitDepth = bitDepth
            self.channels = channels
            self.frames = frames
            self.durationMilliseconds = durationMilliseconds
        }
    }

    /// Everything a new asset needs, validated, with its file (if any) already in the blob store.
    public struct NewAsset: Sendable {
        public var id: AssetID
        public var ownerID: PartyID
        public var metadata: AssetMetadata
        /// `nil` only for a track made of stems alone.
        public var audio: StoredAudio?
        /// For a track without a file: its length, the longest of its stems.
        public var durationMilliseconds: Int64?
        public var now: Timestamp

        public init(id: AssetID, ownerID: PartyID, metadata: AssetMetadata, audio: StoredAudio?,
                    durationMilliseconds: Int64? = nil, now: Timestamp) {
            self.id = id
            self.ownerID = ownerID
            self.metadata = metadata
            self.audio = audio
            self.durationMilliseconds = durationMilliseconds
            self.now = now
        }

        var record: AssetRecord {
            let m = metadata
            return AssetRecord(
                id: id, ownerID: ownerID, kind: m.kind, trackID: m.trackID, status: .draft, title: m.title,
                role: m.role, bpm: m.bpm, musicalKey: m.key?.name, camelot: m.key?.camelot, tags: m.tags, moods: m.moods,
                genres: m.genres, instruments: m.instruments, vocals: m.vocals, isrc: m.isrc?.code,
                blobSHA256: audio?.blobSHA256, byteCount: audio?.byteCount, filename: audio?.filename,
                container: audio?.container, encoding: audio?.encoding, sampleRate: audio?.sampleRate,
                bitDepth: audio?.bitDepth, channels: audio?.channels, frames: audio?.frames,
                durationMilliseconds: audio?.durationMilliseconds ?? durationMilliseconds ?? 0,
                createdAt: now, updatedAt: now, publishedAt: nil, withdrawnAt: nil,
                previewStatus: audio == nil ? .none : .pending,
                previewDetail: audio == nil ? "This track has no full mix of its own; its stems have previews." : nil,
                previewStartMilliseconds: m.preview.startMilliseconds, previewDurationMilliseconds: m.preview.durationMilliseconds,
                previewWatermark: m.preview.watermark, previewSHA256: nil, previewByteCount: nil, previewFormat: nil,
                waveformSHA256: nil)
        }
    }

    /// Checks what needs the database (the track, the split parties) without writing.
    public func checkReferences(of metadata: AssetMetadata, owner: PartyID) async throws {
        try await writer.pooledRead { db in try Self.checkReferences(db, metadata: metadata, owner: owner) }
    }

    /// Checks the references again and inserts the asset and its splits, consuming the
    /// upload, in one transaction.
    public func createAsset(_ new: NewAsset, consuming uploadID: UploadID, requestSHA256: String) async throws -> AssetRecord {
        try await writer.write { db in
            let record = try Self.insert(db, new)
            try Self.consumeUpload(db, uploadID, owner: new.ownerID, made: .asset, requestSHA256: requestSHA256,
                                   asset: record.id, stems: [], attachments: [], now: new.now)
            return record
        }
    }

    /// What a consumed upload made, and the fingerprint of the request that made it.
    public struct UploadOutcome: Sendable {
        public enum Made: String, Sendable { case asset, pack }
        public let made: Made
        public let requestSHA256: String
        /// The asset, or the pack's track.
        public let asset: AssetRecord
        /// A pack's stems and text files, as the pack made them.
        public let stems: [AssetRecord]
        public let attachments: [String]
    }

    /// What `owner`'s upload `id` made, if it was consumed (another owner's: nil).
    public func outcome(ofUpload id: UploadID, owner: PartyID) async throws -> UploadOutcome? {
        try await writer.pooledRead { db in
            guard let row = try Row.fetchOne(db, sql: """
                    SELECT made, request_sha256, asset_id, stem_ids, attachment_names FROM consumed_upload
                    WHERE upload_id = ? AND owner_id = ?
                    """, arguments: [id, owner]),
                  let made = UploadOutcome.Made(rawValue: row["made"]),
                  let asset = try AssetRecord.fetchOne(db, key: row["asset_id"] as AssetID) else { return nil }
            let stemIDs = try JSONDecoder().decode([String].self, from: Data((row["stem_ids"] as String).utf8))
            let names = try JSONDecoder().decode([String].self, from: Data((row["attachment_names"] as String).utf8))
            let stems = try AssetRecord.fetchAll(db, keys: stemIDs.compactMap { AssetID($0) })
                .sorted { $0.id.rawValue < $1.id.rawValue }
            return UploadOutcome(made: made, requestSHA256: row["request_sha256"], asset: asset, stems: stems, attachments: names)
        }
    }

    static func insert(_ db: Database, _ new: NewAsset) throws -> AssetRecord {
        try checkReferences(db, metadata: new.metadata, owner: new.ownerID)
        var record = new.record
        if new.metadata.kind == .stem, let trackID = new.metadata.trackID, let track = try AssetRecord.fetchOne(db, key: trackID) {
            record.inheritMusicalFacts(from: track)
        }
        try record.insert(db)
        // Stems without their own splits follow the track's; everything else defaults to the owner.
        let splits = new.metadata.splits ?? (new.metadata.kind == .stem ? nil : Splits.sole(new.ownerID))
        for share in splits?.shares ?? [] {
            try AssetSplitRecord(assetID: new.id, version: 1, partyID: share.partyID,
                                 basisPoints: share.basisPoints, effectiveAt: new.now).insert(db)
        }
        return record
    }

    /// An upload is consumed by exactly one asset or pack; what it made is kept.
    static func consumeUpload(_ db: Database, _ id: UploadID, owner: PartyID, made: UploadOutcome.Made, requestSHA256: String,
                              asset: AssetID, stems: [AssetID], attachments: [String], now: Timestamp) throws {
        guard try UploadRecord.deleteOne(db, key: id) else { throw Problem.notFound("Upload \(id)") }
        let stemIDs = String(decoding: try JSONEncoder().encode(stems.map(\.rawValue)), as: UTF8.self)
        let names = String(decoding: try JSONEncoder().encode(attachments), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO consumed_upload (upload_id, owner_id, made, request_sha256, asset_id, stem_ids, attachment_names, consumed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, owner, made.rawValue, requestSHA256, asset, stemIDs, names, now.millisecondsSince1970])
    }

    static func checkReferences(_ db: Database, metadata: AssetMetadata, owner: PartyID) throws {
        if let trackID = metadata.trackID {
            guard let track = try AssetRecord.fetchOne(db, key: trackID), track.ownerID == owner else {
                throw Problem(status: 422, type: "validation", title: "The request is well-formed but invalid",
                              detail: "Track \(trackID) does not exist or is not yours; a stem must belong to one of your own tracks.",
                              extensions: ["field": "track_id"])
            }
            guard track.kind == .track else {
                throw Problem.invalid("\(trackID) is a \(track.kind.rawValue), not a track; stems belong to tracks.", field: "track_id")
            }
        }
        try checkSplitParties(db, metadata.splits)
    }

    /// Every share must name an existing composer. An id that cannot hold a share gets the
    /// same answer whatever it is (unknown, a licensee, a reporter, the operator), so a split
    /// never tells a composer what kind of party another id belongs to, or that it exists.
    static func checkSplitParties(_ db: Database, _ splits: Splits?) throws {
        for share in splits?.shares ?? [] {
            guard let party = try PartyRecord.fetchOne(db, key: share.partyID), party.kind == .composer else {
                throw Problem.invalid("Split party \(share.partyID) is not a composer who can hold a share; "
                                      + "ask the operator for your co-writers' party ids.", field: "splits")
            }
        }
    }

    public func asset(_ id: AssetID) async throws -> AssetRecord? {
        try await writer.pooledRead { db in try AssetRecord.fetchOne(db, key: id) }
    }

    /// Assets in id order after `cursor`; only `owner`'s when given.
    public func assets(owner: PartyID?, after cursor: AssetID?, limit: Int) async throws -> [AssetRecord] {
        try await writer.pooledRead { db in
            var request = AssetRecord.order(AssetRecord.Columns.id)
            if let owner { request = request.filter(AssetRecord.Columns.ownerID == owner) }
            if let cursor { request = request.filter(AssetRecord.Columns.id > cursor) }
            return try request.limit(limit).fetchAll(db)
        }
    }

    /// The splits in force for an asset: its latest version, or its track's for a stem that
    /// has none. `inherited` tells which.
    public func effectiveSplits(of asset: AssetRecord) async throws -> (shares: [SplitShare], inherited: Bool) {
        try await writer.pooledRead { db in try Self.effectiveSplits(db, asset: asset) }
    }

    /// The splits in force for many assets, in one read (the owner's list and search views).
    public func effectiveSplits(of assets: [AssetRecord]) async throws -> [AssetID: (shares: [SplitShare], inherited: Bool)] {
        guard !assets.isEmpty else { return [:] }
        return try await writer.pooledRead { db in
            var result = [AssetID: (shares: [SplitShare], inherited: Bool)]()
            for asset in assets { result[asset.id] = try Self.effectiveSplits(db, asset: asset) }
            return result
        }
    }

    public static func effectiveSplits(_ db: Database, asset: AssetRecord) throws -> (shares: [SplitShare], inherited: Bool) {
        let own = try latestSplits(db, assetID: asset.id)
        if !own.isEmpty || asset.trackID == nil { return (own, false) }
        return (try latestSplits(db, assetID: asset.trackID!), true)
    }

    static func latestSplits(_ db: Database, assetID: AssetID) throws -> [SplitShare] {
        try Row.fetchCursor(db.cachedStatement(sql: """
            SELECT party_id, basis_points FROM asset_split
            WHERE asset_id = ?1 AND version = (SELECT max(version) FROM asset_split WHERE asset_id = ?1)
            ORDER BY party_id
            """), arguments: [assetID])
            .map { SplitShare(partyID: $0[0], basisPoints: $0[1]) }.reduce(into: []) { $0.append($1) }
    }

    /// One asset by id, read with a prepared statement (the purchase path reads it in its
    /// write transaction).
    public static func asset(_ db: Database, _ id: AssetID) throws -> AssetRecord? {
        try Row.fetchCursor(db.cachedStatement(sql: "SELECT * FROM asset WHERE id = ?"), arguments: [id]).map { try AssetRecord(row: $0) }.next()
    }

    /// Proves the database takes a durable write (the health check): one row rewritten.
    public func probeWrite(at now: Timestamp) async throws {
        try await writer.write { db in
            try db.execute(sql: "INSERT INTO health_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
                           arguments: [now.millisecondsSince1970])
        }
    }

    /// Whether any asset still refers to a blob (before deleting an orphan file).
    public func blobIsReferenced(_ sha256: String) async throws -> Bool {
        try await writer.pooledRead { db in
            try AssetRecord.filter(AssetRecord.Columns.blobSHA256 == sha256).fetchCount(db) > 0
        }
    }
}
