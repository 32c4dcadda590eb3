import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SyncletClient
import SyncletCore
import SyncletServer
import Testing

/// Checks that a reply is a 304 as RFC 9110 §15.4.5 wants it: the ETag, no body, and none of
/// the fields that describe a body.
func expectNotModified(_ reply: RawHTTP.Reply, etag: String, _ comment: String = "",
                       sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(reply.status == 304, "\(comment): \(reply.status) \(reply.text)", sourceLocation: sourceLocation)
    #expect(reply.header("etag") == etag, "\(comment)", sourceLocation: sourceLocation)
    #expect(reply.body.isEmpty, "\(comment)", sourceLocation: sourceLocation)
    for name in ["content-length", "content-type", "content-range", "content-disposition"] {
        #expect(reply.header(name) == nil, "\(comment): a 304 carries \(name): \(reply.header(name) ?? "")", sourceLocation: sourceLocation)
    }
}

@Suite("Files and pages answer conditional and HEAD requests as caches and standard clients expect (RFC 9110 §13)")
struct ConditionalRequestTests {
    /// A draft track by Ada: its original's route, Ada's token, the file's bytes and its ETag.
    static func original(_ server: RunningServer) async throws -> (route: String, token: String, bytes: [UInt8], etag: String) {
        let (_, client, token) = try await server.party(.composer, "Ada")
        let path = try TestFiles.tone(.wav16, seconds: 1)
        let asset = try await client.createAsset(Wire.CreateAsset(
            uploadID: try await client.uploadFile(path: path, journal: nil), kind: .track, title: "Tagged"))
        let bytes = Array(try #require(FileManager.default.contents(atPath: path)))
        let sha = try #require(asset.file?.sha256)
        return ("/v1/assets/\(asset.id)/original", token, bytes, "\"\(sha)\"")
    }

    @Test("If-None-Match compares weakly and takes lists and *: 304 with the ETag and no body fields; a list without the current tag is a 200")
    func ifNoneMatch() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (route, token, bytes, etag) = try await Self.original(server)
        let raw = RawHTTP(base: server.baseURL)
        for value in [etag, "W/\(etag)", "\"other\", \(etag)", "W/\"other\",W/\(etag)", "*", " , \(etag) ,"] {
            expectNotModified(try await raw.send(.GET, route, token: token, headers: ["If-None-Match": value]), etag: etag, value)
        }
        // A HEAD and a ranged GET are revalidated the same way.
        expectNotModified(try await raw.send(.HEAD, route, token: token, headers: ["If-None-Match": "W/\(etag)"]), etag: etag, "HEAD")
        expectNotModified(try await raw.send(.GET, route, token: token, headers: ["If-None-Match": etag, "Range": "bytes=0-9"]),
                          etag: etag, "with Range")
        // Another version, or a value that is no list of tags, matches nothing: the whole file.
        for value in ["\"other\", W/\"another\"", "W/\"other\"", String(etag.dropLast()), "\(etag) *", "\(etag.dropFirst().dropLast())"] {
            let whole = try await raw.send(.GET, route, token: token, headers: ["If-None-Match": value])
            #expect(whole.status == 200, "\(value): \(whole.status)")
            #expect(whole.body == bytes, "\(value)")
            #expect(whole.header("content-length") == String(bytes.count))
        }
    }

    @Test("If-Match compares strongly: a failing one is a 412 problem before If-None-Match is read; a matching one serves the file and its ranges")
    func ifMatch() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (route, token, bytes, etag) = try await Self.original(server)
        let raw = RawHTTP(base: server.baseURL)
        for value in ["\"other\"", "W/\(etag)", "\"other\", W/\(etag)", String(etag.dropLast()), "*, \(etag)"] {
            let refused = try await raw.send(.GET, route, token: token, headers: ["If-Match": value])
            expectProblem(refused, 412, "precondition-failed")
            #expect(refused.header("content-range") == nil && refused.header("etag") == nil, "\(value)")
        }
        let both = try await raw.send(.GET, route, token: token, headers: ["If-Match": "\"other\"", "If-None-Match": etag])
        expectProblem(both, 412, "precondition-failed")

