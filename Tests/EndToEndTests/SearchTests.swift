import Foundation
import GRDB
import SyncletClient
import SyncletCore
import SyncletServer
import Testing

/// A generated catalog, inserted straight into the database, and the same catalog as a
/// plain Swift model that every search is checked against.
struct GeneratedCatalog {
    struct Item {
        var id: AssetID
        var owner: PartyID
        var composer: String
        var kind: AssetKind
        var trackID: AssetID?
        var status: AssetStatus
        var title: String
        var bpm: Double?
        var camelot: String?
        var tags: [String]
        var moods: [String]
        var vocals: Bool
        var durationMilliseconds: Int64

        var words: [String] {
            ([title, composer] + tags + moods).flatMap {
                $0.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
            }
        }
    }

    var items: [Item] = []

    static let titleWords = ["velvet", "thunder", "harbour", "neon", "midnight", "copper", "glass", "river", "ember", "static",
                             "orbit", "lantern", "hollow", "summit", "drift"]
    static let tagWords = ["cinematic", "lofi", "synthwave", "trap", "ambient", "acoustic", "upbeat", "dark", "chill", "epic"]
    static let moodWords = ["happy", "tense", "calm", "sad", "bright"]
    static let camelots = (1...12).flatMap { ["\($0)A", "\($0)B"] }

    /// Makes `count` assets for the given composers with a seeded generator, and writes them.
    static func make(count: Int, composers: [(PartyID, String)], database: any DatabaseWriter) async throws -> GeneratedCatalog {
        var random = SplitMix(seed: 0x5EED)
        var catalog = GeneratedCatalog()
        for index in 0..<count {
            let (owner, name) = composers[Int(random.next() % UInt64(composers.count))]
            let roll = random.next() % 10
            var kind: AssetKind = roll < 5 ? .track : (roll < 8 ? .loop : .stem)
            let tracks = catalog.items.filter { $0.kind == .track && $0.owner == owner }
            if kind == .stem && tracks.isEmpty { kind = .loop }
            let statusRoll = random.next() % 20
            let status: AssetStatus = statusRoll < 17 ? .published : (statusRoll < 19 ? .draft : .withdrawn)
            let title = "\(titleWords[Int(random.next() % 15)].capitalized) \(titleWords[Int(random.next() % 15)].capitalized)"
            let item = Item(
                id: AssetID.make(millisecondsSince1970: 1_700_000_000_000 + Int64(index), random: &random),
                owner: owner, composer: name, kind: kind,
                trackID: kind == .stem ? tracks[Int(random.next() % UInt64(tracks.count))].id : nil,
                status: status, title: title,
                bpm: random.next() % 8 == 0 ? nil : Double(60 + random.next() % 121),
                camelot: random.next() % 8 == 0 ? nil : camelots[Int(random.next() % 24)],
                tags: (0..<Int(random.next() % 3)).map { _ in tagWords[Int(random.next() % 10)] },
                moods: [moodWords[Int(random.next() % 5)]],
                vocals: random.next() % 3 == 0,
                durationMilliseconds: Int64(5_000 + random.next() % 295_000))
            catalog.items.append(item)
        }
        let items = catalog.items
        try await database.write { db in
            for item in items {
                let key = item.camelot.flatMap { MusicalKey(parsing: $0)?.name }
                try db.execute(sql: """
                    INSERT INTO asset (id, owner_id, kind, track_id, status, title, bpm, musical_key, camelot, tags, moods,
                        vocals, blob_sha256, byte_count, container, encoding, sample_rate, channels, frames, duration_ms,
                        created_at, updated_at, preview_status)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1000, 'wav', 'pcm_16', 44100, 2, 44100, ?, 0, 0, 'none')
                    """, arguments: [item.id, item.owner, item.kind.rawValue, item.trackID, item.status.rawValue, item.title,
                                     item.bpm, key, item.camelot, Self.json(item.tags), Self.json(item.moods), item.vocals,
                                     String(repeating: "a", count: 64), item.durationMilliseconds])
            }
        }
        return catalog
    }

