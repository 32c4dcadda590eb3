import Catalog
import Hummingbird
import SyncletCore

extension Request: QueryReading {
    func query(_ name: String) -> String? { uri.queryParameters.get(name) }
}

/// The catalog's assets: create from an upload, list, show, download the original.
struct AssetsController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/assets", use: create)
        router.get("/v1/assets", use: list)
        router.get("/v1/assets/:id", use: show)
        router.get("/v1/assets/:id/original", use: original)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Asset> {
        let party = try context.requireParty(.composer)
        let body = try await request.decodeJSON(Wire.CreateAsset.self, schema: "CreateAsset",
                                                byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let record = try await AssetIntake(app: app).createAsset(body, owner: party)
        var headers = HTTPFields()
        headers[.location] = "/v1/assets/\(record.id)"
        return JSONResponse(status: .created, try await wire(record), headers: headers)
    }

    /// A composer lists its own assets; the operator lists all.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Page<Wire.Asset>> {
        let party = try context.requireParty(.composer)
        let page = try app.page(request)
        let after = try page.after.map { (text) throws(Problem) -> AssetID in
            guard let id = AssetID(text) else { throw .badRequest("The cursor is not one we issued.", field: "cursor") }
            return id
        }
        let records = try await app.catalog.assets(owner: party.kind == .admin ? nil : party.id,
                                                   after: after, limit: page.limit + 1)
        let items = try await records.prefix(page.limit).asyncMap(wire)
        let next = records.count > page.limit ? items.last.map { app.cursors.encode($0.id.rawValue) } : nil
        return JSONResponse(Wire.Page(items: items, nextCursor: next))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Asset> {
        let record = try await ownedAsset(context)
        return JSONResponse(try await wire(record))
    }

    /// The original file, streamed from disk, with Range, ETag and Content-Length.
    @Sendable func original(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await ownedAsset(context)
        return try await FileResponder.respond(
            path: app.blobs.path(of: record.blobSHA256), byteCount: record.byteCount, etag: "\"\(record.blobSHA256)\"",
            contentType: Self.contentType(container: record.container),
            filename: record.filename ?? "\(record.id).\(record.container)", request: request, context: context)
    }

    /// The asset if the caller owns it (or is the operator); 404 otherwise, so nobody
    /// learns that someone else's asset exists.
    func ownedAsset(_ context: AppRequestContext) async throws -> AssetRecord {
        let party = try context.requireParty(.composer)
        let text = context.parameters.get("id") ?? ""
        guard let id = AssetID(text), let record = try await app.catalog.asset(id),
              record.ownerID == party.id || party.kind == .admin
        else { throw Problem.notFound("Asset \(text)") }
        return record
    }

    func wire(_ record: AssetRecord) async throws -> Wire.Asset {
        let (shares, inherited) = try await app.catalog.effectiveSplits(of: record)
        return Wire.Asset(
            id: record.id, ownerID: record.ownerID, kind: record.kind, status: record.status, trackID: record.trackID,
            title: record.title, bpm: record.bpm,
            key: record.musicalKey.flatMap { name in record.camelot.map { Wire.MusicalKeyInfo(name: name, camelot: $0) } },
            tags: record.tags, moods: record.moods, genres: record.genres, instruments: record.instruments,
            vocals: record.vocals, isrc: record.isrc.flatMap { ISRC(parsing: $0)?.hyphenated },
            audio: Wire.AudioInfo(container: record.container, encoding: record.encoding, sampleRate: record.sampleRate,
                                  bitDepth: record.bitDepth, channels: record.channels, frames: record.frames),
            file: Wire.FileInfo(sha256: record.blobSHA256, byteCount: record.byteCount, filename: record.filename),
            splits: shares, splitsInherited: inherited, createdAt: record.createdAt)
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

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result = [T]()
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
