import AsyncHTTPClient
import Audio
import Foundation
import GRDB
import NIOCore
import SyncletClient
import SyncletCore
import SyncletServer
import Testing

/// Every bad input named by the foundation issue: a problem+json answer and no change.
@Suite("Bad input is answered with a problem and changes nothing")
struct BadInputTests {
    /// A server with two composers (Ada, Bob), a track of Bob's, and raw HTTP access.
    struct Fixture {
        let server: RunningServer
        let raw: RawHTTP
        let ada: Wire.Party
        let adaClient: SyncletClient
        let adaToken: String
        let bob: Wire.Party
        let bobClient: SyncletClient
        let bobToken: String
        let bobTrack: Wire.Asset

        static func make(configure: (inout ServerSettings) -> Void = { _ in }) async throws -> Fixture {
            let server = try await RunningServer.start(configure: configure)
            let (ada, adaClient, adaToken) = try await server.party(.composer, "Ada")
            let (bob, bobClient, bobToken) = try await server.party(.composer, "Bob")
            let path = try TestFiles.tone(.wav16, seconds: 1)
            let track = try await bobClient.createAsset(Wire.CreateAsset(
                uploadID: try await bobClient.uploadFile(path: path, journal: nil), kind: .track, title: "Bob's"))
            return Fixture(server: server, raw: RawHTTP(base: server.baseURL), ada: ada, adaClient: adaClient,
                           adaToken: adaToken, bob: bob, bobClient: bobClient, bobToken: bobToken, bobTrack: track)
        }

        /// Uploads bytes completely as Ada and returns the upload id.
        func upload(_ bytes: [UInt8]) async throws -> UploadID {
            let id = try await adaClient.createUpload(length: Int64(bytes.count), filename: "x.wav")
            _ = try await adaClient.appendUpload(id, offset: 0, length: Int64(bytes.count), body: FixedChunks(bytes: bytes))
            return id
        }

        func createAsset(_ body: String) async throws -> RawHTTP.Reply {
            try await raw.json(.POST, "/v1/assets", token: adaToken, body)
        }
    }

    @Test("non-audio bytes named .wav are refused and nothing of them is kept")
    func nonAudioRefused() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let before = try await f.server.snapshot()
        let id = try await f.upload(Array("RIFF....this is not audio at all".utf8) + [UInt8](repeating: 0x41, count: 4000))
        let reply = try await f.createAsset(#"{"upload_id":"\#(id)","kind":"track","title":"Fake"}"#)
        expectProblem(reply, 422, "unreadable-audio")
        #expect(try await f.server.snapshot() == before)
    }

    @Test("truncated audio is refused and nothing of it is kept", arguments: [ToneWriter.Format.wav16, .flac16, .oggVorbis, .mp3])
    func truncatedRefused(format: ToneWriter.Format) async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let whole = Array(FileManager.default.contents(atPath: try TestFiles.tone(format, seconds: 3))!)
        let before = try await f.server.snapshot()
        let id = try await f.upload(Array(whole.prefix(whole.count / 2)))
        let reply = try await f.createAsset(#"{"upload_id":"\#(id)","kind":"track","title":"Cut"}"#)
        expectProblem(reply, 422, "unreadable-audio")
        #expect(try await f.server.snapshot() == before)
    }

    @Test("a stated duration the file contradicts is refused")
    func durationMismatchRefused() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let before = try await f.server.snapshot()
        let id = try await f.upload(Array(FileManager.default.contents(atPath: try TestFiles.tone(.wav16, seconds: 2))!))
        let reply = try await f.createAsset(#"{"upload_id":"\#(id)","kind":"track","title":"T","duration_seconds":30}"#)
        expectProblem(reply, 422, "audio-mismatch")
        #expect(try await f.server.snapshot() == before)
    }

    @Test("an upload declared over the size limit is refused with 413")
    func declaredOversize() async throws {
        let f = try await Fixture.make { $0.limits.uploadByteCountMax = 300_000 }
        defer { Task { await f.server.stop() } }
        let before = try await f.server.snapshot()
        let reply = try await f.raw.send(.POST, "/v1/uploads", token: f.adaToken,
                                         headers: ["Tus-Resumable": "1.0.0", "Upload-Length": "300001"])
        expectProblem(reply, 413, "too-large")
        #expect(try await f.server.snapshot() == before)
    }

