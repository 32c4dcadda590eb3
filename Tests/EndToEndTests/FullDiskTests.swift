import Foundation
import Glibc
import SyncletCore
import SyncletServer
import Testing

/// A data folder on a small tmpfs, filled to the last byte: the real ENOSPC, not a mock.
/// Mounting needs root (the test machines run as root); without it the test says so and
/// records an issue rather than passing silently.
@Suite("A full disk gets honest answers: 507, /health 503, previews postponed, and all of it back when space returns")
struct FullDiskTests {
    @Test("with the disk full an upload answers 507 and keeps nothing, /health is 503, a preview waits; with space back all works")
    func fullDisk() async throws {
        let mountPoint = TestFiles.makeDirectory("full-disk")
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=24m", "tmpfs", mountPoint]
        try mount.run()
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else {
            Issue.record("cannot mount a tmpfs here (not root?): the full-disk test did not run")
            return
        }
        defer {
            let unmount = Process()
            unmount.executableURL = URL(fileURLWithPath: "/bin/umount")
            unmount.arguments = ["-l", mountPoint]
            try? unmount.run()
            unmount.waitUntilExit()
        }
        let server = try await RunningServer.start(storage: "\(mountPoint)/storage")
        let (_, ada, token) = try await server.party(.composer, "Ada")
        let raw = RawHTTP(base: server.baseURL)
        let tone = try TestFiles.tone(.wav16, seconds: 2)
        let asset = try await ada.createAsset(Wire.CreateAsset(uploadID: try await ada.uploadFile(path: tone, journal: nil),
                                                               kind: .loop, title: "Before the disk filled"))

        let bytes = [UInt8](repeating: 0x33, count: 256 * 1024)
        let upload = try await ada.createUpload(length: Int64(bytes.count), filename: "late.wav")

        // Fill the disk to the last byte.
        let filler = "\(mountPoint)/filler"
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let block = [UInt8](repeating: 0x55, count: 64 * 1024)
        var written = 0
        while true {
            let count = block.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            written += count
        }
        close(fd)
        #expect(written > 0)

        // An upload's bytes (a file write) and a new upload (a database commit): 507 problems.
        let patched = try await raw.send(.PATCH, "/v1/uploads/\(upload)", token: token, headers: [
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
        ], body: bytes)
        expectProblem(patched, 507, "insufficient-storage")
        let created = try await raw.send(.POST, "/v1/uploads", token: token, headers: ["Tus-Resumable": "1.0.0", "Upload-Length": "10"])
        expectProblem(created, 507, "insufficient-storage")
        // A second server started on the full disk says the disk is full.
        let refusal = await #expect(throws: ServerSetupError.self) { _ = try await RunningServer.start(storage: "\(mountPoint)/second") }
        #expect(refusal?.description.contains("is full") == true, "\(refusal?.description ?? "")")
        // It created that folder, failed inside it, and left nothing behind.
        #expect(!FileManager.default.fileExists(atPath: "\(mountPoint)/second"))
        // The health check cannot write its probe file: 503, and the answer says why.
        #expect(await server.app.checkHealth() != nil)
        let health = try await raw.send(.GET, "/health")
        #expect(health.status == 503)
        // A preview that cannot be written stays pending (not failed) ...
        _ = await server.app.renderPendingPreviews()
        let waiting = try await ada.asset(asset.id)
        #expect(waiting.preview.status == "pending", "\(waiting.preview)")

        // ... and space back: health, previews and uploads all recover.
        try FileManager.default.removeItem(atPath: filler)
        #expect(await server.app.checkHealth() == nil)
        #expect(try await raw.send(.GET, "/health").status == 200)
        _ = await server.app.renderPendingPreviews()
        #expect(try await ada.asset(asset.id).preview.status == "ready")
        _ = try await ada.createAsset(Wire.CreateAsset(uploadID: try await ada.uploadFile(path: tone, journal: nil),
                                                       kind: .loop, title: "After"))
        // The refused PATCH kept nothing: the upload is cut back to where it was.
        let state = try #require(try await ada.uploadState(upload))
        #expect(state.offset == 0)
        await server.stop()
    }
}

@Suite("Ready and live are told apart")
struct ReadyLiveTests {
    @Test("/health/live stays 200 while the store refuses writes; /health and /health/ready answer 503, on the event loop and through the router")
    func readyAndLive() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        let (_, _, token) = try await server.party(.composer, "Ada")
        for token in [nil, token] as [String?] {
            #expect(try await raw.send(.GET, "/health/ready", token: token).status == 200)
            #expect(try await raw.send(.GET, "/health/live", token: token).status == 200)
        }
        // The data folder's temp folder replaced by a file: the check cannot write there.
        let temp = "\(server.storage)/tmp"
        try FileManager.default.removeItem(atPath: temp)
        #expect(FileManager.default.createFile(atPath: temp, contents: Data()))
        #expect(await server.app.checkHealth() != nil)
        for token in [nil, token] as [String?] {
            expectProblem(try await raw.send(.GET, "/health/ready", token: token), 503, "unavailable")
            expectProblem(try await raw.send(.GET, "/health", token: token), 503, "unavailable")
            let live = try await raw.send(.GET, "/health/live", token: token)
            #expect(live.status == 200 && live.json["status"] as? String == "live")
        }
        try FileManager.default.removeItem(atPath: temp)
        try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: true)
        #expect(await server.app.checkHealth() == nil)
        #expect(try await raw.send(.GET, "/health/ready").status == 200)
    }
}
