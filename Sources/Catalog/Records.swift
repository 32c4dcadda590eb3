import Foundation
import GRDB
import SyncletCore

/// A party row.
public struct PartyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "party"
    public var id: PartyID
    public var kind: PartyKind
    public var displayName: String
    public var createdAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case id, kind
        case displayName = "display_name"
        case createdAt = "created_at"
    }

    public var wire: Wire.Party { Wire.Party(id: id, kind: kind, displayName: displayName, createdAt: createdAt) }
}

/// An API key row: the token's SHA-256, never the token.
public struct APIKeyRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "api_key"
    public var id: APIKeyID
    public var partyID: PartyID
    public var lookup: String
    public var tokenSHA256: [UInt8]
    public var hint: String
    public var label: String
    public var createdAt: Timestamp
    public var revokedAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id, lookup, hint, label
        case partyID = "party_id"
        case tokenSHA256 = "token_sha256"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }

    public enum Columns {
        static let lookup = Column(CodingKeys.lookup)
        static let partyID = Column(CodingKeys.partyID)
    }

    public var wire: Wire.APIKey {
        Wire.APIKey(id: id, partyID: partyID, label: label, hint: hint, createdAt: createdAt, revokedAt: revokedAt)
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["party_id"] = partyID
        container["lookup"] = lookup
        container["token_sha256"] = Data(tokenSHA256)
        container["hint"] = hint
        container["label"] = label
        container["created_at"] = createdAt
        container["revoked_at"] = revokedAt
    }

    public init(row: Row) throws {
        id = row["id"]
        partyID = row["party_id"]
        lookup = row["lookup"]
        tokenSHA256 = [UInt8]((row["token_sha256"] as Data?) ?? Data())
        hint = row["hint"]
        label = row["label"]
        createdAt = row["created_at"]
        revokedAt = row["revoked_at"]
    }

    public init(id: APIKeyID, partyID: PartyID, lookup: String, tokenSHA256: [UInt8], hint: String, label: String,
                createdAt: Timestamp, revokedAt: Timestamp? = nil) {
        self.id = id
        self.partyID = partyID
        self.lookup = lookup
        self.tokenSHA256 = tokenSHA256
        self.hint = hint
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// An unfinished resumable upload. Its bytes live in the store's upload folder; their
/// count on disk is the upload's offset.
public struct UploadRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "upload"
    public var id: UploadID
    public var ownerID: PartyID
    public var length: Int64
    public var filename: String?
    /// The raw `Upload-Metadata` header, echoed back on HEAD.
    public var metadata: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp

    public init(id: UploadID, ownerID: PartyID, length: Int64, filename: String?, metadata: String,
                createdAt: Timestamp, expiresAt: Timestamp) {
        self.id = id
        self.ownerID = ownerID
        self.length = length
        self.filename = filename
        self.metadata = metadata
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case id, length, filename, metadata
        case ownerID = "owner_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }

    public enum Columns {
        static let ownerID = Column(CodingKeys.ownerID)
        static let expiresAt = Column(CodingKeys.expiresAt)
    }
}

/// Where an asset's preview stands.
public enum PreviewStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Waiting for the preview worker.
    case pending
    case ready
    /// Rendering failed; `preview_detail` says why. The asset itself is unaffected.
    case failed
    /// Nothing to preview: a track made of stems alone has no file of its own.
    case none
}

/// An asset row. A track made from a stem pack without a full mix has no file: its file
/// and audio columns are then all nil (the schema enforces all-or-none).
extension AssetRecord {
    /// A stem plays in its track's tempo and key and carries its tags, unless it was given
    /// its own: so it is found by the tempo, key, harmonic and tag searches its track is.
    /// Copied when the stem is made; what the stem states itself wins.
    public mutating func inheritMusicalFacts(from track: AssetRecord) {
        if bpm == nil { bpm = track.bpm }
        if musicalKey == nil {
            musicalKey = track.musicalKey
            camelot = track.camelot
        }
        if tags.isEmpty { tags = track.tags }
    }
}