        for value in [etag, "\"other\", \(etag)", "*"] {
            let whole = try await raw.send(.GET, route, token: token, headers: ["If-Match": value])
            #expect(whole.status == 200, "\(value): \(whole.status) \(whole.text.prefix(300))")
            #expect(whole.body == bytes)
            let part = try await raw.send(.GET, route, token: token, headers: ["If-Match": value, "Range": "bytes=10-19"])
            #expect(part.status == 206, "\(value): \(part.status)")
            #expect(part.header("content-range") == "bytes 10-19/\(bytes.count)")
            #expect(part.body == Array(bytes[10...19]))
        }
        expectNotModified(try await raw.send(.GET, route, token: token, headers: ["If-Match": etag, "If-None-Match": etag]), etag: etag)
    }

    @Test("HEAD ignores Range: 200 with the whole file's Content-Length and no body")
    func headIgnoresRange() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (route, token, bytes, etag) = try await Self.original(server)
        let raw = RawHTTP(base: server.baseURL)
        for range in ["bytes=0-9", "bytes=-10", "bytes=\(bytes.count)-"] {
            let head = try await raw.send(.HEAD, route, token: token, headers: ["Range": range])
            #expect(head.status == 200, "\(range): \(head.status)")
            #expect(head.header("content-length") == String(bytes.count), "\(range)")
            #expect(head.header("content-range") == nil, "\(range)")
            #expect(head.header("etag") == etag)
            #expect(head.header("accept-ranges") == "bytes")
            #expect(head.body.isEmpty)
        }
        // The GET it stands for still honours the range.
        #expect(try await raw.send(.GET, route, token: token, headers: ["Range": "bytes=0-9"]).status == 206)
    }

    @Test("the web pages revalidate the same way: weak and listed ETags are a bare 304, a failing If-Match a 412 problem")
    func webPages() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        for path in ["/check", "/earnings"] {
            let page = try await raw.send(.GET, path)
            let etag = try #require(page.header("etag"))
            for value in [etag, "W/\(etag)", "\"old\", \(etag)", "*"] {
                let cached = try await raw.send(.GET, path, headers: ["If-None-Match": value])
                expectNotModified(cached, etag: etag, "\(path) \(value)")
                #expect(cached.header("cache-control") == "no-cache")
            }
            #expect(try await raw.send(.GET, path, headers: ["If-None-Match": "\"old\", W/\"older\""]).body == page.body)
            expectProblem(try await raw.send(.GET, path, headers: ["If-Match": "\"old\""]), 412, "precondition-failed")
            #expect(try await raw.send(.GET, path, headers: ["If-Match": etag]).body == page.body)
        }
    }
}

@Suite("tus refusals say which version the server speaks")
struct TusVersionTests {
    @Test("a tus request in another version (or none) is a 412 problem with Tus-Version: 1.0.0, and nothing is created or written")
    func otherVersionIsRefused() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, client, token) = try await server.party(.composer, "Ada")
        let upload = try await client.createUpload(length: 10, filename: "x.wav")
        let before = try await server.snapshot()
        let raw = RawHTTP(base: server.baseURL)
        for version in ["0.2.2", "1.0", nil] {
            var headers = ["Upload-Length": "10"]
            if let version { headers["Tus-Resumable"] = version }
            let create = try await raw.send(.POST, "/v1/uploads", token: token, headers: headers)
            expectProblem(create, 412, "tus-version")
            #expect(create.header("tus-version") == "1.0.0")

            var patchHeaders = ["Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"]
            if let version { patchHeaders["Tus-Resumable"] = version }
            let patch = try await raw.send(.PATCH, "/v1/uploads/\(upload)", token: token, headers: patchHeaders,
                                           body: [UInt8](repeating: 1, count: 10))
            expectProblem(patch, 412, "tus-version")
            #expect(patch.header("tus-version") == "1.0.0")
        }
        #expect(try await server.snapshot() == before)
        #expect(try await client.uploadState(upload)?.offset == 0)
    }
}

@Suite("An empty optional query parameter counts as absent")
struct EmptyQueryParameterTests {
    @Test("?cursor= and every other empty optional parameter answer 200 exactly as if absent")
    func emptyIsAbsent() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let raw = f.raw
        let pairs: [(String, String, String)] = [
            ("/v1/assets?cursor=", "/v1/assets", f.liaToken),
            ("/v1/assets?cursor", "/v1/assets", f.liaToken),
            ("/v1/assets?limit=&cursor=&q=&kind=&bpm_min=&bpm_max=&key=&compatible_with=&duration_min=&duration_max=&vocals=&composer=&has_stems=&mine=&status=&sort=",
             "/v1/assets", f.liaToken),
            ("/v1/assets?q=harbour&sort=&limit=", "/v1/assets?q=harbour", f.liaToken),
            ("/v1/parties?cursor=&limit=", "/v1/parties", f.adminToken),
            ("/v1/licenses?cursor=&limit=", "/v1/licenses", f.liaToken),
            ("/v1/clearances?platform=youtube&channel_id=&cursor=", "/v1/clearances?platform=youtube", f.adminToken),
        ]
        for (empty, absent, token) in pairs {
            let withEmpty = try await raw.send(.GET, empty, token: token)
            let without = try await raw.send(.GET, absent, token: token)
            #expect(withEmpty.status == 200, "\(empty): \(withEmpty.status) \(withEmpty.text)")
            #expect(without.status == 200, "\(absent): \(without.status) \(without.text)")
            #expect(withEmpty.body == without.body, "\(empty)")
        }
        let spend = try await raw.send(.GET, "/v1/wallet/spend?period=", token: f.liaToken)
        #expect(spend.status == 200, "\(spend.text)")
        // A required parameter sent empty is still missing.
        expectProblem(try await raw.send(.GET, "/v1/clearances?platform=", token: f.adminToken), 400, "bad-request")
    }
}

