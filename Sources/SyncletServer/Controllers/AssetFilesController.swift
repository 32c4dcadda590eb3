import Archives
import BlobStore
import Catalog
import Foundation
import Hummingbird
import SyncletCore

/// The files behind an asset: the original (owner), the preview and waveform (public once
/// published), and the zip bundle of a track with its stems and texts (owner).
struct AssetFilesController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/assets/:id/original", use: original)
        router.get("/v1/assets/:id/preview", use: preview)
        router.get("/v1/assets/:id/waveform", use: waveform)
        router.get("/v1/assets/:id/bundle", use: bundle)
    }

    @Sendable func original(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await app.ownedAsset(context)
        guard let sha = record.blobSHA256, let count = record.byteCount, let container = record.container else {
            throw Problem.notFound("The original of \(record.id) (a track made of stems alone has none; download its bundle)")
        }
        return try await FileResponder.respond(
            path: app.blobs.path(of: sha), byteCount: count, etag: "\"\(sha)\"",
            contentType: Self.contentType(container: container),
            filename: record.filename ?? "\(record.id).\(container)", request: request, context: context)
    }

    @Sendable func preview(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await app.visibleAsset(context)
        guard record.previewStatus == .ready, let sha = record.previewSHA256, let count = record.previewByteCount else {
            throw Self.previewNotReady(record)
        }
        let format = record.previewFormat ?? "mp3"
        let (contentType, ext) = format == "mp3" ? ("audio/mpeg", "mp3") : ("audio/ogg", "ogg")
        var response = try await FileResponder.respond(
            path: app.blobs.path(of: sha), byteCount: count, etag: "\"\(sha)\"", contentType: contentType,
            filename: "\(record.id)-preview.\(ext)", request: request, context: context, disposition: "inline")
        if record.status == .published { response.headers[.cacheControl] = "public, max-age=3600" }
        return response
    }

    @Sendable func waveform(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await app.visibleAsset(context)
        guard record.previewStatus == .ready, let sha = record.waveformSHA256 else { throw Self.previewNotReady(record) }
        let path = app.blobs.path(of: sha)
        let count = try await app.blobs.size(of: sha) ?? 0
        var response = try await FileResponder.respond(
            path: path, byteCount: count, etag: "\"\(sha)\"", contentType: "application/json",
            filename: "\(record.id)-waveform.json", request: request, context: context, disposition: "inline")
        if record.status == .published { response.headers[.cacheControl] = "public, max-age=3600" }
        return response
    }

    /// A zip of a track's original, its stems and its text files, streamed as it is built.
    @Sendable func bundle(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await app.ownedAsset(context)
        guard record.kind == .track else {
            throw Problem.invalid("Bundles are made of tracks; \(record.id) is a \(record.kind.rawValue). Ask for its track's bundle.")
        }
        let items: [BundleItem] = try await bundleItems(record)
        var headers = HTTPFields()
        headers[.contentType] = "application/zip"
        headers[.contentDisposition] = ContentDisposition.header(filename: "\(Self.safeName(record.title)).zip")
        let chunks = try app.zipStream(items)
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: chunks))
    }

    /// The files of a track's bundle, with unique readable names.
    func bundleItems(_ track: AssetRecord) async throws -> [BundleItem] {
        var items = [BundleItem]()
        var used = Set<String>()
        func add(_ name: String, _ sha: String) {
            var candidate = name
            var counter = 2
            while used.contains(candidate.lowercased()) {
                let base = (name as NSString).deletingPathExtension
                let ext = (name as NSString).pathExtension
                candidate = "\(base) (\(counter))" + (ext.isEmpty ? "" : ".\(ext)")
                counter += 1
            }
            used.insert(candidate.lowercased())
            items.append(BundleItem(name: candidate, path: app.blobs.path(of: sha)))
        }
        let folder = Self.safeName(track.title)
        if let sha = track.blobSHA256, let container = track.container {
            add("\(folder)/\(Self.safeName(track.title)).\(container)", sha)
        }
        for stem in try await app.catalog.stems(of: track.id) where stem.status != .withdrawn {
            if let sha = stem.blobSHA256, let container = stem.container {
                add("\(folder)/stems/\(Self.safeName(stem.title)).\(container)", sha)
            }
        }
        for attachment in try await app.catalog.attachments(of: track.id) {
            add("\(folder)/\(Self.safeName((attachment.name as NSString).lastPathComponent, keepDots: true))", attachment.blobSHA256)
        }
        return items
    }

    static func safeName(_ text: String, keepDots: Bool = false) -> String {
        let cleaned = text.map { character -> Character in
            character.isLetter || character.isNumber || " -_()".contains(character) || (keepDots && character == ".") ? character : "_"
        }
        let name = String(cleaned).trimmingCharacters(in: .whitespaces)
        return name.isEmpty ? "untitled" : String(name.prefix(100))
    }

    static func previewNotReady(_ record: AssetRecord) -> Problem {
        switch record.previewStatus {
        case .pending:
            Problem.conflict("preview-pending", "The preview of \(record.id) is still being rendered; try again in a few seconds.")
        case .failed:
            Problem.conflict("preview-failed", "The preview of \(record.id) could not be made: \(record.previewDetail ?? "unknown reason"). The original is unaffected; change the preview window to try again.")
        case .none, .ready:
            Problem.notFound("A preview of \(record.id)")
        }
    }

    static func contentType(container: String) -> String {
        switch container {
        case "wav", "w64": "audio/wav"
        case "aiff": "audio/aiff"
        case "flac": "audio/flac"
        case "ogg": "audio/ogg"
        case "mp3": "audio/mpeg"
        default: "application/octet-stream"
        }
    }
}