    static func json(_ list: [String]) -> String {
        String(decoding: try! JSONEncoder().encode(list), as: UTF8.self)
    }

    var published: [Item] { items.filter { $0.status == .published } }
}

/// A small seeded generator so a failing catalog can be reproduced.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("Search finds what musicians ask for, in a stable order, page after page")
struct SearchTests {
    /// Pages through a whole result with a small page size, checking each id appears once.
    static func all(_ client: SyncletClient, _ parameters: [String: String], pageSize: Int = 7) async throws -> [AssetID] {
        var ids = [AssetID]()
        var cursor: String? = nil
        repeat {
            let page = try await client.search(parameters, cursor: cursor, limit: pageSize)
            ids += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(Set(ids).count == ids.count, "a page repeated an asset for \(parameters)")
        return ids
    }

    @Test("each filter, harmonic neighbours and every sort agree with the model, paged without duplicates or gaps")
    func filtersAgreeWithModel() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        var composers = [(PartyID, String)]()
        for name in ["Ada Lovelace", "Bob Moog", "Clara Rockmore"] {
            composers.append((try await server.admin.createParty(kind: .composer, displayName: name).id, name))
        }
        let (_, searcher, _) = try await server.party(.licensee, "Lia")
        let catalog = try await GeneratedCatalog.make(count: 400, composers: composers, database: server.services.database)
        let published = catalog.published
        let newest: ([GeneratedCatalog.Item]) -> [AssetID] = { $0.map(\.id).sorted(by: >) }

        #expect(try await Self.all(searcher, [:]) == newest(published))
        #expect(try await Self.all(searcher, ["kind": "loop"]) == newest(published.filter { $0.kind == .loop }))
        #expect(try await Self.all(searcher, ["bpm_min": "90", "bpm_max": "110"])
                == newest(published.filter { ($0.bpm ?? -1) >= 90 && ($0.bpm ?? 999) <= 110 }))
        #expect(try await Self.all(searcher, ["key": "Am"]) == newest(published.filter { $0.camelot == "8A" }))
        let neighbours: Set<String> = ["8A", "9A", "7A", "8B"]
        #expect(try await Self.all(searcher, ["compatible_with": "8A"])
                == newest(published.filter { $0.camelot.map(neighbours.contains) ?? false }))
        #expect(try await Self.all(searcher, ["compatible_with": "1B"])
                == newest(published.filter { ["1B", "2B", "12B", "1A"].contains($0.camelot ?? "") }))
        #expect(try await Self.all(searcher, ["vocals": "true"]) == newest(published.filter(\.vocals)))
        #expect(try await Self.all(searcher, ["composer": composers[1].0.rawValue])
                == newest(published.filter { $0.owner == composers[1].0 }))
        let stemmed = Set(published.filter { $0.kind == .stem }.compactMap(\.trackID))
        #expect(try await Self.all(searcher, ["has_stems": "true"]) == newest(published.filter { stemmed.contains($0.id) }))

        let byDuration = published.filter { $0.durationMilliseconds >= 30_000 && $0.durationMilliseconds <= 120_000 }
            .sorted { ($0.durationMilliseconds, $0.id) < ($1.durationMilliseconds, $1.id) }.map(\.id)
        #expect(try await Self.all(searcher, ["duration_min": "30", "duration_max": "120", "sort": "duration"]) == byDuration)

        // Text: every word of the query must prefix some word of the asset.
        for query in ["velv", "neon mid", "cinematic", "rockm", "calm dark"] {
            let terms = query.split(separator: " ").map(String.init)
            let expected = Set(published.filter { item in terms.allSatisfy { term in item.words.contains { $0.hasPrefix(term) } } }.map(\.id))
            let found = try await Self.all(searcher, ["q": query])
            #expect(Set(found) == expected, "q=\(query)")
            #expect(found.count == expected.count)
            // The same result through the newest order and a different page size.
            #expect(Set(try await Self.all(searcher, ["q": query, "sort": "newest"], pageSize: 50)) == expected)
        }
        // Filters combine with text.
        let combined = published.filter { item in
            item.kind == .track && (item.bpm ?? 0) >= 100 && item.words.contains { $0.hasPrefix("thunder") }
        }
        #expect(Set(try await Self.all(searcher, ["q": "thunder", "kind": "track", "bpm_min": "100"])) == Set(combined.map(\.id)))
        #expect(try await Self.all(searcher, ["q": "thunder", "kind": "track", "bpm_min": "100", "sort": "newest"]) == newest(combined))
    }

    @Test("ranking puts a title match above a tag-only match")
    func titleOutranksTag() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, _) = try await server.party(.composer, "Ada")
        let path = try TestFiles.tone(.wav16, seconds: 1)
        let tagged = try await ada.createAsset(Wire.CreateAsset(uploadID: try await ada.uploadFile(path: path, journal: nil),
                                                                kind: .loop, title: "Quiet Morning", tags: ["velvet"]))
        let titled = try await ada.createAsset(Wire.CreateAsset(uploadID: try await ada.uploadFile(path: path, journal: nil),
                                                                kind: .loop, title: "Velvet Thunder"))
        _ = try await ada.publish(tagged.id)
        _ = try await ada.publish(titled.id)
        #expect(try await ada.search(["q": "velvet"]).items.map(\.id) == [titled.id, tagged.id])
    }

    @Test("search parameters out of range are 400 and name the parameter", arguments: [
        ("bpm_min=-5", "bpm_min"), ("bpm_max=999", "bpm_max"), ("bpm_min=120&bpm_max=90", "bpm_min"),
        ("key=H", "key"), ("compatible_with=13A", "compatible_with"), ("limit=501", "limit"), ("limit=0", "limit"),
        ("kind=symphony", "kind"), ("sort=random", "sort"), ("vocals=maybe", "vocals"), ("duration_min=-1", "duration_min"),
        ("composer=" + String(repeating: "a", count: 201), "composer"), ("cursor=not-a-cursor", "cursor"), ("q=%21%21%21", "q"), ("status=draft", "status"),
        ("sort=relevance", "sort"),
        // Odd Unicode (upper case longer than the text, ligatures, combining marks) and integers past Int64.
        ("key=%C3%9F", "key"), ("key=%C5%89", "key"), ("compatible_with=%EF%AC%80", "compatible_with"),
        ("key=A%CC%81", "key"), ("key=%CC%81", "key"), ("bpm_min=99999999999999999999", "bpm_min"),
        ("limit=-9223372036854775808", "limit"), ("limit=9223372036854775808", "limit"),
    ])
    func badParameters(query: String, field: String) async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, _, token) = try await server.party(.licensee, "Lia")
        let reply = try await RawHTTP(base: server.baseURL).send(.GET, "/v1/assets?\(query)", token: token)
        expectProblem(reply, 400, "bad-request")
        #expect(reply.json["field"] as? String == field)
    }

    @Test("a cursor from one sort order or with a changed byte is refused")
    func tamperedCursor() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, token) = try await server.party(.composer, "Ada")
        let path = try TestFiles.tone(.wav16, seconds: 1)
        for index in 0..<3 {
            let asset = try await ada.createAsset(Wire.CreateAsset(uploadID: try await ada.uploadFile(path: path, journal: nil),
                                                                   kind: .loop, title: "Loop \(index)"))
            _ = try await ada.publish(asset.id)
        }
        let cursor = try #require(try await ada.search([:], limit: 1).nextCursor)
        let raw = RawHTTP(base: server.baseURL)
        expectProblem(try await raw.send(.GET, "/v1/assets?sort=duration&cursor=\(cursor)", token: token), 400, "bad-request")
        var bytes = Array(cursor.utf8)
        bytes[bytes.count / 2] = bytes[bytes.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        expectProblem(try await raw.send(.GET, "/v1/assets?cursor=\(String(decoding: bytes, as: UTF8.self))", token: token), 400, "bad-request")
        expectProblem(try await raw.send(.GET, "/v1/assets"), 401, "unauthorized")
    }
}