@Suite("The CLI writes to standard output when asked")
struct CLIStandardOutputTests {
    @Test("synclet admin payouts PERIOD -o - writes the CSV to standard output, byte for byte as served, and makes no file named -")
    func payoutsToStandardOutput() async throws {
        let clock = TestClock(Timestamp(rfc3339: "2026-11-15T12:00:00Z")!.millisecondsSince1970)
        let f = try await LicensingFixture.make(clock: clock, configure: { $0.payoutThresholdMicros = 5_000_000 })
        defer { Task { await f.server.stop() } }
        let license = try await UsageIngestTests.license(f)
        let at = Timestamp(rfc3339: "2026-11-15T12:00:00Z")!.rfc3339
        _ = try await UsageIngestTests.send(f, (0..<10).map { UsageIngestTests.event("c\($0)", license: license.id.rawValue, quantity: 1_000, at: at) })
        clock.advance(seconds: 20 * 86_400)  // 2026-12-05: November is over
        let close = try await f.raw.send(.POST, "/v1/periods/2026-11/close", token: f.adminToken)
        #expect(close.status == 200, "\(close.text)")
        let served = try await f.raw.send(.GET, "/v1/periods/2026-11/payouts", token: f.adminToken)
        #expect(served.text.split(separator: "\r\n").count == 3)  // the header and two payouts

        let piped = try await SyncletCLI.run(["admin", "payouts", "2026-11", "-o", "-"], server: f.server.baseURL, apiKey: f.adminToken)
        #expect(piped.status == 0, "\(piped.standardError)")
        #expect(piped.standardOutput == served.body, "\(String(decoding: piped.standardOutput, as: UTF8.self))")
        #expect(TestFiles.listRecursively(piped.folder).isEmpty, "left \(TestFiles.listRecursively(piped.folder))")

        // A path is still a file, and the note goes to standard output as before.
        let saved = try await SyncletCLI.run(["admin", "payouts", "2026-11", "-o", "payouts.csv"], server: f.server.baseURL, apiKey: f.adminToken)
        #expect(saved.status == 0, "\(saved.standardError)")
        let file = FileManager.default.contents(atPath: saved.folder + "/payouts.csv") ?? Data()
        #expect(Array(file) == served.body)
        #expect(String(decoding: saved.standardOutput, as: UTF8.self).hasPrefix("Saved the 2026-11 payout batch to payouts.csv"))
    }
}

/// Runs the `synclet` executable the build put beside the tests against a test server, in a
/// fresh working folder, and collects what it wrote.
enum SyncletCLI {
    struct Run {
        let status: Int32
        let standardOutput: [UInt8]
        let standardError: String
        /// The working folder it ran in (empty before it started).
        let folder: String
    }

    /// Beside the running test executable (`swift build --build-tests` builds every product
    /// there), else the repository's `.build/debug`.
    static func executable() throws -> String {
        var folders = [String]()
        if let tests = Bundle.main.executableURL?.deletingLastPathComponent() { folders.append(tests.path) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        folders.append(root.appendingPathComponent(".build/debug").path)
        for folder in folders where FileManager.default.isExecutableFile(atPath: folder + "/synclet") {
            return folder + "/synclet"
        }
        throw TestFailure("The CLI tests run the built `synclet`, and there is none in \(folders). Build it first: swift build --build-tests.")
    }

    static func run(_ arguments: [String], server: String, apiKey: String) async throws -> Run {
        let binary = try executable()
        let folder = TestFiles.makeDirectory("cli-work")
        let capture = TestFiles.makeDirectory("cli-capture")
        let outputPath = capture + "/stdout.bin"
        let errorPath = capture + "/stderr.txt"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        let errors = try FileHandle(forWritingTo: URL(fileURLWithPath: errorPath))
        defer {
            try? output.close()
            try? errors.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        var environment = ProcessInfo.processInfo.environment
        environment["SYNCLET_SERVER"] = server
        environment["SYNCLET_API_KEY"] = apiKey
        environment["SYNCLET_CONFIG_DIR"] = capture + "/config"  // never the tester's own login
        process.environment = environment
        process.standardOutput = output
        process.standardError = errors
        let status = try await Chromium.run(process, limit: .seconds(60))
        return Run(status: status, standardOutput: Array(FileManager.default.contents(atPath: outputPath) ?? Data()),
                   standardError: String(decoding: FileManager.default.contents(atPath: errorPath) ?? Data(), as: UTF8.self),
                   folder: folder)
    }
}