    @Test("a body longer than the declared length is refused with 413 and stores nothing, with or without Content-Length")
    func lyingClientOversize() async throws {
        let f = try await Fixture.make { $0.limits.uploadByteCountMax = 300_000 }
        defer { Task { await f.server.stop() } }
        let id = try await f.adaClient.createUpload(length: 1000, filename: "x.wav")
        let before = try await f.server.snapshot()
        // With a Content-Length that admits the lie.
        let declared = try await f.raw.send(.PATCH, "/v1/uploads/\(id)", token: f.adaToken, headers: [
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
        ], body: [UInt8](repeating: 1, count: 5000))
        expectProblem(declared, 413, "too-large")
        // Streamed without a length (chunked), so only counting can catch it.
        var request = HTTPClientRequest(url: f.server.baseURL + "/v1/uploads/\(id)")
        request.method = .PATCH
        request.headers.add(name: "Authorization", value: "Bearer \(f.adaToken)")
        request.headers.add(name: "Tus-Resumable", value: "1.0.0")
        request.headers.add(name: "Upload-Offset", value: "0")
        request.headers.add(name: "Content-Type", value: "application/offset+octet-stream")
        request.body = .stream(FixedChunks(bytes: [UInt8](repeating: 2, count: 50_000)), length: .unknown)
        let streamed = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(streamed.status.code == 413)
        #expect(try await f.adaClient.uploadState(id)?.offset == 0)
        #expect(try await f.server.snapshot() == before)
        // And an upload without Upload-Length at all is refused.
        let noLength = try await f.raw.send(.POST, "/v1/uploads", token: f.adaToken, headers: ["Tus-Resumable": "1.0.0"])
        expectProblem(noLength, 400, "bad-request")
    }

