@testable import Catalog
import GRDB
import SyncletCore
import Testing

// MARK: Fixture

/// A catalog on a fresh in-memory database with the schema migrated.
private func makeStore() throws -> CatalogStore {
    let queue = try DatabaseQueue()
    var migrator = DatabaseMigrator()
    CatalogSchema.register(in: &migrator)
    try migrator.migrate(queue)
    return CatalogStore(writer: queue)
}

private let now = Timestamp(millisecondsSince1970: 1_795_303_901_123)

private func newID<Kind: IdentifierKind>(at time: Timestamp = now) -> Identifier<Kind> {
    var random = SystemRandomNumberGenerator()
    return Identifier<Kind>.make(millisecondsSince1970: time.millisecondsSince1970, random: &random)
}

/// Runs `body` and returns what it threw, or `nil`.
private func thrownError(_ body: () async throws -> Void) async -> (any Error)? {
    do {
        try await body()
        return nil
    } catch {
        return error
    }
}

/// Runs `body` and returns the `Problem` it threw, or `nil` if it threw nothing or something else.
private func thrownProblem(_ body: () async throws -> Void) async -> Problem? {
    await thrownError(body) as? Problem
}

private let blobHash = String(repeating: "ab", count: 32)

private func audio(byteCount: Int64 = 352_844, filename: String? = "tone.wav") -> CatalogStore.StoredAudio {
    CatalogStore.StoredAudio(blobSHA256: blobHash, byteCount: byteCount, filename: filename, container: "wav",
                             encoding: "pcm_16", sampleRate: 44_100, bitDepth: 16, channels: 2, frames: 88_200,
                             durationMilliseconds: 2_000)
}

private func makeUpload(_ store: CatalogStore, owner: PartyID, openMax: Int = 64) async throws -> UploadID {
    let id: UploadID = newID()
    try await store.createUpload(
        UploadRecord(id: id, ownerID: owner, length: 352_844, filename: "tone.wav", metadata: "filename dG9uZS53YXY=",
                     createdAt: now, expiresAt: now.adding(seconds: 86_400)),
        openMax: openMax)
    return id
}

private func metadata(_ kind: AssetKind, title: String = "Night Drive", track: AssetID? = nil,
                      key: String? = nil, tags: [String]? = nil, splits: [SplitShare]? = nil) throws -> AssetMetadata {
    try AssetMetadata(
        validating: Wire.CreateAsset(uploadID: newID(), kind: kind, title: title, trackID: track, key: key, tags: tags,
                                     splits: splits),
        limits: Limits())
}

/// Uploads and creates an asset for `owner`, returning the stored record.
private func createAsset(_ store: CatalogStore, owner: PartyID, _ metadata: AssetMetadata) async throws -> AssetRecord {
    let upload = try await makeUpload(store, owner: owner)
    return try await store.createAsset(CatalogStore.NewAsset(id: newID(), ownerID: owner, metadata: metadata, audio: audio(byteCount: 352_844, filename: "tone.wav"), now: now), consuming: upload, requestSHA256: String(repeating: "0", count: 64))
}

// MARK: Parties and keys

@Suite("CatalogStore: parties and API keys")
struct CatalogPartyAndKeyTests {
    @Test("created parties can be read back and counted")
    func createParties() async throws {
        let store = try makeStore()
        #expect(try await store.partyCount() == 0)
        let composer = try await store.createParty(kind: .composer, displayName: "Ada", now: now)
        let licensee = try await store.createParty(kind: .licensee, displayName: "Studio B", now: now)
        #expect(try await store.partyCount() == 2)
        #expect(try await store.party(composer.id) == composer)
        #expect(try await store.party(licensee.id)?.kind == .licensee)
        #expect(try await store.party(licensee.id)?.displayName == "Studio B")
        #expect(try await store.party(newID()) == nil)
    }

    @Test("parties are listed in id order after the cursor")
    func partyPages() async throws {
        let store = try makeStore()
        var ids = [PartyID]()
        for index in 0..<5 {
            let party = try await store.createParty(kind: .composer, displayName: "Composer \(index)", now: now)
            ids.append(party.id)
        }
        ids.sort()
        let first = try await store.parties(after: nil, limit: 2)
        #expect(first.map(\.id) == Array(ids[0..<2]))
        let second = try await store.parties(after: first.last?.id, limit: 2)
        #expect(second.map(\.id) == Array(ids[2..<4]))
        let last = try await store.parties(after: second.last?.id, limit: 2)
        #expect(last.map(\.id) == [ids[4]])
    }

