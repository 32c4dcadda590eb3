import Foundation
import SyncletClient
import SyncletCore
import SyncletServer
import Testing

@Suite("Catalog details a composer expects: stems in their track's tempo and key, checked preview windows, tags added and removed, composers by name, a track's stems and texts")
struct CatalogDetailsTests {
    @Test("a stem takes its track's tempo, key and tags unless given its own, and is found by the searches its track is")
    func stemsInheritMusicalFacts() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, _) = try await server.party(.composer, "Ada")
        let track = try await ada.createAsset(Wire.CreateAsset(
            uploadID: try await ada.uploadFile(path: try TestFiles.tone(.wav16, seconds: 3), journal: nil),
            kind: .track, title: "Night Drive", bpm: 92, key: "Am", tags: ["synthwave"]))
        let plain = try await ada.createAsset(Wire.CreateAsset(
            uploadID: try await ada.uploadFile(path: try TestFiles.tone(.flac16, seconds: 3), journal: nil),
            kind: .stem, title: "Drums", trackID: track.id))
        #expect(plain.bpm == 92)
        #expect(plain.key?.camelot == "8A")
        #expect(plain.tags == ["synthwave"])
        let own = try await ada.createAsset(Wire.CreateAsset(
            uploadID: try await ada.uploadFile(path: try TestFiles.tone(.wav16, seconds: 2), journal: nil),
            kind: .stem, title: "Half-time pad", trackID: track.id, bpm: 46, key: "C", tags: ["pad"]))
        #expect(own.bpm == 46)
        #expect(own.key?.camelot == "8B")
        #expect(own.tags == ["pad"])

        for id in [track.id, plain.id, own.id] { _ = try await ada.publish(id) }
        let tempo = try await ada.search(["kind": "stem", "bpm_min": "90", "bpm_max": "95"])
        #expect(tempo.items.map(\.id) == [plain.id])
        let harmonic = try await ada.search(["kind": "stem", "compatible_with": "9A"])
        #expect(harmonic.items.map(\.id) == [plain.id])  // 8A (the track's key) is next to 9A; the pad's 8B is not
        let tagged = try await ada.search(["q": "synthwave", "kind": "stem"])
        #expect(tagged.items.map(\.id) == [plain.id])
    }

    @Test("a preview window that starts after the end of the audio is refused at upload and at edit, and changes nothing")
    func previewStartChecked() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, _) = try await server.party(.composer, "Ada")
        var request = Wire.CreateAsset(uploadID: try await ada.uploadFile(path: try TestFiles.tone(.wav16, seconds: 3), journal: nil),
                                       kind: .loop, title: "Short")
        request.previewStartSeconds = 5
        let beforeCreate = try await server.snapshot()
        let refused = await #expect(throws: ClientError.self) { try await ada.createAsset(request) }
        #expect(refused?.status == 422)
        #expect(refused?.problem?.field == "preview_start_seconds")
        #expect(try await server.snapshot() == beforeCreate)  // no asset, no blob; the upload is kept for a better window
        request.previewStartSeconds = 1
        #expect(try await ada.createAsset(request).preview.startSeconds == 1)

        request.uploadID = try await ada.uploadFile(path: try TestFiles.tone(.wav16, seconds: 3), journal: nil)
        let loop = try await ada.createAsset(request)
        var edit = Wire.UpdateAsset()
        edit.previewStartSeconds = 30
        let beforeEdit = try await server.snapshot()
        let late = await #expect(throws: ClientError.self) { try await ada.updateAsset(loop.id, edit) }
        #expect(try await server.snapshot() == beforeEdit)
        #expect(late?.status == 422)
        #expect(late?.problem?.field == "preview_start_seconds")
        #expect(try await ada.asset(loop.id).preview.startSeconds == 1)
        // A loop shorter than the window says how long its preview really plays: 3 s - 1 s.
        #expect(try await ada.asset(loop.id).preview.durationSeconds == 2)
    }

    @Test("tags are added and removed one by one, kept in order, bounded; replacing and adding at once is refused")
    func tagsAddedAndRemoved() async throws {
        let server = try await RunningServer.start { $0.limits.tagCountMax = 3 }
        defer { Task { await server.stop() } }
        let (_, ada, _) = try await server.party(.composer, "Ada")
        let asset = try await ada.createAsset(Wire.CreateAsset(
            uploadID: try await ada.uploadFile(path: try TestFiles.tone(.wav16, seconds: 2), journal: nil),
            kind: .loop, title: "Loop", tags: ["dark", "synth"]))
        var add = Wire.UpdateAsset()
        add.addTags = ["Night", "dark"]
        #expect(try await ada.updateAsset(asset.id, add).tags == ["dark", "synth", "night"])
        var remove = Wire.UpdateAsset()
        remove.removeTags = ["synth", "absent"]
        #expect(try await ada.updateAsset(asset.id, remove).tags == ["dark", "night"])
        var tooMany = Wire.UpdateAsset()
        tooMany.addTags = ["a", "b"]
        let over = await #expect(throws: ClientError.self) { try await ada.updateAsset(asset.id, tooMany) }
        #expect(over?.status == 422)
        var both = Wire.UpdateAsset()
        both.tags = ["x"]
        both.addTags = ["y"]
        let mixed = await #expect(throws: ClientError.self) { try await ada.updateAsset(asset.id, both) }
        #expect(mixed?.status == 422)
        #expect(try await ada.asset(asset.id).tags == ["dark", "night"])
    }

    @Test("search by composer takes a name as well as an id; a name that is no composer finds nothing")
    func composerByName() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (ada, adaClient, _) = try await server.party(.composer, "Ada Lovelace")
        let (_, grace, _) = try await server.party(.composer, "Grace Hopper")
        let mine = try await adaClient.createAsset(Wire.CreateAsset(
            uploadID: try await adaClient.uploadFile(path: try TestFiles.tone(.wav16, seconds: 2), journal: nil), kind: .loop, title: "A"))
        let hers = try await grace.createAsset(Wire.CreateAsset(
            uploadID: try await grace.uploadFile(path: try TestFiles.tone(.wav16, seconds: 2), journal: nil), kind: .loop, title: "B"))
        _ = try await adaClient.publish(mine.id)
        _ = try await grace.publish(hers.id)
        #expect(try await grace.search(["composer": "ada lovelace"]).items.map(\.id) == [mine.id])
        #expect(try await grace.search(["composer": ada.id.rawValue]).items.map(\.id) == [mine.id])
        #expect(try await grace.search(["composer": "Nobody"]).items.isEmpty)
    }

    @Test("a track's own page lists its stems (drafts only for its owner) and its text files; lists do not carry them")
    func trackListsStemsAndTexts() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, _) = try await server.party(.composer, "Ada")
        let (_, grace, _) = try await server.party(.composer, "Grace")
        let (entries, _, _, _) = try PackTests.packEntries()
        let result = try await ada.createPack(Wire.CreatePack(uploadID: try await PackTests.uploadPack(ada, entries, format: .zip)))
        let shown = try await ada.asset(result.track.id)
        #expect(Set(shown.stems?.map(\.id) ?? []) == Set(result.stems.map(\.id)))
        #expect(shown.attachments == ["credits.txt"])
        _ = try await ada.publish(result.track.id)
        let drums = try #require(result.stems.first { $0.title == "Drums" })
        _ = try await ada.publish(drums.id)
        let seenByGrace = try await grace.asset(result.track.id)
        #expect(seenByGrace.stems?.map(\.id) == [drums.id])
        #expect(try await ada.asset(drums.id).stems == nil)
        #expect(try await ada.assets().items.allSatisfy { $0.stems == nil && $0.attachments == nil })
    }
}
