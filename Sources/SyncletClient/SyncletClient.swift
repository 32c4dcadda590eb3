import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SyncletCore

/// The typed HTTP client the CLI (and the end-to-end tests) use.
public struct SyncletClient: Sendable {
    /// Base URL, e.g. `http://127.0.0.1:8080`.
    public let server: String
    public let apiKey: String?
    let http: HTTPClient
    /// How long one ordinary request may take.
    public var requestTimeout: TimeAmount = .seconds(60)
    /// How long one upload PATCH may take (a big file on a slow link).
    public var uploadTimeout: TimeAmount = .hours(6)

    public static let tusVersion = "1.0.0"
    static let responseByteCountMax = 16 * 1024 * 1024

    public init(server: String, apiKey: String?, http: HTTPClient = .shared) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.apiKey = apiKey
        self.http = http
    }

    // MARK: Parties and keys

    public func me() async throws -> Wire.Party { try await json(.GET, "/v1/me") }

    public func createParty(kind: PartyKind, displayName: String) async throws -> Wire.Party {
        try await json(.POST, "/v1/parties", body: Wire.CreateParty(kind: kind, displayName: displayName))
    }

    public func parties(cursor: String? = nil, limit: Int? = nil) async throws -> Wire.Page<Wire.Party> {
        try await json(.GET, "/v1/parties" + Self.pageQuery(cursor: cursor, limit: limit))
    }

    public func issueKey(party: PartyID, label: String?) async throws -> Wire.IssuedAPIKey {
        try await json(.POST, "/v1/parties/\(party)/keys", body: Wire.CreateAPIKey(label: label))
    }

    public func keys(party: PartyID) async throws -> [Wire.APIKey] {
        let page: Wire.Page<Wire.APIKey> = try await json(.GET, "/v1/parties/\(party)/keys")
        return page.items
    }

    public func revokeKey(_ id: APIKeyID) async throws -> Wire.APIKey { try await json(.DELETE, "/v1/keys/\(id)") }

    // MARK: Assets

    public func createAsset(_ request: Wire.CreateAsset) async throws -> Wire.Asset {
        try await json(.POST, "/v1/assets", body: request)
    }

    /// Your own assets (drafts included), newest first.
    public func assets(cursor: String? = nil, limit: Int? = nil) async throws -> Wire.Page<Wire.Asset> {
        try await search(["mine": "true"], cursor: cursor, limit: limit)
    }

    /// Searches the catalog with the API's query parameters (q, kind, bpm_min, …).
    public func search(_ parameters: [String: String], cursor: String? = nil, limit: Int? = nil) async throws -> Wire.Page<Wire.Asset> {
        var items = parameters.sorted { $0.key < $1.key }.map { (key, value) in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }
        if let cursor { items.append("cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? cursor)") }
        if let limit { items.append("limit=\(limit)") }
        return try await json(.GET, "/v1/assets" + (items.isEmpty ? "" : "?" + items.joined(separator: "&")))
    }

    public func updateAsset(_ id: AssetID, _ changes: Wire.UpdateAsset) async throws -> Wire.Asset {
        try await json(.PATCH, "/v1/assets/\(id)", body: changes)
    }

    public func publish(_ id: AssetID) async throws -> Wire.Asset { try await json(.POST, "/v1/assets/\(id)/publish") }

    public func withdraw(_ id: AssetID) async throws -> Wire.Asset { try await json(.POST, "/v1/assets/\(id)/withdraw") }

    public func splitVersions(_ id: AssetID) async throws -> [Wire.SplitVersion] {
        let page: Wire.Page<Wire.SplitVersion> = try await json(.GET, "/v1/assets/\(id)/splits")
        return page.items
    }

    public func replaceSplits(_ id: AssetID, _ splits: [SplitShare]) async throws -> Wire.SplitVersion {
        try await json(.PUT, "/v1/assets/\(id)/splits", body: Wire.ReplaceSplits(splits: splits))
    }

    public func createPack(_ request: Wire.CreatePack) async throws -> Wire.PackResult {
        try await json(.POST, "/v1/packs", body: request)
    }

    public func asset(_ id: AssetID) async throws -> Wire.Asset { try await json(.GET, "/v1/assets/\(id)") }

    /// Streams an asset's original (or a byte range of it) to `path` through a temp file.
    /// Returns the HTTP status (200 or 206) and the bytes written.
    public func downloadOriginal(_ id: AssetID, to path: String, range: ClosedRange<Int64>? = nil,
                                 onBytes: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> (status: Int, byteCount: Int64) {
        try await download("/v1/assets/\(id)/original", to: path, range: range, onBytes: onBytes)
    }

    /// Streams any file route (original, preview, waveform, bundle) to `path` through a temp file.
    public func download(_ route: String, to path: String, range: ClosedRange<Int64>? = nil,
                         onBytes: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> (status: Int, byteCount: Int64) {
        var request = makeRequest(.GET, route)
        if let range { request.headers.add(name: "Range", value: "bytes=\(range.lowerBound)-\(range.upperBound)") }
        let response = try await execute(request, timeout: uploadTimeout)
        guard response.status == .ok || response.status == .partialContent else { throw try await failure(response) }
        let temp = path + ".part-download"
        guard FileManager.default.createFile(atPath: temp, contents: nil), let handle = FileHandle(forWritingAtPath: temp) else {
            throw ClientError(status: nil, problem: nil, message: "Cannot write \(path); check the folder exists and is writable.")
        }
        var total: Int64 = 0
        do {
            for try await chunk in response.body {
                handle.write(Data(chunk.readableBytesView))
                total += Int64(chunk.readableBytes)
                onBytes(chunk.readableBytes)
            }
            try handle.synchronize()
            try handle.close()
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: temp, toPath: path)
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temp)
            throw error
        }
        return (Int(response.status.code), total)
    }

    /// Streams any file route's body to `write` as it arrives (standard output for `-o -`):
    /// no temp file, so a failure part-way leaves what was written. Returns the status and
    /// the bytes passed on.
    public func download(_ route: String, writing write: ([UInt8]) throws -> Void) async throws -> (status: Int, byteCount: Int64) {
        let response = try await execute(makeRequest(.GET, route), timeout: uploadTimeout)
        guard response.status == .ok else { throw try await failure(response) }
        var total: Int64 = 0
        for try await chunk in response.body {
            try write(Array(chunk.readableBytesView))
            total += Int64(chunk.readableBytes)
        }
        return (Int(response.status.code), total)
    }

    // MARK: Plumbing

    static func pageQuery(cursor: String?, limit: Int?) -> String {
        var items = [String]()
        if let cursor { items.append("cursor=\(cursor.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? cursor)") }
        if let limit { items.append("limit=\(limit)") }
        return items.isEmpty ? "" : "?" + items.joined(separator: "&")
    }

    func makeRequest(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        request.headers.add(name: "User-Agent", value: "synclet-cli")
        return request
    }

    func execute(_ request: HTTPClientRequest, timeout: TimeAmount? = nil) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: timeout ?? requestTimeout)
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(status: nil, problem: nil,
                              message: "Cannot reach the Synclet server at \(server) (\(error)). Check the address (synclet login --server, or SYNCLET_SERVER) and that the server is running.")
        }
    }

    func json<T: Decodable>(_ method: HTTPMethod, _ path: String) async throws -> T {
        try await send(makeRequest(method, path))
    }

    func json<T: Decodable, B: Encodable>(_ method: HTTPMethod, _ path: String, body: B) async throws -> T {
        var request = makeRequest(method, path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try encoder.encode(body)))
        return try await send(request)
    }

    func send<T: Decodable>(_ request: HTTPClientRequest) async throws -> T {
        let response = try await execute(request)
        guard (200..<300).contains(response.status.code) else { throw try await failure(response) }
        let body = try await response.body.collect(upTo: Self.responseByteCountMax)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw ClientError(status: Int(response.status.code), problem: nil,
                              message: "The server's answer could not be read (\(error)). Is \(server) a Synclet server of the same version?")
        }
    }

    /// Reads a problem document from a failed response.
    func failure(_ response: HTTPClientResponse) async throws -> ClientError {
        let body = try? await response.body.collect(upTo: 64 * 1024)
        let problem = body.flatMap { try? JSONDecoder().decode(Wire.ProblemDocument.self, from: Data($0.readableBytesView)) }
        let fallback: String = switch response.status.code {
        case 401: "The server refused the API key. Run `synclet login` with a valid key, or set SYNCLET_API_KEY."
        case 404: "Not found, or not yours."
        default: "The server answered \(response.status.code) \(response.status.reasonPhrase)."
        }
        return ClientError(status: Int(response.status.code), problem: problem, message: fallback)
    }
}
