import Audio
import Foundation
import BlobStore
import Blocking
import Catalog
import Hummingbird
import SyncletCore
import SyncletCrypto

/// Turns a finished upload into an asset: metadata checked, audio probed, file into the
/// blob store, rows written. Nothing is kept of a file that is not readable audio.
struct AssetIntake: Sendable {
    let app: AppServices

    /// An asset made now, or the one this upload made before (`repeated`): creating an
    /// asset from an upload is idempotent, so a client that lost the answer asks again.
    struct Created {
        let record: AssetRecord
        let repeated: Bool
    }

    func createAsset(_ request: Wire.CreateAsset, owner: PartyRecord) async throws -> Created {
        let limits = app.settings.limits
        let metadata = try AssetMetadata(validating: request, limits: limits)
        let fingerprint = try UploadOutcomes.fingerprint(request)
        guard let upload = try await app.catalog.upload(request.uploadID), upload.ownerID == owner.id else {
            let made = try await UploadOutcomes(app: app).repeated(request.uploadID, owner: owner.id, as: .asset, fingerprint: fingerprint)
            return Created(record: made.asset, repeated: true)
        }
        // Cheap database checks before the expensive probe.
        try await app.catalog.checkReferences(of: metadata, owner: owner.id)

        return try await app.uploadLocks.withLock(upload.id) { () async throws -> Created in
            let partPath = app.uploadFiles.path(upload.id)
            guard let offset = try await app.uploadFiles.offset(upload.id), try await app.catalog.upload(upload.id) != nil else {
                // A request for the same upload got the lock first and made the asset.
                let made = try await UploadOutcomes(app: app).repeated(upload.id, owner: owner.id, as: .asset, fingerprint: fingerprint)
                return Created(record: made.asset, repeated: true)
            }
            guard offset == upload.length else {
                throw Problem.conflict("upload-incomplete",
                    "Upload \(upload.id) has \(offset) of \(upload.length) bytes. Finish it (HEAD, then PATCH from Upload-Offset) before creating the asset.",
                    extensions: ["offset": String(offset)])
            }
            let facts: AudioFacts
            do {
                facts = try await Blocking.codec { try AudioProbe.probe(path: partPath) }
                try metadata.check(durationMilliseconds: facts.durationMilliseconds,
                                   toleranceMilliseconds: limits.durationToleranceMilliseconds)
            } catch let problem as Problem {
                // Refused audio: keep nothing of it.
                try await app.catalog.deleteUpload(upload.id)
                try await app.uploadFiles.remove(upload.id)
                throw problem
            }
            // A preview window past the end is a metadata mistake: the upload stays, to be
            // made into an asset with a better window.
            try metadata.preview.check(assetMilliseconds: facts.durationMilliseconds)
            // Filed beside the upload (a hard link), so that a crash before the commit
            // below leaves the upload whole and resumable; the upload's file goes after.
            let blob = try await app.blobs.share(fileAt: partPath)
            let now = app.settings.clock.now()
            let new = CatalogStore.NewAsset(
                id: app.newID(now), ownerID: owner.id, metadata: metadata,
                audio: .init(blob: blob, facts: facts, filename: upload.filename), now: now)
            do {
                let record = try await app.catalog.createAsset(new, consuming: upload.id, requestSHA256: fingerprint)
                try? await app.uploadFiles.remove(upload.id)
                app.previewSignal.wake()
                return Created(record: record, repeated: false)
            } catch {
                // The row was refused after the file moved: drop the blob unless something shares it.
                if try await !app.catalog.blobInUse(blob.sha256) { try await app.blobs.remove(blob.sha256) }
                try? await app.catalog.deleteUpload(upload.id)
                try? await app.uploadFiles.remove(upload.id)
                throw error
            }
        }
    }
}

extension CatalogStore.StoredAudio {
    /// A stored file and what libsndfile read from it.
    init(blob: StoredBlob, facts: AudioFacts, filename: String?) {
        self.init(blobSHA256: blob.sha256, byteCount: blob.byteCount, filename: filename, container: facts.container,
                  encoding: facts.encoding, sampleRate: facts.sampleRate, bitDepth: facts.bitDepth,
                  channels: facts.channels, frames: facts.frames, durationMilliseconds: facts.durationMilliseconds)
    }
}

/// Answers for an upload asked to make something again: creating an asset or a pack from an
/// upload is idempotent, so the same request (a client retrying after losing the answer, a
/// re-run command) gets what the upload made; another request for a consumed upload is
/// refused, since it would need the file again.
struct UploadOutcomes {
    let app: AppServices

    /// SHA-256 of the request as canonical JSON (sorted keys): what "the same request" means.
    static func fingerprint<Request: Encodable>(_ request: Request) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return SHA256Hasher.digest(Array(try encoder.encode(request))).hex
    }

    func repeated(_ id: UploadID, owner: PartyID, as made: CatalogStore.UploadOutcome.Made,
                  fingerprint: String) async throws -> CatalogStore.UploadOutcome {
        guard let outcome = try await app.catalog.outcome(ofUpload: id, owner: owner) else {
            throw Problem.notFound("Upload \(id)")
        }
        guard outcome.made == made, outcome.requestSHA256 == fingerprint else {
            throw Problem.invalid("Upload \(id) already made \(outcome.made == .pack ? "the pack of track" : "asset") \(outcome.asset.id) "
                                  + "from another request; upload the file again to make something else of it.", field: "upload_id")
        }
        return outcome
    }
}
