import BlobStore
import Catalog
import Foundation
import Hummingbird
import SyncletCore

/// tus 1.0 core protocol with the creation, termination and expiration extensions.
enum TusProtocol {
    static let version = "1.0.0"
    static let extensions = "creation,termination,expiration"
    static let offsetContentType = "application/offset+octet-stream"

    /// Parses `Upload-Metadata`: comma-separated `key base64value` pairs (value optional).
    static func parseMetadata(_ header: String) throws(Problem) -> [String: String] {
        var result = [String: String]()
        for pair in header.split(separator: ",") {
            let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true)
            guard let key = parts.first, parts.count <= 2, !key.isEmpty, result[String(key)] == nil else {
                throw .badRequest("Upload-Metadata must be comma-separated `key base64value` pairs with distinct keys.")
            }
            if parts.count == 2 {
                guard let data = Data(base64Encoded: String(parts[1])), let value = String(data: data, encoding: .utf8) else {
                    throw .badRequest("Upload-Metadata value for \(key) is not base64-encoded UTF-8.")
                }
                result[String(key)] = value
            } else {
                result[String(key)] = ""
            }
        }
        return result
    }
}

/// Resumable uploads. Only the party that created an upload can see, continue or delete it.
struct UploadsController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.on("/v1/uploads", method: .options, use: options)
        router.post("/v1/uploads", use: create)
        router.head("/v1/uploads/:id", use: head)
        router.patch("/v1/uploads/:id", use: patch)
        router.delete("/v1/uploads/:id", use: delete)
    }

    @Sendable func options(_ request: Request, context: AppRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.tusVersion] = TusProtocol.version
        headers[.tusExtension] = TusProtocol.extensions
        headers[.tusMaxSize] = String(app.settings.limits.uploadByteCountMax)
        return Response(status: .noContent, headers: headers)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let party = try context.requireParty(.composer)
        try requireTusVersion(request)
        let limits = app.settings.limits
        if request.headers[.uploadDeferLength] != nil {
            throw Problem.badRequest("Deferred lengths are not supported: send Upload-Length with the file's size.")
        }
        guard let lengthText = request.headers[.uploadLength] else {
            throw Problem.badRequest("Upload-Length is required: the file's size in bytes.")
        }
        guard let length = Int64(lengthText), length > 0 else {
            throw Problem.badRequest("Upload-Length must be a positive integer.")
        }
        guard length <= limits.uploadByteCountMax else {
            throw Problem.tooLarge("The file is \(length) bytes; uploads may be at most \(limits.uploadByteCountMax) bytes (Tus-Max-Size).")
        }
        let metadataHeader = request.headers[.uploadMetadata] ?? ""
        guard metadataHeader.utf8.count <= limits.uploadMetadataByteCountMax else {
            throw Problem.tooLarge("Upload-Metadata may be at most \(limits.uploadMetadataByteCountMax) bytes.")
        }
        let metadata = try TusProtocol.parseMetadata(metadataHeader)
        let now = app.settings.clock.now()
        let upload = UploadRecord(
            id: app.newID(now), ownerID: party.id, length: length,
            filename: metadata["filename"].map { String($0.prefix(limits.titleCharacterCountMax)) },
            metadata: metadataHeader, createdAt: now, expiresAt: now.adding(seconds: limits.uploadIdleSecondsMax))
        // The file first: a row without a file would be an upload that cannot resume. Under
        // the upload's lock, so the sweeper never takes the file for an orphan in between.
        try await app.uploadLocks.withLock(upload.id) { () async throws in
            try await app.uploadFiles.create(upload.id)
            do {
                try await app.catalog.createUpload(upload, openMax: limits.openUploadCountPerPartyMax)
            } catch {
                try? await app.uploadFiles.remove(upload.id)
                throw error
            }
        }
        var headers = HTTPFields()
        headers[.location] = "/v1/uploads/\(upload.id)"
        headers[.uploadExpires] = HTTPDate.format(upload.expiresAt)
        headers[.uploadOffset] = "0"
        return Response(status: .created, headers: headers)
    }

    @Sendable func head(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (upload, offset) = try await ownedUpload(request, context)
        var headers = HTTPFields()
        headers[.uploadOffset] = String(offset)
        headers[.uploadLength] = String(upload.length)
        if !upload.metadata.isEmpty { headers[.uploadMetadata] = upload.metadata }
        headers[.uploadExpires] = HTTPDate.format(upload.expiresAt)
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers)
    }

    @Sendable func patch(_ request: Request, context: AppRequestContext) async throws -> Response {
        try requireTusVersion(request)
        guard request.headers[.contentType]?.lowercased() == TusProtocol.offsetContentType else {
            throw Problem.unsupportedMediaType("PATCH bodies must be sent as \(TusProtocol.offsetContentType).")
        }
        guard let offsetText = request.headers[.uploadOffset], let claimed = Int64(offsetText), claimed >= 0 else {
            throw Problem.badRequest("Upload-Offset is required: the byte offset this body starts at.")
        }
        let (upload, _) = try await ownedUpload(request, context)
        return try await app.uploadLocks.withLock(upload.id) { () async throws -> Response in
            // Read the offset under the lock: it is the truth only while nobody else appends.
            guard let offset = try await app.uploadFiles.offset(upload.id) else { throw Problem.notFound("Upload \(upload.id)") }
            guard claimed == offset else {
                throw Problem.conflict("upload-offset-mismatch",
                    "This upload is at byte \(offset), not \(claimed). Send a HEAD request and continue from Upload-Offset.",
                    extensions: ["offset": String(offset)])
            }
            let remaining = upload.length - offset
            if let length = request.headers[.contentLength].flatMap(Int64.init), length > remaining {
                throw Problem.tooLarge("The body is \(length) bytes but only \(remaining) remain of Upload-Length \(upload.length).")
            }
            let outcome = try await app.uploadFiles.append(upload.id, chunks: request.body, at: offset, remaining: remaining)
            switch outcome {  // both outcomes are synced to disk: count what is now durable
            case .complete(let newOffset): app.metrics.recordUpload(bytes: newOffset - offset, completed: newOffset == upload.length)
            case .interrupted(let newOffset): app.metrics.recordUpload(bytes: newOffset - offset, completed: false)
            }
            let now = app.settings.clock.now()
            let expires = now.adding(seconds: app.settings.limits.uploadIdleSecondsMax)
            try await app.catalog.touchUpload(upload.id, expiresAt: expires)
            switch outcome {
            case .complete(let newOffset):
                var headers = HTTPFields()
                headers[.uploadOffset] = String(newOffset)
                headers[.uploadExpires] = HTTPDate.format(expires)
                return Response(status: .noContent, headers: headers)
            case .interrupted(let newOffset):
                context.logger.info("upload interrupted", metadata: ["upload": "\(upload.id)", "offset": "\(newOffset)"])
                throw Problem.badRequest("The body ended early; \(newOffset) bytes are stored. Send a HEAD request and resume from Upload-Offset.")
            }
        }
    }

    @Sendable func delete(_ request: Request, context: AppRequestContext) async throws -> Response {
        try requireTusVersion(request)
        let (upload, _) = try await ownedUpload(request, context)
        try await app.uploadLocks.withLock(upload.id) { () async throws in
            try await app.catalog.deleteUpload(upload.id)
            try await app.uploadFiles.remove(upload.id)
        }
        return Response(status: .noContent)
    }

    func ownedUpload(_ request: Request, _ context: AppRequestContext) async throws -> (UploadRecord, Int64) {
        let party = try context.requireParty(.composer)
        let text = context.parameters.get("id") ?? ""
        guard let id = UploadID(text), let upload = try await app.catalog.upload(id),
              upload.ownerID == party.id, let offset = try await app.uploadFiles.offset(id)
        else { throw Problem.notFound("Upload \(text)") }
        return (upload, offset)
    }

    func requireTusVersion(_ request: Request) throws(Problem) {
        guard request.headers[.tusResumable] == TusProtocol.version else {
            throw Problem(status: 412, type: "tus-version", title: "Unsupported tus version",
                          detail: "Send Tus-Resumable: \(TusProtocol.version); it is the only version this server speaks.")
        }
    }
}

/// One writer per upload at a time: a second PATCH or an asset creation on the same upload
/// waits its turn instead of interleaving bytes.
actor UploadLocks {
    private var held = Set<UploadID>()
    private var waiters = [UploadID: [CheckedContinuation<Void, Never>]]()

    func withLock<T: Sendable>(_ id: UploadID, _ body: @Sendable () async throws -> T) async throws -> T {
        while held.contains(id) {
            await withCheckedContinuation { waiters[id, default: []].append($0) }
        }
        held.insert(id)
        defer {
            held.remove(id)
            if var queue = waiters[id], !queue.isEmpty {
                queue.removeFirst().resume()
                waiters[id] = queue.isEmpty ? nil : queue
            }
        }
        return try await body()
    }
}
