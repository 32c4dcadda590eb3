import Archives
import Audio
import BlobStore
import Blocking
import Catalog
import Foundation
import SyncletCore

/// Turns a finished upload holding a stem pack into a track and its stems. All or nothing:
/// a refusal at any step leaves no rows, no blobs and no temporary files, and the upload
/// itself is discarded (like a file that is not audio).
struct PackIntake: Sendable {
    let app: AppServices

    /// What a pack made: its track, stems and kept text files; `repeated` when the upload
    /// had made them before (creating a pack from an upload is idempotent, like an asset).
    struct Made {
        let track: AssetRecord
        let stems: [AssetRecord]
        let attachments: [String]
        var repeated = false
    }

    func createPack(_ request: Wire.CreatePack, owner: PartyRecord) async throws -> Made {
        let fingerprint = try UploadOutcomes.fingerprint(request)
        guard let upload = try await app.catalog.upload(request.uploadID), upload.ownerID == owner.id else {
            let made = try await UploadOutcomes(app: app).repeated(request.uploadID, owner: owner.id, as: .pack, fingerprint: fingerprint)
            return Made(track: made.asset, stems: made.stems, attachments: made.attachments, repeated: true)
        }
        if let trackID = request.trackID {
            guard let track = try await app.catalog.asset(trackID), track.ownerID == owner.id else {
                throw Problem.invalid("Track \(trackID) does not exist or is not yours.", field: "track_id")
            }
            guard track.kind == .track else {
                throw Problem.invalid("\(trackID) is a \(track.kind.rawValue), not a track.", field: "track_id")
            }
        }
        return try await app.uploadLocks.withLock(upload.id) { () async throws -> Made in
            guard let offset = try await app.uploadFiles.offset(upload.id), try await app.catalog.upload(upload.id) != nil else {
                // A request for the same upload got the lock first and made the pack.
                let made = try await UploadOutcomes(app: app).repeated(upload.id, owner: owner.id, as: .pack, fingerprint: fingerprint)
                return Made(track: made.asset, stems: made.stems, attachments: made.attachments, repeated: true)
            }
            guard offset == upload.length else {
                throw Problem.conflict("upload-incomplete",
                    "Upload \(upload.id) has \(offset) of \(upload.length) bytes. Finish it before creating the pack.",
                    extensions: ["offset": String(offset)])
            }
            let directory = "\(app.layout.temp)/pack-\(upload.id)"
            var adopted = [StoredBlob]()
            do {
                let result = try await ingest(request, upload: upload, owner: owner, directory: directory, adopted: &adopted,
                                              fingerprint: fingerprint)
                try? await app.uploadFiles.remove(upload.id)
                try? await Self.removeFolder(directory)
                app.previewSignal.wake()
                return Made(track: result.0, stems: result.1, attachments: result.2)
            } catch {
                try? await Self.removeFolder(directory)
                for blob in adopted where try await !app.catalog.blobInUse(blob.sha256) { try await app.blobs.remove(blob.sha256) }
                if error is Problem, (error as! Problem).status == 422 {
                    // A refused pack keeps nothing, not even its upload.
                    try? await app.catalog.deleteUpload(upload.id)
                    try? await app.uploadFiles.remove(upload.id)
                }
                throw error
            }
        }
    }

    private func ingest(_ request: Wire.CreatePack, upload: UploadRecord, owner: PartyRecord, directory: String,
                        adopted: inout [StoredBlob], fingerprint: String) async throws -> (AssetRecord, [AssetRecord], [String]) {
        let limits = app.settings.limits
        let packLimits = PackLimits(limits)
        let archive = app.uploadFiles.path(upload.id)
        let readerLimits = packLimits
        let contents = try await Blocking.codec {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try PackReader.extract(archiveAt: archive, into: directory, limits: readerLimits)
        }
        let plan = try PackPlan(contents: contents, request: request, uploadFilename: upload.filename)

        // Every audio entry must be whole, readable audio before anything is stored.
        var facts = [String: AudioFacts]()
        for entry in contents.audio {
            do {
                facts[entry.name] = try await Blocking.codec { try AudioProbe.probe(path: entry.path) }
            } catch let problem as Problem {
                throw Problem(status: 422, type: "hostile-pack", title: "The pack was refused",
                              detail: "\(entry.name): \(problem.detail)", extensions: ["entry": entry.name, "rule": "unreadable-audio"])
            }
        }

        let now = app.settings.clock.now()
        let trackID: AssetID = request.trackID ?? app.newID(now)
        // Validate every asset's metadata before the first file moves.
        let trackMetadata = try request.trackID == nil ? plan.trackMetadata(limits: limits) : nil
        let stemMetadata = try plan.stems.map { try plan.stemMetadata($0, trackID: trackID, limits: limits) }

        func store(_ entry: ExtractedEntry) async throws -> CatalogStore.StoredAudio {
            let blob = try await app.blobs.adopt(fileAt: entry.path)
            adopted.append(blob)
            return CatalogStore.StoredAudio(blob: blob, facts: facts[entry.name]!,
                                            filename: (entry.name as NSString).lastPathComponent)
        }

        var track: CatalogStore.NewAsset? = nil
        if let trackMetadata {
            let audio = try await plan.fullMix.asyncMap(store)
            let longest = plan.stems.compactMap { facts[$0.name]?.durationMilliseconds }.max() ?? 0
            track = CatalogStore.NewAsset(id: trackID, ownerID: owner.id, metadata: trackMetadata, audio: audio,
                                          durationMilliseconds: longest, now: now)
        }
        var stems = [CatalogStore.NewAsset]()
        for (entry, metadata) in zip(plan.stems, stemMetadata) {
            stems.append(CatalogStore.NewAsset(id: app.newID(now), ownerID: owner.id, metadata: metadata,
                                               audio: try await store(entry), now: now))
        }
        var attachments = [AttachmentRecord]()
        for text in contents.texts {
            let blob = try await app.blobs.adopt(fileAt: text.path)
            adopted.append(blob)
            attachments.append(AttachmentRecord(assetID: trackID, name: text.name, blobSHA256: blob.sha256, byteCount: blob.byteCount))
        }
        let (trackRecord, stemRecords) = try await app.catalog.createPack(
            track: track, existingTrack: request.trackID, stems: stems, attachments: attachments, owner: owner.id,
            consuming: upload.id, requestSHA256: fingerprint)
        return (trackRecord, stemRecords, attachments.map(\.name))
    }
}