public struct AssetRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "asset"
    public var id: AssetID
    public var ownerID: PartyID
    public var kind: AssetKind
    public var trackID: AssetID?
    public var status: AssetStatus
    public var title: String
    public var role: String?
    public var bpm: Double?
    public var musicalKey: String?
    public var camelot: String?
    public var tags: [String]
    public var moods: [String]
    public var genres: [String]
    public var instruments: [String]
    public var vocals: Bool?
    public var isrc: String?
    public var blobSHA256: String?
    public var byteCount: Int64?
    public var filename: String?
    public var container: String?
    public var encoding: String?
    public var sampleRate: Int?
    public var bitDepth: Int?
    public var channels: Int?
    public var frames: Int64?
    public var durationMilliseconds: Int64
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var publishedAt: Timestamp?
    public var withdrawnAt: Timestamp?
    public var previewStatus: PreviewStatus
    public var previewDetail: String?
    public var previewStartMilliseconds: Int64
    public var previewDurationMilliseconds: Int64
    public var previewWatermark: Bool
    public var previewSHA256: String?
    public var previewByteCount: Int64?
    public var previewFormat: String?
    public var waveformSHA256: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, status, title, role, bpm, camelot, tags, moods, genres, instruments, vocals, isrc, filename
        case container, encoding, channels, frames
        case ownerID = "owner_id"
        case trackID = "track_id"
        case musicalKey = "musical_key"
        case blobSHA256 = "blob_sha256"
        case byteCount = "byte_count"
        case sampleRate = "sample_rate"
        case bitDepth = "bit_depth"
        case durationMilliseconds = "duration_ms"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case publishedAt = "published_at"
        case withdrawnAt = "withdrawn_at"
        case previewStatus = "preview_status"
        case previewDetail = "preview_detail"
        case previewStartMilliseconds = "preview_start_ms"
        case previewDurationMilliseconds = "preview_duration_ms"
        case previewWatermark = "preview_watermark"
        case previewSHA256 = "preview_sha256"
        case previewByteCount = "preview_byte_count"
        case previewFormat = "preview_format"
        case waveformSHA256 = "waveform_sha256"
    }


    public enum Columns {
        static let id = Column(CodingKeys.id)
        static let ownerID = Column(CodingKeys.ownerID)
        static let trackID = Column(CodingKeys.trackID)
        static let blobSHA256 = Column(CodingKeys.blobSHA256)
        static let previewStatus = Column(CodingKeys.previewStatus)
    }
}

/// One party's share in one version of an asset's splits.
public struct AssetSplitRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "asset_split"
    public var assetID: AssetID
    public var version: Int
    public var partyID: PartyID
    public var basisPoints: Int
    public var effectiveAt: Timestamp

    enum CodingKeys: String, CodingKey {
        case version
        case assetID = "asset_id"
        case partyID = "party_id"
        case basisPoints = "basis_points"
        case effectiveAt = "effective_at"
    }
}

extension AssetRecord {
    /// Reads a row. Columns are found by name once per row (GRDB's by-name lookup compares
    /// case-insensitively on every access, which dominated search time), then read by index.
    public init(row: Row) throws {
        self.init(row: row, columns: AssetColumns(ColumnIndex(row)))
    }

    /// Reads a row whose column positions are already known (many rows of one statement).
    init(row: Row, columns c: AssetColumns) {
        id = row[c.id]
        ownerID = row[c.ownerId]
        kind = row[c.kind]
        trackID = row[c.trackId]
        status = row[c.status]
        title = row[c.title]
        role = row[c.role]
        bpm = row[c.bpm]
        musicalKey = row[c.musicalKey]
        camelot = row[c.camelot]
        tags = Self.list(row[c.tags])
        moods = Self.list(row[c.moods])
        genres = Self.list(row[c.genres])
        instruments = Self.list(row[c.instruments])
        vocals = row[c.vocals]
        isrc = row[c.isrc]
        blobSHA256 = row[c.blobSha256]
        byteCount = row[c.byteCount]
        filename = row[c.filename]
        container = row[c.container]
        encoding = row[c.encoding]
        sampleRate = row[c.sampleRate]
        bitDepth = row[c.bitDepth]
        channels = row[c.channels]
        frames = row[c.frames]
        durationMilliseconds = row[c.durationMs]
        createdAt = row[c.createdAt]
        updatedAt = row[c.updatedAt]
        publishedAt = row[c.publishedAt]
        withdrawnAt = row[c.withdrawnAt]
        previewStatus = row[c.previewStatus]
        previewDetail = row[c.previewDetail]
        previewStartMilliseconds = row[c.previewStartMs]
        previewDurationMilliseconds = row[c.previewDurationMs]
        previewWatermark = row[c.previewWatermark]
        previewSHA256 = row[c.previewSha256]
        previewByteCount = row[c.previewByteCount]
        previewFormat = row[c.previewFormat]
        waveformSHA256 = row[c.waveformSha256]
    }

