import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
@testable import SyncletServer
import SyncletCore
import Testing

/// A plain TCP connection for what an HTTP client will not do: send headers slowly, stay
/// idle, read raw answers.
final class RawSocket {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestFailure("connect failed: \(errno)") }
    }

    deinit { close(fd) }

    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Everything until the peer closes, or `nil` if it is still open after `seconds`.
    func readUntilClosed(seconds: Double) -> [UInt8]? {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var result = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count == 0 { return result }
            if count < 0 { return errno == ECONNRESET ? result : nil }
            result += buffer[0..<count]
        }
    }
}

@Suite("Steady under load and against misbehaving clients")
struct SteadyUnderLoadTests {
    @Test("64 concurrent authenticated lists and searches all answer (eight froze the server before)")
    func concurrentReadsDoNotFreeze() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, _, licensee) = try await server.party(.licensee, "Many tabs")
        let raw = RawHTTP(base: server.baseURL)
        let adminToken = server.app.bootstrapToken!
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let paths = ["/v1/assets?q=night", "/v1/assets?limit=20", "/v1/licenses", "/v1/parties", "/v1/me"]
                    var statuses = 0
                    for round in 0..<5 {
                        let path = paths[(index + round) % paths.count]
                        let token = path == "/v1/parties" ? adminToken : licensee
                        let reply = try await raw.send(.GET, path, token: token)
                        statuses += reply.status == 200 ? 1 : 0
                    }
                    return statuses
                }
            }
            group.addTask {
                // /health keeps answering while they run. The freeze this guards against
                // lasted forever; the bound is loose because this client, the server and
                // the rest of the suite share two cores here. The 100 ms bound on /health is
                // the load test's, measured from another process (Tests/Load/load_test.py).
                for _ in 0..<20 {
                    let started = ContinuousClock.now
                    let reply = try await raw.send(.GET, "/health")
                    #expect(reply.status == 200)
                    #expect(started.duration(to: .now) < .seconds(10))
                }
                return 5
            }
            var answered = 0
            for try await count in group { answered += count }
            #expect(answered == 64 * 5 + 5)
        }
    }

    @Test("/health says when the data folder cannot be written, and recovers with it")
    func healthReportsTheStore() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        let ok = try await raw.send(.GET, "/health")
        #expect(ok.status == 200)
        #expect(ok.json["status"] as? String == "ok")
        #expect(ok.json["checked_at"] is String)

        // The data folder's temp directory replaced by a file: no file can be written there.
        let temp = server.services.layout.temp
        try FileManager.default.moveItem(atPath: temp, toPath: temp + ".aside")
        FileManager.default.createFile(atPath: temp, contents: Data("not a folder".utf8))
        let problem = await server.app.checkHealth()
        #expect(problem?.contains("data folder") == true)
        let broken = try await raw.send(.GET, "/health")
        expectProblem(broken, 503, "unavailable")
        #expect(broken.header("retry-after") != nil)
        // The same answer through the router (a key sent) as from the event loop.
        let viaRouter = try await raw.send(.GET, "/health", token: server.app.bootstrapToken)
        expectProblem(viaRouter, 503, "unavailable")

        try FileManager.default.removeItem(atPath: temp)
        try FileManager.default.moveItem(atPath: temp + ".aside", toPath: temp)
        #expect(await server.app.checkHealth() == nil)
        #expect(try await raw.send(.GET, "/health").status == 200)
    }

    @Test("a request whose headers trickle in is closed at the header deadline; others are served meanwhile")
    func slowHeadersAreClosed() async throws {
        let server = try await RunningServer.start { $0.limits.httpHeaderTimeoutSeconds = 1 }
        defer { Task { await server.stop() } }
        let slow = try RawSocket(port: server.port)
        #expect(slow.send("GET /health HTTP/1.1\r\nHost: x\r\n"))
        let started = ContinuousClock.now
        var closed = false
        for _ in 0..<30 {
            if !slow.send("X-Slow: a\r\n") { closed = true; break }
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await RawHTTP(base: server.baseURL).send(.GET, "/health").status == 200)
        }
        if !closed { closed = slow.readUntilClosed(seconds: 2) != nil }
        #expect(closed)
        #expect(started.duration(to: .now) < .seconds(4))
    }

    @Test("past the connection cap a connection is answered 503 with Retry-After, and served again once others close")
    func connectionCap() async throws {
        let server = try await RunningServer.start { $0.limits.httpConnectionCountMax = 8 }
        defer { Task { await server.stop() } }
        #expect(server.app.connectionGuard.servedCountMax == 8)
        var idle = [RawSocket]()
        for _ in 0..<8 { idle.append(try RawSocket(port: server.port)) }
        try await Task.sleep(for: .milliseconds(200))
        let extra = try RawSocket(port: server.port)
        #expect(extra.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"))
        let answer = String(decoding: extra.readUntilClosed(seconds: 5) ?? [], as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
        #expect(answer.contains("Retry-After: 1"))
        #expect(answer.contains("application/problem+json") && answer.contains("/problems/overloaded"))
        idle.removeAll()
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await RawHTTP(base: server.baseURL).send(.GET, "/health").status == 200)
    }

    @Test("a stalled request body is closed at the idle timeout")
    func stalledBodyIsClosed() async throws {
        let server = try await RunningServer.start { $0.limits.httpIdleTimeoutSeconds = 1 }
        defer { Task { await server.stop() } }
        let stalled = try RawSocket(port: server.port)
        #expect(stalled.send("POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"key\":"))
        #expect(stalled.readUntilClosed(seconds: 5) != nil)
    }

    @Test("log lines never wait for a stuck standard error: past the queue they are dropped, counted, and said so")
    func logWriterDoesNotBlock() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let writer = LogWriter(fileDescriptor: ends[1])
        // Nobody reads the pipe (64 KiB), so the writer thread blocks; callers must not.
        let started = ContinuousClock.now
        let line = String(repeating: "x", count: 99) + "\n"
        for _ in 0..<(LogWriter.lineCountMax * 3) { writer.write(line) }
        #expect(started.duration(to: .now) < .seconds(2))
        // Drain the pipe: the writer catches up and says how many lines it dropped.
        var text = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let flags = fcntl(ends[0], F_GETFL)
        _ = fcntl(ends[0], F_SETFL, flags | O_NONBLOCK)
        // The notice follows the queued lines (about 1 MB); read until it has come, however
        // busy the machine is with the tests that run beside this one.
        let notice = Array("log lines were dropped".utf8)
        var searchedUpTo = 0
        var found = false
        let deadline = ContinuousClock.now + .seconds(60)
        while !found, ContinuousClock.now < deadline {
            let count = read(ends[0], &buffer, buffer.count)
            guard count > 0 else { usleep(10_000); continue }
            text += buffer[0..<count]
            let start = max(0, searchedUpTo - notice.count)
            // The whole notice line: the writer may still be writing its end when its words arrive.
            if let range = text[start...].firstRange(of: notice) {
                found = text[range.upperBound...].contains(UInt8(ascii: "\n"))
                searchedUpTo = range.lowerBound
            } else {
                searchedUpTo = text.count
            }
        }
        #expect(found, "read \(text.count) bytes without the notice")
    }
}
