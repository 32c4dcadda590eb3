import Blocking
import GRDB
import SyncletCore

extension CatalogStore {
    /// Moves an owner's asset to `published` (from draft or withdrawn) or `withdrawn` (from
    /// draft or published). Anything else is a 409 that says where the asset stands.
    public func setStatus(_ id: AssetID, to target: AssetStatus, owner: PartyID, now: Timestamp) async throws -> AssetRecord {
        try await writer.write { db in
            var record = try Self.owned(db, id, owner: owner)
            let allowed: Set<AssetStatus> = switch target {
            case .published: [.draft, .withdrawn]
            case .withdrawn: [.draft, .published]
            case .draft: []
            }
            guard allowed.contains(record.status) else {
                throw Problem.conflict("invalid-transition",
                    "Asset \(id) is \(record.status.rawValue); it cannot become \(target.rawValue)"
                    + (target == .draft ? " (assets never go back to draft)." : "."))
            }
            record.status = target
            record.updatedAt = now
            if target == .published { record.publishedAt = now }
            if target == .withdrawn { record.withdrawnAt = now }
            try record.update(db)
            return record
        }
    }

    /// Applies a validated metadata edit; a changed preview window sends the preview back
    /// to the worker.
    public func update(_ id: AssetID, owner: PartyID, changes: AssetChanges, now: Timestamp) async throws -> AssetRecord {
        try await writer.write { db in
            var record = try Self.owned(db, id, owner: owner)
            guard record.status != .withdrawn else {
                throw Problem.conflict("invalid-transition", "Asset \(id) is withdrawn; publish it again before editing.")
            }
            if let title = changes.title { record.title = title }
            record.bpm = changes.bpm.applied(to: record.bpm)
            switch changes.key {
            case .unchanged: break
            case .clear: record.musicalKey = nil; record.camelot = nil
            case .set(let key): record.musicalKey = key.name; record.camelot = key.camelot
            }
            record.tags = try changes.resultingTags(from: record.tags)
            if let moods = changes.moods { record.moods = moods }
            if let genres = changes.genres { record.genres = genres }
            if let instruments = changes.instruments { record.instruments = instruments }
            record.vocals = changes.vocals.applied(to: record.vocals)
            switch changes.isrc {
            case .unchanged: break
            case .clear: record.isrc = nil
            case .set(let isrc): record.isrc = isrc.code
            }
            if changes.touchesPreview {
                let window = try PreviewWindow(
                    startSeconds: changes.previewStartSeconds ?? Double(record.previewStartMilliseconds) / 1000,
                    durationSeconds: changes.previewDurationSeconds ?? Double(record.previewDurationMilliseconds) / 1000,
                    watermark: changes.previewWatermark ?? record.previewWatermark)
                if record.blobSHA256 != nil { try window.check(assetMilliseconds: record.durationMilliseconds) }
                record.previewStartMilliseconds = window.startMilliseconds
                record.previewDurationMilliseconds = window.durationMilliseconds
                record.previewWatermark = window.watermark
                if record.blobSHA256 != nil {
                    record.previewStatus = .pending
                    record.previewDetail = nil
                }
            }
            record.updatedAt = now
            try record.update(db)
            return record
        }
    }

    /// Records a new version of an asset's splits, effective from now. Earlier versions
    /// stay as they were: what was earned under them is never recomputed.
    public func replaceSplits(_ id: AssetID, owner: PartyID, splits: Splits, now: Timestamp) async throws -> Int {
        try await writer.write { db in
            let record = try Self.owned(db, id, owner: owner)
            guard record.status != .withdrawn else {
                throw Problem.conflict("invalid-transition", "Asset \(id) is withdrawn; its splits are frozen.")
            }
            try Self.checkSplitParties(db, splits)
            let version = (try Int.fetchOne(db, sql: "SELECT max(version) FROM asset_split WHERE asset_id = ?", arguments: [id]) ?? 0) + 1
            for share in splits.shares {
                try AssetSplitRecord(assetID: id, version: version, partyID: share.partyID,
                                     basisPoints: share.basisPoints, effectiveAt: now).insert(db)
            }
            return version
        }
    }

    /// Every recorded version of an asset's own splits, oldest first.
    public func splitVersions(of id: AssetID) async throws -> [(version: Int, effectiveAt: Timestamp, shares: [SplitShare])] {
        try await writer.pooledRead { db in
            let rows = try AssetSplitRecord.fetchAll(db, sql: "SELECT * FROM asset_split WHERE asset_id = ? ORDER BY version, party_id", arguments: [id])
            var result = [(version: Int, effectiveAt: Timestamp, shares: [SplitShare])]()
            for row in rows {
                if result.last?.version != row.version { result.append((row.version, row.effectiveAt, [])) }
                result[result.count - 1].shares.append(SplitShare(partyID: row.partyID, basisPoints: row.basisPoints))
            }
            return result
        }
    }

    /// The stems of a track, in id order.
    public func stems(of track: AssetID) async throws -> [AssetRecord] {
        try await writer.pooledRead { db in
            try AssetRecord.filter(AssetRecord.Columns.trackID == track).order(AssetRecord.Columns.id).fetchAll(db)
        }
    }

    /// The display names of the given parties.
    public func displayNames(_ ids: Set<PartyID>) async throws -> [PartyID: String] {
        guard !ids.isEmpty else { return [:] }
        return try await writer.pooledRead { db in try Self.displayNames(db, ids) }
    }

    static func displayNames(_ db: Database, _ ids: Set<PartyID>) throws -> [PartyID: String] {
        guard !ids.isEmpty else { return [:] }
        let statement = try db.cachedStatement(sql: "SELECT id, display_name FROM party WHERE id IN (\(ids.map { _ in "?" }.joined(separator: ",")))")
        let rows = try Row.fetchAll(statement, arguments: StatementArguments(ids.map(\.rawValue)))
        return Dictionary(uniqueKeysWithValues: rows.map { (row: Row) -> (PartyID, String) in (row[0], row[1]) })
    }

    /// The asset if `owner` owns it; 404 otherwise.
    static func owned(_ db: Database, _ id: AssetID, owner: PartyID) throws -> AssetRecord {
        guard let record = try AssetRecord.fetchOne(db, key: id), record.ownerID == owner else {
            throw Problem.notFound("Asset \(id)")
        }
        return record
    }
}
