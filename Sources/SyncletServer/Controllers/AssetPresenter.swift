import Catalog
import SyncletCore

/// Turns asset rows into their API shape for a given viewer: the owner and the operator
/// see the file and the splits; everyone else sees the public catalog view.
struct AssetPresenter {
    let app: AppServices

    func present(_ records: [AssetRecord], viewer: PartyRecord?, names known: [PartyID: String]? = nil) async throws -> [Wire.Asset] {
        var names = known ?? [:]
        if known == nil { names = try await app.catalog.displayNames(Set(records.map(\.ownerID))) }
        let isPrivate = { (record: AssetRecord) in viewer.map { $0.kind == .admin || $0.id == record.ownerID } ?? false }
        let splits = try await app.catalog.effectiveSplits(of: records.filter(isPrivate))
        return records.map { record in
            let effective = splits[record.id]
            return Self.wire(record, composerName: names[record.ownerID], privateView: isPrivate(record),
                             splits: effective?.shares, inherited: effective?.inherited)
        }
    }

    func present(_ record: AssetRecord, viewer: PartyRecord?) async throws -> Wire.Asset {
        try await present([record], viewer: viewer)[0]
    }

    /// One asset, as every answer about a single asset (create, show, edit, publish,
    /// withdraw) gives it: a track also lists its stems (those the viewer
    /// may see: all of them for the owner and the operator, else the published ones) and
    /// the names of its text files.
    func presentDetail(_ record: AssetRecord, viewer: PartyRecord?) async throws -> Wire.Asset {
        var asset = try await present(record, viewer: viewer)
        guard record.kind == .track else { return asset }
        let seesAll = viewer.map { $0.kind == .admin || $0.id == record.ownerID } ?? false
        asset.stems = try await app.catalog.stems(of: record.id)
            .filter { seesAll || $0.status == .published }
            .map { Wire.StemSummary(id: $0.id, title: $0.title, role: $0.role, status: $0.status,
                                    durationSeconds: Double($0.durationMilliseconds) / 1000) }
        asset.attachments = try await app.catalog.attachments(of: record.id).map(\.name)
        return asset
    }

    static func wire(_ r: AssetRecord, composerName: String?, privateView: Bool, splits: [SplitShare]?, inherited: Bool?) -> Wire.Asset {
        var audio: Wire.AudioInfo? = nil
        if let container = r.container, let encoding = r.encoding, let rate = r.sampleRate, let channels = r.channels, let frames = r.frames {
            audio = Wire.AudioInfo(container: container, encoding: encoding, sampleRate: rate, bitDepth: r.bitDepth,
                                   channels: channels, frames: frames)
        }
        var file: Wire.FileInfo? = nil
        if privateView, let sha = r.blobSHA256, let count = r.byteCount {
            file = Wire.FileInfo(sha256: sha, byteCount: count, filename: r.filename)
        }
        let preview = Wire.PreviewInfo(
            status: r.previewStatus.rawValue, detail: r.previewDetail,
            startSeconds: Double(r.previewStartMilliseconds) / 1000,
            durationSeconds: Double(PreviewWindow.playingMilliseconds(
                startMilliseconds: r.previewStartMilliseconds, durationMilliseconds: r.previewDurationMilliseconds,
                assetMilliseconds: r.blobSHA256 == nil ? 0 : r.durationMilliseconds)) / 1000,
            watermark: r.previewWatermark, format: r.previewFormat)
        return Wire.Asset(
            id: r.id, ownerID: r.ownerID, composerName: composerName, kind: r.kind, status: r.status, trackID: r.trackID,
            title: r.title, role: r.role, bpm: r.bpm,
            key: r.musicalKey.flatMap { name in r.camelot.map { Wire.MusicalKeyInfo(name: name, camelot: $0) } },
            tags: r.tags, moods: r.moods, genres: r.genres, instruments: r.instruments, vocals: r.vocals,
            isrc: r.isrc.flatMap { ISRC(parsing: $0)?.hyphenated },
            durationSeconds: Double(r.durationMilliseconds) / 1000, audio: audio, file: file,
            splits: splits, splitsInherited: inherited, preview: preview, createdAt: r.createdAt, publishedAt: r.publishedAt)
    }
}
