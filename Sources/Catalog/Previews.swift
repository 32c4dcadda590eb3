import Blocking
import GRDB
import SyncletCore

extension CatalogStore {
    /// The oldest asset waiting for its preview, if any.
    public func nextPendingPreview(excluding skipped: Set<AssetID> = []) async throws -> AssetRecord? {
        try await writer.pooledRead { db in
            var request = AssetRecord.filter(AssetRecord.Columns.previewStatus == PreviewStatus.pending.rawValue)
                .order(AssetRecord.Columns.id)
            if !skipped.isEmpty { request = request.filter(!skipped.map(\.rawValue).contains(AssetRecord.Columns.id)) }
            return try request.fetchOne(db)
        }
    }

    /// What rendering a preview produced.
    public enum PreviewOutcome: Sendable {
        case ready(previewSHA256: String, byteCount: Int64, format: String, waveformSHA256: String)
        case failed(detail: String)
    }

    /// Records a rendered preview, unless the owner changed the window meanwhile (then the
    /// asset stays pending and is rendered again). Returns whether it was recorded.
    @discardableResult
    public func finishPreview(of rendered: AssetRecord, outcome: PreviewOutcome) async throws -> Bool {
        try await writer.write { db in
            let (status, detail, sha, count, format, waveform): (PreviewStatus, String?, String?, Int64?, String?, String?) =
                switch outcome {
                case .ready(let sha, let count, let format, let waveform): (.ready, nil, sha, count, format, waveform)
                case .failed(let detail): (.failed, detail, nil, nil, nil, nil)
                }
            try db.execute(sql: """
                UPDATE asset SET preview_status = ?, preview_detail = ?, preview_sha256 = ?, preview_byte_count = ?,
                    preview_format = ?, waveform_sha256 = ?
                WHERE id = ? AND preview_status = 'pending' AND preview_start_ms = ? AND preview_duration_ms = ?
                    AND preview_watermark = ?
                """, arguments: [status.rawValue, detail, sha, count, format, waveform, rendered.id,
                                 rendered.previewStartMilliseconds, rendered.previewDurationMilliseconds,
                                 rendered.previewWatermark])
            return db.changesCount > 0
        }
    }

    /// Whether a blob is still referenced by an asset's file, preview or waveform, or an attachment.
    /// Every blob a row refers to (assets' files, previews, waveforms, pack attachments).
    public func referencedBlobs() async throws -> Set<String> {
        try await writer.pooledRead { db in
            Set(try String.fetchAll(db, sql: """
                SELECT blob_sha256 FROM asset WHERE blob_sha256 IS NOT NULL
                UNION SELECT preview_sha256 FROM asset WHERE preview_sha256 IS NOT NULL
                UNION SELECT waveform_sha256 FROM asset WHERE waveform_sha256 IS NOT NULL
                UNION SELECT blob_sha256 FROM asset_attachment
                """))
        }
    }

    /// Keep in step with `referencedBlobs`.
    public func blobInUse(_ sha256: String) async throws -> Bool {
        try await writer.pooledRead { db in
            try Bool.fetchOne(db, sql: """
                SELECT EXISTS (SELECT 1 FROM asset WHERE blob_sha256 = ?1 OR preview_sha256 = ?1 OR waveform_sha256 = ?1)
                    OR EXISTS (SELECT 1 FROM asset_attachment WHERE blob_sha256 = ?1)
                """, arguments: [sha256]) ?? false
        }
    }
}

/// A text file that came with a pack (credits, lyrics), kept for bundles.
public struct AttachmentRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "asset_attachment"
    public var assetID: AssetID
    public var name: String
    public var blobSHA256: String
    public var byteCount: Int64

    public init(assetID: AssetID, name: String, blobSHA256: String, byteCount: Int64) {
        self.assetID = assetID
        self.name = name
        self.blobSHA256 = blobSHA256
        self.byteCount = byteCount
    }

    enum CodingKeys: String, CodingKey {
        case name
        case assetID = "asset_id"
        case blobSHA256 = "blob_sha256"
        case byteCount = "byte_count"
    }
}

extension CatalogStore {
    /// A pack's rows: a new track (or an existing one), its stems and its text files, and
    /// the upload consumed, all in one transaction: a pack is all or nothing.
    public func createPack(track: NewAsset?, existingTrack: AssetID?, stems: [NewAsset], attachments: [AttachmentRecord],
                           owner: PartyID, consuming uploadID: UploadID, requestSHA256: String) async throws -> (AssetRecord, [AssetRecord]) {
        try await writer.write { db in
            let trackRecord: AssetRecord
            if let track {
                trackRecord = try Self.insert(db, track)
            } else if let existingTrack {
                trackRecord = try Self.owned(db, existingTrack, owner: owner)
                guard trackRecord.kind == .track else {
                    throw Problem.invalid("\(existingTrack) is a \(trackRecord.kind.rawValue), not a track.", field: "track_id")
                }
            } else {
                preconditionFailure("a pack needs a new or an existing track")
            }
            var created = [AssetRecord]()
            for var stem in stems {
                stem.metadata.trackID = trackRecord.id
                created.append(try Self.insert(db, stem))
            }
            for var attachment in attachments {
                attachment.assetID = trackRecord.id
                try attachment.insert(db, onConflict: .replace)
            }
            try Self.consumeUpload(db, uploadID, owner: owner, made: .pack, requestSHA256: requestSHA256, asset: trackRecord.id,
                                   stems: created.map(\.id), attachments: attachments.map(\.name),
                                   now: track?.now ?? stems.first?.now ?? Timestamp(millisecondsSince1970: 0))
            return (trackRecord, created)
        }
    }

    public func attachments(of asset: AssetID) async throws -> [AttachmentRecord] {
        try await writer.pooledRead { db in
            try AttachmentRecord.filter(Column("asset_id") == asset).order(Column("name")).fetchAll(db)
        }
    }
}
