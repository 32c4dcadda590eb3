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

@Suite("A missing, emptied or foreign database never deletes files")
struct DatabaseIdentityTests {
    /// A folder with a party, an asset and its files, the server stopped.
    static func folderWithAnAsset(_ name: String) async throws -> String {
        let storage = TestFiles.makeDirectory(name)
        let server = try await RunningServer.start(storage: storage)
        let (_, ada, _) = try await server.party(.composer, "Ada")
        _ = try await ada.createAsset(Wire.CreateAsset(
            uploadID: try await ada.uploadFile(path: try TestFiles.tone(.wav16, seconds: 1), journal: nil), kind: .loop, title: "Kept"))
        await server.stop()
        // Closed now (checkpointed, its -wal and -shm gone), not whenever the pool is freed:
        // the tests below move and copy the file.
        try server.services.database.close()
        return storage
    }

    static func storedFiles(_ storage: String) -> [String] {
        TestFiles.listRecursively(storage).filter { $0.hasPrefix("blobs/") || $0.hasPrefix("keys/") || $0 == "synclet.folder" }
    }

    @Test("a start with the database deleted, or emptied, is refused and removes nothing", arguments: ["deleted", "emptied"])
    func missingDatabase(how: String) async throws {
        let storage = try await Self.folderWithAnAsset("no-db-\(how)")
        let before = Self.storedFiles(storage)
        #expect(before.contains { $0.hasPrefix("blobs/") && $0.count > 10 })
        let manager = FileManager.default
        try? manager.removeItem(atPath: "\(storage)/synclet.sqlite-wal")
        try? manager.removeItem(atPath: "\(storage)/synclet.sqlite-shm")
        if how == "deleted" {
            try manager.removeItem(atPath: "\(storage)/synclet.sqlite")
        } else {
            #expect(manager.createFile(atPath: "\(storage)/synclet.sqlite", contents: Data()))
        }
        let refusal = await #expect(throws: ServerSetupError.self) { _ = try await RunningServer.start(storage: storage) }
        #expect(refusal?.description.contains("new or empty") == true, "\(refusal?.description ?? "")")
        #expect(refusal?.description.contains("no file was removed") == true)
        #expect(Self.storedFiles(storage) == before)
        #expect(!manager.fileExists(atPath: "\(storage)/orphans"))
    }

    @Test("another folder's database is refused, naming both ids; its own starts again")
    func foreignDatabase() async throws {
        let one = try await Self.folderWithAnAsset("db-one")
        let two = try await Self.folderWithAnAsset("db-two")
        let manager = FileManager.default
        // A database is its file and, until a checkpoint, its -wal (and -shm): move them together.
        func move(_ from: String, _ to: String, copy: Bool = false) throws {
            for suffix in ["", "-wal", "-shm"] where manager.fileExists(atPath: from + suffix) {
                try? manager.removeItem(atPath: to + suffix)
                if copy { try manager.copyItem(atPath: from + suffix, toPath: to + suffix) } else { try manager.moveItem(atPath: from + suffix, toPath: to + suffix) }
            }
        }
        try move("\(one)/synclet.sqlite", "\(one)/own.sqlite")
        try move("\(two)/synclet.sqlite", "\(one)/synclet.sqlite", copy: true)
        let before = Self.storedFiles(one)
        let refusal = await #expect(throws: ServerSetupError.self) { _ = try await RunningServer.start(storage: one) }
        #expect(refusal?.description.contains("belongs to another storage folder") == true, "\(refusal?.description ?? "")")
        #expect(Self.storedFiles(one) == before)
        for suffix in ["", "-wal", "-shm"] { try? manager.removeItem(atPath: "\(one)/synclet.sqlite\(suffix)") }
        try move("\(one)/own.sqlite", "\(one)/synclet.sqlite")
        let server = try await RunningServer.start(storage: one)
        await server.stop()
        #expect(!manager.fileExists(atPath: "\(one)/orphans"))
    }
}