    @Test("an inserted API key is found by its lookup, with its party")
    func insertAndFindKey() async throws {
        let store = try makeStore()
        let party = try await store.createParty(kind: .composer, displayName: "Ada", now: now)
        let token = APIKeyToken(lookupBytes: [1, 2, 3, 4, 5, 6, 7, 8], secretBytes: [UInt8](repeating: 9, count: 32))
        let key = APIKeyRecord(id: newID(), partyID: party.id, lookup: token.lookup,
                               tokenSHA256: [UInt8](repeating: 0xA5, count: 32), hint: "syn_20g30g…",
                               label: "laptop", createdAt: now)
        try await store.insertKey(key)

        let found = try #require(try await store.keyAndParty(lookup: token.lookup))
        #expect(found.0 == key)
        #expect(found.0.tokenSHA256 == [UInt8](repeating: 0xA5, count: 32))
        #expect(found.0.revokedAt == nil)
        #expect(found.1 == party)
        #expect(try await store.keyAndParty(lookup: "zzzzzzzzzzzz") == nil)
        #expect(try await store.keys(of: party.id) == [key])
        #expect(try await store.key(key.id) == key)
    }

    @Test("two keys cannot share a lookup")
    func lookupIsUnique() async throws {
        let store = try makeStore()
        let party = try await store.createParty(kind: .composer, displayName: "Ada", now: now)
        let first = APIKeyRecord(id: newID(), partyID: party.id, lookup: "abcdefghjkmn",
                                 tokenSHA256: [UInt8](repeating: 1, count: 32), hint: "h", label: "one", createdAt: now)
        var copy = first
        copy.id = newID()
        let second = copy
        try await store.insertKey(first)
        let error = await thrownError { try await store.insertKey(second) }
        #expect((error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT)
    }

    @Test("revoking a key sets revokedAt once; revoking again keeps the first time")
    func revokeTwice() async throws {
        let store = try makeStore()
        let party = try await store.createParty(kind: .composer, displayName: "Ada", now: now)
        let key = APIKeyRecord(id: newID(), partyID: party.id, lookup: "0123456789ab",
                               tokenSHA256: [UInt8](repeating: 7, count: 32), hint: "h", label: "ci", createdAt: now)
        try await store.insertKey(key)

        let firstTime = now.adding(seconds: 60)
        let secondTime = now.adding(seconds: 120)
        let revoked = try await store.revokeKey(key.id, at: firstTime)
        #expect(revoked?.revokedAt == firstTime)
        let again = try await store.revokeKey(key.id, at: secondTime)
        #expect(again?.revokedAt == firstTime)
        #expect(try await store.key(key.id)?.revokedAt == firstTime)
        #expect(try await store.keyAndParty(lookup: "0123456789ab")?.0.revokedAt == firstTime)
    }

    @Test("revoking an unknown key returns nil")
    func revokeUnknown() async throws {
        let store = try makeStore()
        #expect(try await store.revokeKey(newID(), at: now) == nil)
    }

    @Test("an issued key is stored by lookup and its token is returned once")
    func issueKey() async throws {
        let store = try makeStore()
        let party = try await store.createParty(kind: .composer, displayName: "Ada", now: now)
        let (record, token) = try await store.issueKey(for: party.id, label: "laptop", now: now)
        let parsed = try #require(APIKeyToken(presented: token))
        #expect(parsed.lookup == record.lookup)
        #expect(record.tokenSHA256.count == 32)
        #expect(record.label == "laptop")
        #expect(record.partyID == party.id)
        #expect(!record.hint.contains(String(token.suffix(52))))
        #expect(try await store.keyAndParty(lookup: record.lookup)?.0 == record)
    }

    @Test("bootstrap creates the operator and a key on an empty catalog only")
    func bootstrapOnce() async throws {
        let store = try makeStore()
        let first = try #require(try await store.bootstrapIfEmpty(now: now))
        #expect(first.0.kind == .admin)
        #expect(APIKeyToken(presented: first.1) != nil)
        #expect(try await store.partyCount() == 1)
        #expect(try await store.bootstrapIfEmpty(now: now) == nil)
        #expect(try await store.partyCount() == 1)
        #expect(try await store.keys(of: first.0.id).count == 1)
    }
}

// MARK: Uploads

@Suite("CatalogStore: uploads")
struct CatalogUploadTests {
    @Test("an owner may hold at most openMax unfinished uploads")
    func openUploadLimit() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let other = try await store.createParty(kind: .composer, displayName: "Grace", now: now).id
        let first = try await makeUpload(store, owner: owner, openMax: 2)
        _ = try await makeUpload(store, owner: owner, openMax: 2)

