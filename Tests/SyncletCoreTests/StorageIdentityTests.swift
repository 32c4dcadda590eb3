import SyncletCore
import Testing

@Suite("A storage folder and its database must belong together")
struct StorageIdentityTests {
    func decide(_ folder: String?, _ database: String?, files: Bool, data: Bool) -> StorageIdentity.Decision {
        StorageIdentity.decide(folderID: folder, databaseID: database, folderHoldsFiles: files, databaseHoldsData: data,
                               folder: "/srv/synclet", newID: "fld_new")
    }

    @Test("a fresh folder, and a folder from before ids, get a new id in both places")
    func freshAndLegacy() {
        #expect(decide(nil, nil, files: false, data: false) == .adopt(id: "fld_new", writeFile: true))
        #expect(decide(nil, nil, files: true, data: true) == .adopt(id: "fld_new", writeFile: true))
        #expect(decide(nil, nil, files: false, data: true) == .adopt(id: "fld_new", writeFile: true))
    }

    @Test("matching ids serve; a first start cut short after writing the file adopts it")
    func matchingAndInterrupted() {
        #expect(decide("fld_a", "fld_a", files: true, data: true) == .matches)
        #expect(decide("fld_a", nil, files: false, data: false) == .adopt(id: "fld_a", writeFile: false))
        // An upgrade's first start that wrote the file and died before the database row.
        #expect(decide("fld_a", nil, files: true, data: true) == .adopt(id: "fld_a", writeFile: false))
    }

    @Test("a new or emptied database in a folder with files, another folder's database, or a lost id file: refused, saying how to recover")
    func refusals() {
        guard case .refuse(let deleted) = decide("fld_a", nil, files: true, data: false) else { Issue.record("not refused"); return }
        #expect(deleted.contains("new or empty") && deleted.contains("no file was removed") && deleted.contains("backup"))
        guard case .refuse(let legacyDeleted) = decide(nil, nil, files: true, data: false) else { Issue.record("not refused"); return }
        #expect(legacyDeleted.contains("new or empty") && legacyDeleted.contains("no file was removed"))
        guard case .refuse(let other) = decide("fld_a", "fld_b", files: true, data: true) else { Issue.record("not refused"); return }
        #expect(other.contains("another storage folder") && other.contains("fld_a") && other.contains("fld_b"))
        guard case .refuse(let lostFile) = decide(nil, "fld_b", files: true, data: true) else { Issue.record("not refused"); return }
        #expect(lostFile.contains("synclet.folder") && lostFile.contains("fld_b"))
    }
}