extension PackIntake {
    /// Removes a pack's extraction folder (it may hold gigabytes) on the file pool.
    static func removeFolder(_ directory: String) async throws {
        try await Blocking.file { try? FileManager.default.removeItem(atPath: directory) }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

/// How a pack's entries map to assets: which file is the full mix, and each stem's metadata
/// from pack.json with the request's values as defaults. Pure: no I/O.
struct PackPlan {
    let contents: PackContents
    let request: Wire.CreatePack
    let uploadFilename: String?
    /// The new track's own file, if the pack names a full mix (and no existing track is given).
    let fullMix: ExtractedEntry?
    let stems: [ExtractedEntry]

    init(contents: PackContents, request: Wire.CreatePack, uploadFilename: String?) throws(Problem) {
        self.contents = contents
        self.request = request
        self.uploadFilename = uploadFilename
        let byRole = contents.audio.first { contents.metadata(for: $0)?.role == .fullMix }
        let mix = request.trackID == nil ? (contents.fullMixEntry ?? byRole) : nil
        fullMix = mix
        stems = contents.audio.filter { $0 != mix }
        guard !stems.isEmpty || mix != nil else {
            throw Problem(status: 422, type: "hostile-pack", title: "The pack was refused",
                          detail: "The pack holds no audio files.", extensions: ["entry": "", "rule": "no-audio"])
        }
    }

    func trackMetadata(limits: Limits) throws(Problem) -> AssetMetadata {
        let manifest = contents.manifest
        let fallbackTitle = uploadFilename.map { ($0 as NSString).deletingPathExtension } ?? "Untitled pack"
        let wire = Wire.CreateAsset(
            uploadID: request.uploadID, kind: .track, title: request.title ?? manifest?.title ?? fallbackTitle,
            bpm: request.bpm ?? manifest?.bpm, key: request.key ?? manifest?.key,
            tags: request.tags ?? manifest?.tags, moods: request.moods, genres: request.genres)
        return try Self.named("pack.json", AssetMetadata(validating: wire, limits: limits))
    }

    func stemMetadata(_ entry: ExtractedEntry, trackID: AssetID, limits: Limits) throws(Problem) -> AssetMetadata {
        let manifest = contents.manifest
        let file = contents.metadata(for: entry)
        let base = ((entry.name as NSString).lastPathComponent as NSString).deletingPathExtension
        let wire = Wire.CreateAsset(
            uploadID: request.uploadID, kind: .stem, title: file?.title ?? base, trackID: trackID,
            bpm: file?.bpm ?? request.bpm ?? manifest?.bpm, key: file?.key ?? request.key ?? manifest?.key,
            tags: file?.tags ?? request.tags ?? manifest?.tags, moods: request.moods, genres: request.genres)
        var metadata = try Self.named(entry.name, AssetMetadata(validating: wire, limits: limits))
        metadata.role = file?.role?.rawValue
        return metadata
    }

    /// Names the entry in a metadata refusal.
    static func named(_ entry: String, _ body: @autoclosure () throws(Problem) -> AssetMetadata) throws(Problem) -> AssetMetadata {
        do {
            return try body()
        } catch {
            var problem = error
            problem.detail = "\(entry): \(problem.detail)"
            problem.extensions["entry"] = entry
            throw problem
        }
    }
}