        let refusal = await thrownProblem { _ = try await makeUpload(store, owner: owner, openMax: 2) }
        #expect(refusal?.type == "too-many-uploads")
        #expect(refusal?.status == 409)
        #expect(try await store.allUploadIDs().count == 2)

        // Another owner's count is separate.
        _ = try await makeUpload(store, owner: other, openMax: 2)
        // Deleting one makes room again.
        try await store.deleteUpload(first)
        #expect(try await store.upload(first) == nil)
        _ = try await makeUpload(store, owner: owner, openMax: 2)
        #expect(try await store.allUploadIDs().count == 3)
    }

    @Test("uploads expire by their expiry time and touching moves it")
    func expiry() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let upload = try await makeUpload(store, owner: owner)
        #expect(try await store.upload(upload)?.expiresAt == now.adding(seconds: 86_400))
        #expect(try await store.expiredUploads(at: now.adding(seconds: 86_399)).isEmpty)
        #expect(try await store.expiredUploads(at: now.adding(seconds: 86_401)).map(\.id) == [upload])
        try await store.touchUpload(upload, expiresAt: now.adding(seconds: 200_000))
        #expect(try await store.expiredUploads(at: now.adding(seconds: 86_401)).isEmpty)
        #expect(try await store.upload(upload)?.expiresAt == now.adding(seconds: 200_000))
    }
}

// MARK: Assets

@Suite("CatalogStore: assets and splits")
struct CatalogAssetTests {
    @Test("a track without splits belongs wholly to its owner, and its row reads back as stored")
    func trackDefaultsToOwner() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let track = try await createAsset(store, owner: owner, try metadata(.track, key: "8A", tags: ["Ambient", "dark"]))

        #expect(track.kind == .track)
        #expect(track.status == .draft)
        #expect(track.ownerID == owner)
        #expect(track.trackID == nil)
        #expect(track.musicalKey == "A minor")
        #expect(track.camelot == "8A")
        #expect(track.tags == ["ambient", "dark"])
        #expect(track.durationMilliseconds == 2_000)
        #expect(try await store.asset(track.id) == track)