    @Test("missing, malformed, unknown and revoked keys get 401")
    func badKeys() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        expectProblem(try await f.raw.send(.GET, "/v1/assets"), 401, "unauthorized")
        expectProblem(try await f.raw.send(.GET, "/v1/assets", headers: ["Authorization": "Basic abc"]), 401, "unauthorized")
        expectProblem(try await f.raw.send(.GET, "/v1/assets", token: "syn_nonsense"), 401, "unauthorized")
        // Right shape, right lookup, wrong secret.
        let forged = String(f.adaToken.dropLast(4)) + "zzzz"
        expectProblem(try await f.raw.send(.GET, "/v1/assets", token: forged), 401, "unauthorized")
        let keys = try await f.server.admin.keys(party: f.ada.id)
        _ = try await f.server.admin.revokeKey(keys[0].id)
        let revoked = try await f.raw.send(.GET, "/v1/me", token: f.adaToken)
        expectProblem(revoked, 401, "unauthorized")
        #expect(revoked.header("www-authenticate") != nil)
    }

    @Test("another composer's asset and upload answer 404 and stay as they were")
    func otherOwnersObjects() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let bobUpload = try await f.bobClient.createUpload(length: 100, filename: "b.wav")
        let before = try await f.server.snapshot()
        expectProblem(try await f.raw.send(.GET, "/v1/assets/\(f.bobTrack.id)", token: f.adaToken), 404, "not-found")
        expectProblem(try await f.raw.send(.GET, "/v1/assets/\(f.bobTrack.id)/original", token: f.adaToken), 404, "not-found")
        let head = try await f.raw.send(.HEAD, "/v1/uploads/\(bobUpload)", token: f.adaToken, headers: ["Tus-Resumable": "1.0.0"])
        #expect(head.status == 404)
        expectProblem(try await f.raw.send(.PATCH, "/v1/uploads/\(bobUpload)", token: f.adaToken, headers: [
            "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
        ], body: [1, 2, 3]), 404, "not-found")
        expectProblem(try await f.raw.send(.DELETE, "/v1/uploads/\(bobUpload)", token: f.adaToken,
                                           headers: ["Tus-Resumable": "1.0.0"]), 404, "not-found")
        expectProblem(try await f.createAsset(#"{"upload_id":"\#(bobUpload)","kind":"track","title":"Mine?"}"#), 404, "not-found")
        expectProblem(try await f.raw.send(.GET, "/v1/parties/\(f.bob.id)", token: f.adaToken), 404, "not-found")
        expectProblem(try await f.raw.send(.GET, "/v1/parties/\(f.bob.id)/keys", token: f.adaToken), 404, "not-found")
        let bobKey = try await f.server.admin.keys(party: f.bob.id)[0]
        expectProblem(try await f.raw.send(.DELETE, "/v1/keys/\(bobKey.id)", token: f.adaToken), 404, "not-found")
        #expect(try await f.bobClient.me().id == f.bob.id)
        #expect(try await f.server.snapshot() == before)
        // Ada's list does not show Bob's track.
        #expect(try await f.adaClient.assets().items.isEmpty)
    }

    @Test("a stem pointing at someone else's track is refused")
    func stemOfOthersTrack() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let id = try await f.upload(Array(FileManager.default.contents(atPath: try TestFiles.tone(.wav16, seconds: 1))!))
        let before = try await f.server.snapshot()
        let reply = try await f.createAsset(#"{"upload_id":"\#(id)","kind":"stem","title":"S","track_id":"\#(f.bobTrack.id)"}"#)
        expectProblem(reply, 422, "validation")
        #expect(reply.json["field"] as? String == "track_id")
        #expect(try await f.server.snapshot() == before)
    }

    @Test("splits that do not sum to 10000 or name unknown or non-composer parties are refused")
    func badSplits() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let (licensee, _, _) = try await f.server.party(.licensee, "Lia")
        let id = try await f.upload(Array(FileManager.default.contents(atPath: try TestFiles.tone(.wav16, seconds: 1))!))
        let before = try await f.server.snapshot()
        let unknown = PartyID.make(millisecondsSince1970: 1, random: &SystemRandomNumberGenerator.shared)
        for splits in [
            #"[{"party_id":"\#(f.ada.id)","basis_points":6000},{"party_id":"\#(f.bob.id)","basis_points":3000}]"#,
            #"[{"party_id":"\#(f.ada.id)","basis_points":5000},{"party_id":"\#(unknown)","basis_points":5000}]"#,
            #"[{"party_id":"\#(f.ada.id)","basis_points":5000},{"party_id":"\#(licensee.id)","basis_points":5000}]"#,
            #"[{"party_id":"\#(f.ada.id)","basis_points":5000},{"party_id":"\#(f.ada.id)","basis_points":5000}]"#,
        ] {
            let reply = try await f.createAsset(#"{"upload_id":"\#(id)","kind":"track","title":"T","splits":\#(splits)}"#)
            expectProblem(reply, 422, "validation")
            #expect(reply.json["field"] as? String == "splits")
        }
        #expect(try await f.server.snapshot() == before)
        // The upload is intact: fixing the splits succeeds.
        let fixed = try await f.createAsset(#"{"upload_id":"\#(id)","kind":"track","title":"T","splits":[{"party_id":"\#(f.ada.id)","basis_points":6000},{"party_id":"\#(f.bob.id)","basis_points":4000}]}"#)
        #expect(fixed.status == 201)
    }

    @Test("a PATCH at the wrong offset gets 409 with the real offset and changes nothing")
    func wrongOffset() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let id = try await f.adaClient.createUpload(length: 100, filename: "x.wav")
        _ = try await f.adaClient.appendUpload(id, offset: 0, length: 40, body: FixedChunks(bytes: [UInt8](repeating: 3, count: 40)))
        let before = try await f.server.snapshot()
        let reply = try await f.raw.send(.PATCH, "/v1/uploads/\(id)", token: f.adaToken, headers: [
            "Tus-Resumable": "1.0.0", "Upload-Offset": "10", "Content-Type": "application/offset+octet-stream",
        ], body: [UInt8](repeating: 4, count: 20))
        expectProblem(reply, 409, "upload-offset-mismatch")
        #expect(reply.header("upload-offset") == "40")
        #expect(try await f.adaClient.uploadState(id)?.offset == 40)
        #expect(try await f.server.snapshot() == before)
        // Wrong content type and a missing tus version are refused too.
        expectProblem(try await f.raw.send(.PATCH, "/v1/uploads/\(id)", token: f.adaToken, headers: [
            "Tus-Resumable": "1.0.0", "Upload-Offset": "40", "Content-Type": "application/json",
        ], body: [1]), 415)
        expectProblem(try await f.raw.send(.PATCH, "/v1/uploads/\(id)", token: f.adaToken, headers: [
            "Upload-Offset": "40", "Content-Type": "application/offset+octet-stream",
        ], body: [1]), 412, "tus-version")
        #expect(try await f.server.snapshot() == before)
    }

    @Test("an asset from an unfinished upload is refused with 409")
    func unfinishedUpload() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let id = try await f.adaClient.createUpload(length: 100, filename: "x.wav")
        let before = try await f.server.snapshot()
        expectProblem(try await f.createAsset(#"{"upload_id":"\#(id)","kind":"track","title":"T"}"#), 409, "upload-incomplete")
        #expect(try await f.server.snapshot() == before)
    }

    @Test("malformed JSON, unknown fields, wrong types and oversize bodies get 400 or 413", arguments: [
        (#"{"kind":"composer","display_name":"X""#, 400),
        (#"{"kind":"composer","display_name":"X","extra":1}"#, 400),
        (#"{"kind":"composer","display_name":7}"#, 400),
        (#"{"kind":"emperor","display_name":"X"}"#, 400),
        (#"{"display_name":"X"}"#, 400),
        (#"[1,2,3]"#, 400),
        (#"{"kind":"composer","display_name":"   "}"#, 422),
    ])
    func malformedPartyBodies(body: String, status: Int) async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let before = try await f.server.snapshot()
        let admin = f.server.app.bootstrapToken
        expectProblem(try await f.raw.json(.POST, "/v1/parties", token: admin, body), status)
        #expect(try await f.server.snapshot() == before)
    }

    @Test("asset bodies with unknown fields, wrong types, bad keys or ISRCs are refused")
    func malformedAssetBodies() async throws {
        let f = try await Fixture.make { $0.limits.jsonBodyByteCountMax = 2_000 }
        defer { Task { await f.server.stop() } }
        let id = try await f.upload(Array(FileManager.default.contents(atPath: try TestFiles.tone(.wav16, seconds: 1))!))
        let before = try await f.server.snapshot()
        let cases: [(String, Int, String?)] = [
            (#"{"upload_id":"\#(id)","kind":"track","title":"T","colour":"red"}"#, 400, "/colour"),
            (#"{"upload_id":"\#(id)","kind":"track","title":"T","bpm":"fast"}"#, 400, "/bpm"),
            (#"{"upload_id":"\#(id)","kind":"track","title":"T","tags":"one"}"#, 400, "/tags"),
            (#"{"upload_id":"\#(id)","kind":"track","title":"T","splits":[{"party_id":"\#(f.ada.id)","basis_points":10000,"x":1}]}"#, 400, "/splits/0/x"),
            (#"{"upload_id":"\#(id)","kind":"track","title":"T","bpm":-5}"#, 400, "/bpm"),
            (#"{"upload_id":"nope","kind":"track","title":"T"}"#, 400, nil),
            (#"{"upload_id":"\#(id)","kind":"track","title":"T","key":"H lydian"}"#, 422, "key"),
            (#"{"upload_id":"\#(id)","kind":"track","title":"T","isrc":"12-345"}"#, 422, "isrc"),
            (#"{"upload_id":"\#(id)","kind":"stem","title":"T"}"#, 422, "track_id"),
            (#"{"upload_id":"\#(id)","kind":"track","title":"\#(String(repeating: "x", count: 3000))"}"#, 413, nil),
        ]
        for (body, status, field) in cases {
            let reply = try await f.createAsset(body)
            expectProblem(reply, status)
            if let field { #expect(reply.json["field"] as? String == field, "\(body)") }
        }
        #expect(try await f.server.snapshot() == before)
    }

    @Test("composer-only and admin-only routes refuse the wrong kind of party with 403")
    func wrongKind() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let (_, _, licenseeToken) = try await f.server.party(.licensee, "Lia")
        let before = try await f.server.snapshot()
        expectProblem(try await f.raw.send(.POST, "/v1/uploads", token: licenseeToken,
                                           headers: ["Tus-Resumable": "1.0.0", "Upload-Length": "10"]), 403, "forbidden")
        expectProblem(try await f.raw.json(.POST, "/v1/parties", token: f.adaToken, #"{"kind":"admin","display_name":"Me"}"#), 403, "forbidden")
        expectProblem(try await f.raw.json(.POST, "/v1/parties/\(f.ada.id)/keys", token: f.adaToken, #"{}"#), 403, "forbidden")
        expectProblem(try await f.raw.send(.GET, "/v1/parties", token: f.adaToken), 403, "forbidden")
        #expect(try await f.server.snapshot() == before)
    }

    @Test("a tampered page cursor and an out-of-range limit are 400")
    func badPaging() async throws {
        let f = try await Fixture.make()
        defer { Task { await f.server.stop() } }
        let page = try await f.bobClient.assets(limit: 1)
        #expect(page.nextCursor == nil)
        expectProblem(try await f.raw.send(.GET, "/v1/assets?limit=0", token: f.bobToken), 400)
        expectProblem(try await f.raw.send(.GET, "/v1/assets?limit=100000", token: f.bobToken), 400)
        expectProblem(try await f.raw.send(.GET, "/v1/assets?cursor=YXN0XzAx", token: f.bobToken), 400)
    }
}

extension SystemRandomNumberGenerator {
    nonisolated(unsafe) static var shared = SystemRandomNumberGenerator()
}

@Suite("A JSON body with a repeated member name is refused")
struct DuplicateMemberTests {
    @Test("a repeated name in any object of a body is a 400 naming it, and nothing is created")
    func repeatedNames() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let token = try #require(server.app.bootstrapToken)
        let raw = RawHTTP(base: server.baseURL)
        let bodies = [
            #"{"kind":"composer","display_name":"dup","kind":"admin"}"#,
            #"{"display_name":"dup","kind":"composer","display_name":"other"}"#,
        ]
        for body in bodies {
            let reply = try await raw.send(.POST, "/v1/parties", token: token, headers: ["Content-Type": "application/json"], body: Array(body.utf8))
            expectProblem(reply, 400, "bad-request")
            #expect(reply.text.contains("appears twice"), "\(reply.text)")
        }
        // Equal names in different objects, and equal values, are fine.
        let fine = try await raw.send(.POST, "/v1/parties", token: token, headers: ["Content-Type": "application/json"],
                                      body: Array(#"{"kind":"composer","display_name":"kind"}"#.utf8))
        #expect(fine.status == 201, "\(fine.text)")
        let parties = try await server.services.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM party WHERE display_name IN ('dup', 'other')") ?? -1 }
        #expect(parties == 0)
    }
}

@Suite("No request ends the process: extreme numbers, odd Unicode and broken HTTP get a 4xx")
struct HostileRequestTests {
    @Test("text lengths are counted in code points everywhere: 150 letters with two combining marks each (450 code points) is a 400, not a 500, and nothing is made")
    func combiningMarksCountedOnce() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        let admin = server.app.bootstrapToken!
        let before = try await server.snapshot()
        let heavy = String(repeating: "e\u{0301}\u{0323}", count: 150)
        #expect(heavy.count == 150 && heavy.unicodeScalars.count == 450)
        let body = try JSONSerialization.data(withJSONObject: ["kind": "composer", "display_name": heavy])
        let reply = try await raw.send(.POST, "/v1/parties", token: admin, headers: ["Content-Type": "application/json"], body: Array(body))
        expectProblem(reply, 400, "bad-request")
        #expect(try await server.snapshot() == before)
        // At the limit in code points it is accepted.
        let fits = String(repeating: "e\u{0301}", count: 100)
        let accepted = try await raw.send(.POST, "/v1/parties", token: admin, headers: ["Content-Type": "application/json"],
                                          body: Array(try JSONSerialization.data(withJSONObject: ["kind": "composer", "display_name": fits])))
        #expect(accepted.status == 201)
    }

    @Test("a webhook timestamp at the ends of Int64, or past them, is a 401 and the server lives on", arguments: [
        "t=-9223372036854775807,v1=00", "t=-9223372036854775808,v1=00", "t=9223372036854775807,v1=00",
        "t=99999999999999999999,v1=00", "t=0,v1=zz", "t=,v1=", "v1=00", "t=1,v1=0",
    ])
    func webhookTimestamps(header: String) async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        let reply = try await raw.send(.POST, "/v1/webhooks/payments", headers: [
            "Synclet-Signature": header, "Content-Type": "application/json",
        ], body: Array(#"{"payment_id":"p1","licensee_id":"pty_00000000000000000000000000","amount_micros":1}"#.utf8))
        expectProblem(reply, 401)
        #expect(try await raw.send(.GET, "/health").status == 200)
    }

    @Test("keys whose upper case is longer than they are, ligatures and combining marks are 400 or 422, never a trap")
    func oddUnicodeKeys() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, token) = try await server.party(.composer, "Ada")
        let raw = RawHTTP(base: server.baseURL)
        let asset = try await ada.createAsset(Wire.CreateAsset(
            uploadID: try await ada.uploadFile(path: try TestFiles.tone(.wav16, seconds: 1), journal: nil), kind: .loop, title: "Loop"))
        // ß → SS, ŉ → ʼN, ﬀ → FF, İ → i̇ (lower), A + combining acute, a lone combining mark, an emoji.
        for text in ["ß", "ŉ", "ﬀ", "ﬀm", "İ", "A\u{0301} minor", "\u{0301}", "🎵", "ǰ", "ΐ"] {
            let escaped = text.utf8.map { String(format: "%%%02X", $0) }.joined()
            for parameter in ["key", "compatible_with"] {
                let reply = try await raw.send(.GET, "/v1/assets?\(parameter)=\(escaped)", token: token)
                expectProblem(reply, 400, "bad-request")
            }
            let body = String(decoding: try JSONSerialization.data(withJSONObject: ["key": text]), as: UTF8.self)
            let patched = try await raw.json(.PATCH, "/v1/assets/\(asset.id)", token: token, body)
            #expect(patched.status == 422 || patched.status == 400, "\(text): \(patched.status) \(patched.text)")
        }
        #expect(try await raw.send(.GET, "/health").status == 200)
    }

    @Test("broken chunked encodings are 400s (not 500s) and the server lives on", arguments: [
        "zz\r\n{}\r\n0\r\n\r\n",                                     // not hex
        "ffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",                // past UInt64
        "2;\u{00FF}\r\n{}\r\n0\r\n\r\n",                              // odd bytes in an extension
        "-2\r\n{}\r\n0\r\n\r\n",                                      // negative
    ])
    func brokenChunks(body: String) async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, _, token) = try await server.party(.composer, "Ada")
        let socket = try RawSocket(port: server.port)
        #expect(socket.send("POST /v1/assets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + body))
        let answer = String(decoding: socket.readUntilClosed(seconds: 10) ?? [], as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(300))")
        #expect(answer.lowercased().contains("content-type: application/problem+json"), "\(answer.prefix(300))")
        #expect(try await RawHTTP(base: server.baseURL).send(.GET, "/health").status == 200)
    }

    @Test("a whole JSON body followed by a broken chunk creates nothing: a body cut short is never taken for a whole one")
    func brokenAfterWholeBody() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let admin = server.app.bootstrapToken!
        let raw = RawHTTP(base: server.baseURL)
        let before = try await raw.send(.GET, "/v1/parties?limit=100", token: admin).text
        let json = #"{"kind":"composer","display_name":"Half sent"}"#
        let socket = try RawSocket(port: server.port)
        #expect(socket.send("POST /v1/parties HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(admin)\r\n"
            + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + String(json.utf8.count, radix: 16) + "\r\n" + json + "\r\nzz\r\n"))
        let answer = String(decoding: socket.readUntilClosed(seconds: 10) ?? [], as: UTF8.self)
        #expect(answer.hasPrefix("HTTP/1.1 400"), "\(answer.prefix(300))")
        let after = try await raw.send(.GET, "/v1/parties?limit=100", token: admin).text
        #expect(!after.contains("Half sent"))
        #expect(before == after)
    }
}