    /// A JSON array of strings as stored in the list columns (tags, moods, …).
    static func list(_ text: String?) -> [String] {
        guard let text, text != "[]" else { return [] }
        if let plain = plainList(text) { return plain }
        guard case .array(let items)? = try? JSONParser.parse(text.utf8) else { return [] }
        return items.compactMap { if case .string(let item) = $0 { item } else { nil } }
    }

    /// `["a","b"]` without escapes, as the list columns almost always hold: read in one
    /// pass (four lists per asset, twenty assets per page). `nil` sends anything else to
    /// the parser.
    static func plainList(_ text: String) -> [String]? {
        var text = text
        return text.withUTF8 { bytes -> [String]? in
            guard bytes.count >= 2, bytes[0] == UInt8(ascii: "["), bytes[bytes.count - 1] == UInt8(ascii: "]") else { return nil }
            var items = [String]()
            var index = 1
            while index < bytes.count - 1 {
                guard bytes[index] == UInt8(ascii: "\"") else { return nil }
                let start = index + 1
                var end = start
                while end < bytes.count - 1, bytes[end] != UInt8(ascii: "\"") {
                    if bytes[end] == UInt8(ascii: "\\") || bytes[end] < 0x20 { return nil }
                    end += 1
                }
                guard end < bytes.count - 1, let item = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
                else { return nil }
                items.append(item)
                index = end + 1
                if index < bytes.count - 1 {
                    guard bytes[index] == UInt8(ascii: ","), index + 1 < bytes.count - 1 else { return nil }
                    index += 1
                }
            }
            return items
        }
    }
}

/// The position of each asset column in one statement's rows, found once per statement
/// (a lookup by name for each column of each row cost more than reading them).
struct AssetColumns {
    let id: Int
    let ownerId: Int
    let kind: Int
    let trackId: Int
    let status: Int
    let title: Int
    let role: Int
    let bpm: Int
    let musicalKey: Int
    let camelot: Int
    let tags: Int
    let moods: Int
    let genres: Int
    let instruments: Int
    let vocals: Int
    let isrc: Int
    let blobSha256: Int
    let byteCount: Int
    let filename: Int
    let container: Int
    let encoding: Int
    let sampleRate: Int
    let bitDepth: Int
    let channels: Int
    let frames: Int
    let durationMs: Int
    let createdAt: Int
    let updatedAt: Int
    let publishedAt: Int
    let withdrawnAt: Int
    let previewStatus: Int
    let previewDetail: Int
    let previewStartMs: Int
    let previewDurationMs: Int
    let previewWatermark: Int
    let previewSha256: Int
    let previewByteCount: Int
    let previewFormat: Int
    let waveformSha256: Int

    init(_ index: ColumnIndex) {
        id = index["id"]
        ownerId = index["owner_id"]
        kind = index["kind"]
        trackId = index["track_id"]
        status = index["status"]
        title = index["title"]
        role = index["role"]
        bpm = index["bpm"]
        musicalKey = index["musical_key"]
        camelot = index["camelot"]
        tags = index["tags"]
        moods = index["moods"]
        genres = index["genres"]
        instruments = index["instruments"]
        vocals = index["vocals"]
        isrc = index["isrc"]
        blobSha256 = index["blob_sha256"]
        byteCount = index["byte_count"]
        filename = index["filename"]
        container = index["container"]
        encoding = index["encoding"]
        sampleRate = index["sample_rate"]
        bitDepth = index["bit_depth"]
        channels = index["channels"]
        frames = index["frames"]
        durationMs = index["duration_ms"]
        createdAt = index["created_at"]
        updatedAt = index["updated_at"]
        publishedAt = index["published_at"]
        withdrawnAt = index["withdrawn_at"]
        previewStatus = index["preview_status"]
        previewDetail = index["preview_detail"]
        previewStartMs = index["preview_start_ms"]
        previewDurationMs = index["preview_duration_ms"]
        previewWatermark = index["preview_watermark"]
        previewSha256 = index["preview_sha256"]
        previewByteCount = index["preview_byte_count"]
        previewFormat = index["preview_format"]
        waveformSha256 = index["waveform_sha256"]
    }
}

/// Column positions of a statement's rows, looked up by name once.
struct ColumnIndex {
    private let positions: [String: Int]

    init(_ row: Row) {
        var positions = [String: Int]()
        for (index, name) in row.columnNames.enumerated() where positions[name] == nil { positions[name] = index }
        self.positions = positions
    }

    subscript(_ name: String) -> Int {
        guard let index = positions[name] else { preconditionFailure("the statement has no column \(name)") }
        return index
    }
}