        let splits = try await store.effectiveSplits(of: track)
        #expect(splits.shares == [SplitShare(partyID: owner, basisPoints: 10_000)])
        #expect(splits.inherited == false)
        #expect(try await store.blobIsReferenced(blobHash))
        #expect(try await store.blobIsReferenced(String(repeating: "0", count: 64)) == false)
    }

    @Test("a track keeps its own splits, ordered by party id")
    func trackWithSplits() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let cowriter = try await store.createParty(kind: .composer, displayName: "Grace", now: now).id
        let shares = [SplitShare(partyID: owner, basisPoints: 6_000), SplitShare(partyID: cowriter, basisPoints: 4_000)]
        let track = try await createAsset(store, owner: owner, try metadata(.track, splits: shares))
        let splits = try await store.effectiveSplits(of: track)
        #expect(splits.shares == shares.sorted { $0.partyID < $1.partyID })
        #expect(splits.inherited == false)
    }

    @Test("a stem without splits inherits its track's")
    func stemInheritsSplits() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let cowriter = try await store.createParty(kind: .composer, displayName: "Grace", now: now).id
        let shares = [SplitShare(partyID: owner, basisPoints: 7_500), SplitShare(partyID: cowriter, basisPoints: 2_500)]
        let track = try await createAsset(store, owner: owner, try metadata(.track, splits: shares))
        let stem = try await createAsset(store, owner: owner, try metadata(.stem, title: "Bass", track: track.id))

        #expect(stem.kind == .stem)
        #expect(stem.trackID == track.id)
        let splits = try await store.effectiveSplits(of: stem)
        #expect(splits.shares == shares.sorted { $0.partyID < $1.partyID })
        #expect(splits.inherited == true)
    }

    @Test("a stem of a default-split track inherits the owner's whole share")
    func stemInheritsDefault() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let track = try await createAsset(store, owner: owner, try metadata(.track))
        let stem = try await createAsset(store, owner: owner, try metadata(.stem, title: "Drums", track: track.id))
        let splits = try await store.effectiveSplits(of: stem)
        #expect(splits.shares == [SplitShare(partyID: owner, basisPoints: 10_000)])
        #expect(splits.inherited == true)
    }

    @Test("a stem with its own splits does not inherit")
    func stemWithOwnSplits() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let cowriter = try await store.createParty(kind: .composer, displayName: "Grace", now: now).id
        let track = try await createAsset(store, owner: owner, try metadata(.track))
        let stem = try await createAsset(store, owner: owner, try metadata(
            .stem, title: "Vocals", track: track.id,
            splits: [SplitShare(partyID: cowriter, basisPoints: 10_000)]))
        let splits = try await store.effectiveSplits(of: stem)
        #expect(splits.shares == [SplitShare(partyID: cowriter, basisPoints: 10_000)])
        #expect(splits.inherited == false)
    }

    @Test("creating an asset consumes its upload")
    func createAssetConsumesUpload() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let upload = try await makeUpload(store, owner: owner)
        #expect(try await store.upload(upload) != nil)
        let asset = try await store.createAsset(CatalogStore.NewAsset(id: newID(), ownerID: owner, metadata: try metadata(.loop), audio: audio(byteCount: 352_844, filename: "loop.wav"), now: now), consuming: upload, requestSHA256: String(repeating: "0", count: 64))
        #expect(try await store.upload(upload) == nil)
        #expect(try await store.asset(asset.id)?.kind == .loop)
        #expect(try await store.assets(owner: owner, after: nil, limit: 10).map(\.id) == [asset.id])
    }

    @Test("a stem pointing at another composer's track is refused on track_id, and nothing is written")
    func stemOfAnotherComposersTrack() async throws {
        let store = try makeStore()
        let ada = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let grace = try await store.createParty(kind: .composer, displayName: "Grace", now: now).id
        let adasTrack = try await createAsset(store, owner: ada, try metadata(.track))
        let stem = try metadata(.stem, title: "Bass", track: adasTrack.id)

        let refusal = await thrownProblem { try await store.checkReferences(of: stem, owner: grace) }
        #expect(refusal?.status == 422)
        #expect(refusal?.type == "validation")
        #expect(refusal?.extensions["field"] == "track_id")

        // Through createAsset too: refused in the transaction, so the upload survives.
        let upload = try await makeUpload(store, owner: grace)
        let stemID: AssetID = newID()
        let createRefusal = await thrownProblem {
            _ = try await store.createAsset(CatalogStore.NewAsset(id: stemID, ownerID: grace, metadata: stem, audio: audio(byteCount: 1, filename: nil), now: now), consuming: upload, requestSHA256: String(repeating: "0", count: 64))
        }
        #expect(createRefusal?.extensions["field"] == "track_id")
        #expect(try await store.upload(upload) != nil)
        #expect(try await store.asset(stemID) == nil)

        // The owner may.
        try await store.checkReferences(of: stem, owner: ada)
    }

    @Test("a stem pointing at a track that does not exist is refused on track_id")
    func stemOfMissingTrack() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let refusal = await thrownProblem {
            try await store.checkReferences(of: try metadata(.stem, track: newID()), owner: owner)
        }
        #expect(refusal?.status == 422)
        #expect(refusal?.extensions["field"] == "track_id")
    }

    @Test("a stem pointing at a stem is refused on track_id")
    func stemOfStem() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let track = try await createAsset(store, owner: owner, try metadata(.track))
        let stem = try await createAsset(store, owner: owner, try metadata(.stem, track: track.id))
        let refusal = await thrownProblem {
            try await store.checkReferences(of: try metadata(.stem, track: stem.id), owner: owner)
        }
        #expect(refusal?.status == 422)
        #expect(refusal?.extensions["field"] == "track_id")
    }

    @Test("splits naming a party that does not exist are refused on splits")
    func splitsWithUnknownParty() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let stranger: PartyID = newID()
        let refusal = await thrownProblem {
            try await store.checkReferences(
                of: try metadata(.track, splits: [SplitShare(partyID: owner, basisPoints: 5_000),
                                                  SplitShare(partyID: stranger, basisPoints: 5_000)]),
                owner: owner)
        }
        #expect(refusal?.status == 422)
        #expect(refusal?.type == "validation")
        #expect(refusal?.extensions["field"] == "splits")
    }

    @Test("splits naming a licensee are refused on splits: only composers hold shares")
    func splitsWithLicensee() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let licensee = try await store.createParty(kind: .licensee, displayName: "Studio B", now: now).id
        let refusal = await thrownProblem {
            try await store.checkReferences(
                of: try metadata(.track, splits: [SplitShare(partyID: owner, basisPoints: 5_000),
                                                  SplitShare(partyID: licensee, basisPoints: 5_000)]),
                owner: owner)
        }
        #expect(refusal?.status == 422)
        #expect(refusal?.extensions["field"] == "splits")
    }

    @Test("an id that cannot hold a share gets the same answer whatever it is: unknown, licensee, reporter or operator")
    func splitRefusalsRevealNothing() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        var others: [PartyID] = [newID()]
        for kind in [PartyKind.licensee, .reporter, .admin] {
            others.append(try await store.createParty(kind: kind, displayName: "Other", now: now).id)
        }
        var details = Set<String>()
        for other in others {
            let refusal = await thrownProblem {
                try await store.checkReferences(
                    of: try metadata(.track, splits: [SplitShare(partyID: owner, basisPoints: 5_000),
                                                      SplitShare(partyID: other, basisPoints: 5_000)]),
                    owner: owner)
            }
            #expect(refusal?.status == 422)
            details.insert((refusal?.detail ?? "").replacingOccurrences(of: other.rawValue, with: "ID"))
        }
        #expect(details.count == 1, "\(details)")
    }
}

