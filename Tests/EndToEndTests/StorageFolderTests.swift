import Foundation
import Glibc
import SyncletCore
import SyncletServer
import Testing

@Suite("A storage folder has one server")
struct StorageFolderTests {
    @Test("a second server on a folder in use refuses to start, names the pid that holds it, and touches nothing")
    func secondStartRefused() async throws {
        let storage = TestFiles.makeDirectory("locked")
        let first = try await RunningServer.start(storage: storage)
        let (_, ada, _) = try await first.party(.composer, "Ada")
        let asset = try await ada.createAsset(Wire.CreateAsset(
            uploadID: try await ada.uploadFile(path: try TestFiles.tone(.wav16, seconds: 1), journal: nil), kind: .loop, title: "Kept"))
        // A file the first server is writing (not yet referenced by a row) must survive too.
        let inFlight = "\(storage)/tmp/in-flight-by-the-first-server"
        #expect(FileManager.default.createFile(atPath: inFlight, contents: Data([1, 2, 3])))
        let filesBefore = TestFiles.listRecursively(storage).sorted()

        let refusal = await #expect(throws: ServerSetupError.self) { _ = try await RunningServer.start(storage: storage) }
        let message = refusal?.description ?? ""
        #expect(message.contains("already serving this storage folder"), "\(message)")
        #expect(message.contains("process \(getpid())"), "\(message)")
        #expect(message.contains("--storage"), "\(message)")
        #expect(TestFiles.listRecursively(storage).sorted() == filesBefore)
        #expect(try await ada.asset(asset.id).id == asset.id)

        // Once the first has stopped, the folder is free again.
        await first.stop()
        try FileManager.default.removeItem(atPath: inFlight)
        let second = try await RunningServer.start(storage: storage)
        defer { Task { await second.stop() } }
        #expect(try String(contentsOfFile: "\(storage)/synclet.lock", encoding: .utf8) == "\(getpid())\n")
    }
}
