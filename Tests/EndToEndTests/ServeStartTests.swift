import Foundation
import SyncletClient
import Testing

/// `synclet serve` as an operator runs it: the built binary, started from a folder that is
/// not the repository, and starts that fail.
@Suite("synclet serve starts from any folder, and a start that fails leaves nothing behind")
struct ServeStartTests {
    /// The `synclet` executable `swift build` made beside this test bundle.
    static let binary: String = {
        var url = URL(fileURLWithPath: TestFiles.licensesFolder).deletingLastPathComponent()
        url.appendPathComponent(".build/debug/synclet")
        return url.path
    }()

    struct Finished {
        let status: Int32
        let output: String
    }

    /// Runs `synclet ARGS` in `directory` to its end (at most `limit`), output and errors together.
    static func run(_ arguments: [String], in directory: String, limit: Duration = .seconds(30)) async throws -> Finished {
        let log = directory + "/.synclet-output-\(UUID().uuidString.prefix(6))"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? handle.close(); try? FileManager.default.removeItem(atPath: log) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = handle
        process.standardError = handle
        let status = try await Chromium.run(process, limit: limit)
        return Finished(status: status, output: String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self))
    }

    @Test("started outside the repository with no --licenses, the server serves the built-in templates, the same as Licenses/")
    func servesFromAnyFolder() async throws {
        let elsewhere = TestFiles.makeDirectory("elsewhere")
        #expect(!FileManager.default.fileExists(atPath: elsewhere + "/Licenses"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--port", "0", "--storage", "data"]
        process.currentDirectoryURL = URL(fileURLWithPath: elsewhere)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        // "Synclet is listening on http://127.0.0.1:PORT (data in data)"
        var seen = ""
        var port: Int?
        let deadline = ContinuousClock.now + .seconds(30)
        while port == nil, ContinuousClock.now < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
            if let range = seen.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(seen[range].split(separator: ":").last ?? "")
            }
        }
        let bound = try #require(port, "no listening line in: \(seen)")
        let ids = try await SyncletClient(server: "http://127.0.0.1:\(bound)", apiKey: nil).templates().map(\.id).sorted()
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: TestFiles.licensesFolder)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
        #expect(!ids.isEmpty)
        #expect(ids == onDisk)
        #expect(FileManager.default.fileExists(atPath: elsewhere + "/data/synclet.sqlite"))
    }

    @Test("a start refused for an unreadable --licenses folder exits 1, says what to fix, and creates no folder")
    func badTemplatesCreateNothing() async throws {
        let work = TestFiles.makeDirectory("refused")
        let finished = try await Self.run(["serve", "--port", "0", "--storage", "new/deeper/data", "--licenses", "/nonexistent-templates"], in: work)
        #expect(finished.status == 1)
        #expect(finished.output.contains("--licenses"), "\(finished.output)")
        #expect(!FileManager.default.fileExists(atPath: work + "/new"))
    }

    @Test("a start on a port already in use exits 1, names the port, and creates no folder")
    func portInUseCreatesNothing() async throws {
        let work = TestFiles.makeDirectory("busy-port")
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(listener, 4) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let finished = try await Self.run(["serve", "--port", "\(port)", "--storage", "data"], in: work)
        #expect(finished.status == 1)
        #expect(finished.output.contains("\(port)"), "\(finished.output)")
        #expect(!FileManager.default.fileExists(atPath: work + "/data"))
    }
}

@Suite("The operator is never locked out: the last operator key cannot be revoked, and a lost one is recovered on the folder")
struct OperatorKeyTests {
    @Test("revoking the last operator key in force is refused with 409; with a second key it works, and the second is then the last")
    func lastOperatorKeyStays() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        let first = server.app.bootstrapToken!
        let me = try await server.admin.me()
        let keys = try await server.admin.keys(party: me.id)
        try #require(keys.count == 1)
        let refused = try await raw.send(.DELETE, "/v1/keys/\(keys[0].id)", token: first)
        expectProblem(refused, 409, "last-operator-key")
        #expect(try await raw.send(.GET, "/v1/parties", token: first).status == 200)

        let second = try await server.admin.issueKey(party: me.id, label: "second")
        #expect(try await raw.send(.DELETE, "/v1/keys/\(keys[0].id)", token: second.token).status == 200)
        #expect(try await raw.send(.GET, "/v1/parties", token: first).status == 401)
        expectProblem(try await raw.send(.DELETE, "/v1/keys/\(second.key.id)", token: second.token), 409, "last-operator-key")
        #expect(try await raw.send(.GET, "/v1/parties", token: second.token).status == 200)
    }

    @Test("synclet admin recover-key --storage DIR makes a working operator key with the server stopped, and refuses while it runs")
    func recoverKeyOnTheFolder() async throws {
        let storage = TestFiles.makeDirectory("recover")
        let work = TestFiles.makeDirectory("recover-cli")
        let server = try await RunningServer.start(storage: storage)
        let running = try await ServeStartTests.run(["admin", "recover-key", "--storage", storage], in: work)
        #expect(running.status == 1)
        #expect(running.output.contains("Stop that server first"), "\(running.output)")
        await server.stop()

        let recovered = try await ServeStartTests.run(["admin", "recover-key", "--storage", storage, "--json"], in: work)
        #expect(recovered.status == 0, "\(recovered.output)")
        let answer = try JSONSerialization.jsonObject(with: Data(recovered.output.utf8)) as? [String: String]
        let token = try #require(answer?["token"])
        let again = try await RunningServer.start(storage: storage)
        defer { Task { await again.stop() } }
        #expect(again.app.bootstrapToken == nil)  // not a new operator: the same one, a new key
        #expect(try await RawHTTP(base: again.baseURL).send(.GET, "/v1/parties", token: token).status == 200)
        #expect(try await again.client(token).me().kind == .admin)

        let nowhere = try await ServeStartTests.run(["admin", "recover-key", "--storage", work + "/none"], in: work)
        #expect(nowhere.status == 1)
        #expect(!FileManager.default.fileExists(atPath: work + "/none"))
    }
}