// MARK: Schema

@Suite("CatalogSchema")
struct CatalogSchemaTests {
    private func insertAsset(_ store: CatalogStore, id: AssetID, owner: PartyID, kind: String, track: AssetID?) async throws {
        let idText = id.rawValue
        let ownerText = owner.rawValue
        let trackText = track?.rawValue
        try await store.writer.write { db in
            try db.execute(sql: """
                INSERT INTO asset (id, owner_id, kind, track_id, title, blob_sha256, byte_count, container, encoding,
                                   sample_rate, channels, frames, duration_ms, created_at, updated_at)
                VALUES (?, ?, ?, ?, 'Raw', ?, 1, 'wav', 'pcm_16', 44100, 2, 1, 0, 0, 0)
                """, arguments: [idText, ownerText, kind, trackText, String(repeating: "c", count: 64)])
        }
    }

    @Test("the schema refuses a stem without track_id inserted directly")
    func stemWithoutTrackIsRefused() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        // The same row as a track is fine, so the refusal below is the stem rule and not another column.
        try await insertAsset(store, id: newID(), owner: owner, kind: "track", track: nil)

        let error = await thrownError { try await insertAsset(store, id: newID(), owner: owner, kind: "stem", track: nil) }
        let databaseError = try #require(error as? DatabaseError)
        #expect(databaseError.resultCode == .SQLITE_CONSTRAINT)
        #expect(databaseError.extendedResultCode == .SQLITE_CONSTRAINT_CHECK)
    }

    @Test("the schema refuses a track that names a track_id")
    func trackWithTrackIsRefused() async throws {
        let store = try makeStore()
        let owner = try await store.createParty(kind: .composer, displayName: "Ada", now: now).id
        let track: AssetID = newID()
        try await insertAsset(store, id: track, owner: owner, kind: "track", track: nil)
        try await insertAsset(store, id: newID(), owner: owner, kind: "stem", track: track)

        let error = await thrownError { try await insertAsset(store, id: newID(), owner: owner, kind: "track", track: track) }
        #expect((error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK)
    }

    @Test("the schema refuses ids with the wrong prefix")
    func wrongPrefixIsRefused() async throws {
        let store = try makeStore()
        let error = await thrownError {
            try await store.writer.write { db in
                try db.execute(sql: "INSERT INTO party (id, kind, display_name, created_at) VALUES ('ast_x', 'composer', 'A', 0)")
            }
        }
        #expect((error as? DatabaseError)?.resultCode == .SQLITE_CONSTRAINT)
    }
}

@Suite("List columns")
struct ListColumnTests {
    @Test("plain lists are read in one pass, exactly as the parser reads them; anything else goes to the parser")
    func plainLists() throws {
        for text in [#"["a","b"]"#, #"["night drive"]"#, #"["é","😀"]"#, "[]", #"[""]"#, #"["a\"b"]"#, #"["a","b",]"#, #"["a" ,"b"]"#,
                     #"[1,2]"#, #"["a"]x"#, "", "[", #"["\n"]"#, #"["a","b""]"#] {
            let parsed: [String]? = (try? JSONParser.parse(text.utf8)).flatMap {
                if case .array(let items) = $0 { items.compactMap { if case .string(let s) = $0 { s } else { nil } } } else { nil }
            }
            if let plain = AssetRecord.plainList(text) {
                #expect(plain == parsed, "\(text)")
            }
            #expect(AssetRecord.list(text) == (text == "[]" ? [] : parsed ?? []), "\(text)")
        }
    }
}
