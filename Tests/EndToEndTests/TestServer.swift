import AsyncHTTPClient
import Audio
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import SyncletClient
import SyncletCore
import SyncletServer
import Testing

/// A clock tests can move.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var now: Int64
    init(_ start: Int64 = 1_795_000_000_000) { now = start }
    func advance(seconds: Int64) { lock.withLock { now += seconds * 1000 } }
    var clock: SyncletCore.Clock {
        SyncletCore.Clock { [self] in Timestamp(millisecondsSince1970: lock.withLock { now }) }
    }
}

/// The real server, started in-process on an ephemeral loopback port.
final class RunningServer: @unchecked Sendable {
    let app: SyncletApp
    let port: Int
    let storage: String
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var services: AppServices { app.services }

    private init(app: SyncletApp, port: Int, storage: String, group: ServiceGroup, task: Task<Void, any Error>) {
        self.app = app
        self.port = port
        self.storage = storage
        self.group = group
        self.task = task
    }

    /// `logger` replaces the default (warnings and worse, to the console), e.g. to capture lines.
    static func start(storage: String? = nil, logger: Logger? = nil,
                      configure: (inout ServerSettings) -> Void = { _ in }) async throws -> RunningServer {
        // (The defaults below come first; `configure` may override any of them.)
        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.port = 0
        settings.storage = storage ?? TestFiles.makeDirectory("storage")
        settings.runsBackgroundWorkers = false
        settings.licenses = TestFiles.licensesFolder
        settings.paymentWebhookSecret = "test-webhook-secret"
        settings.limits.verifyBurstRequestCountMax = 10_000
        configure(&settings)
        let logger = logger ?? {
            var quiet = Logger(label: "synclet-test")
            quiet.logLevel = .warning
            return quiet
        }()
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = try await buildApplication(settings: settings, logger: logger) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app.application], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestFailure("server did not start") }
        return RunningServer(app: app, port: port, storage: settings.storage, group: group, task: task)
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        app.releaseFolder()
    }

    /// The bootstrap admin client.
    var admin: SyncletClient { SyncletClient(server: baseURL, apiKey: app.bootstrapToken) }

    func client(_ token: String?) -> SyncletClient { SyncletClient(server: baseURL, apiKey: token) }

    /// Creates a party and returns a client holding its first key.
    func party(_ kind: PartyKind, _ name: String) async throws -> (Wire.Party, SyncletClient, String) {
        let party = try await admin.createParty(kind: kind, displayName: name)
        let issued = try await admin.issueKey(party: party.id, label: "test")
        return (party, client(issued.token), issued.token)
    }

    /// Row counts and stored files: what "nothing changed" is checked against.
    func snapshot() async throws -> Snapshot {
        let counts = try await services.database.read { db in
            try ["party", "api_key", "upload", "asset", "asset_split"].map { table in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? -1
            }
        }
        return Snapshot(rows: counts, blobs: TestFiles.listRecursively(services.layout.blobs),
                        uploads: TestFiles.listRecursively(services.layout.uploads),
                        // The health check's write probe (health-…) lives a moment in temp on its own
                        // schedule; it is no part of any request.
                        temp: TestFiles.listRecursively(services.layout.temp).filter { !$0.hasPrefix("health-") })
    }

    struct Snapshot: Equatable {
        var rows: [Int]
        var blobs: [String]
        var uploads: [String]
        var temp: [String]
    }
}

import GRDB

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum TestFiles {
    /// The repository's Licenses/ folder, found from this file's path.
    static let licensesFolder: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("Licenses").path
            if FileManager.default.fileExists(atPath: candidate + "/social-clip.json") { return candidate }
        }
        fatalError("Licenses/ not found above \(#filePath)")
    }()

    static let root: String = {
        let path = NSTemporaryDirectory() + "synclet-tests-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    static func makeDirectory(_ name: String) -> String {
        let path = root + "/\(name)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes a sine-wave file through libsndfile and returns its path.
    static func tone(_ format: ToneWriter.Format, seconds: Double, sampleRate: Int = 44_100, name: String = "tone") throws -> String {
        let path = makeDirectory("audio") + "/\(name).\(format.fileExtension)"
        try ToneWriter.writeSine(path: path, format: format, sampleRate: sampleRate,
                                 frames: Int64(seconds * Double(sampleRate)))
        return path
    }

    static func write(_ bytes: [UInt8], name: String) -> String {
        let path = makeDirectory("raw") + "/\(name)"
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static func listRecursively(_ path: String) -> [String] {
        (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? []).sorted()
    }

    static func sha256(_ path: String) -> String {
        SHA256Hex.of(Array(FileManager.default.contents(atPath: path) ?? Data()))
    }
}

import SyncletCrypto
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String { SHA256Hasher.digest(bytes).hex }
}

/// Raw HTTP for the cases the typed client will not send.
struct RawHTTP {
    let base: String

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:] }
        /// The problem type's last segment.
        var problemType: String? { (json["type"] as? String)?.split(separator: "/").last.map(String.init) }
        func header(_ name: String) -> String? { headers[name.lowercased()] }
    }

    func send(_ method: HTTPMethod, _ path: String, token: String? = nil, headers: [String: String] = [:],
              body: [UInt8]? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let collected = try await response.body.collect(upTo: 64 * 1024 * 1024)
        var headerMap = [String: String]()
        for header in response.headers { headerMap[header.name.lowercased()] = header.value }
        return Reply(status: Int(response.status.code), headers: headerMap, body: Array(collected.readableBytesView))
    }

    func json(_ method: HTTPMethod, _ path: String, token: String?, _ text: String) async throws -> Reply {
        try await send(method, path, token: token, headers: ["Content-Type": "application/json"], body: Array(text.utf8))
    }
}

/// Checks that a reply is an RFC 9457 problem of the given status and type.
func expectProblem(_ reply: RawHTTP.Reply, _ status: Int, _ type: String? = nil,
                   sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == status, "status \(reply.status): \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
    #expect((reply.json["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
    #expect(reply.json["status"] as? Int == status, sourceLocation: sourceLocation)
    if let type { #expect(reply.problemType == type, "type \(reply.problemType ?? "nil"): \(reply.text)", sourceLocation: sourceLocation) }
}
