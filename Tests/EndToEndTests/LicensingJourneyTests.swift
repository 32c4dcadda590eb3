import AsyncHTTPClient
import Foundation
import GRDB
import Ledger
import Licensing
import NIOCore
import SyncletClient
import SyncletCore
import SyncletCrypto
import SyncletServer
import Testing

/// A server with a published track by Ada (60 %) and Bob (40 %), and a licensee, Lia.
struct LicensingFixture {
    let server: RunningServer
    let raw: RawHTTP
    let ada: Wire.Party
    let bob: Wire.Party
    let adaClient: SyncletClient
    let lia: Wire.Party
    let liaToken: String
    let adminToken: String
    let asset: Wire.Asset

    static func make(clock: TestClock? = nil, configure: (inout ServerSettings) -> Void = { _ in }) async throws -> LicensingFixture {
        let server = try await RunningServer.start { settings in
            if let clock { settings.clock = clock.clock }
            configure(&settings)
        }
        let (ada, adaClient, _) = try await server.party(.composer, "Ada")
        let (bob, _, _) = try await server.party(.composer, "Bob")
        let (lia, _, liaToken) = try await server.party(.licensee, "Lia Creator")
        let asset = try await adaClient.createAsset(Wire.CreateAsset(
            uploadID: try await adaClient.uploadFile(path: try TestFiles.tone(.wav16, seconds: 1), journal: nil),
            kind: .track, title: "Harbour Lights",
            splits: [SplitShare(partyID: ada.id, basisPoints: 6000), SplitShare(partyID: bob.id, basisPoints: 4000)]))
        _ = try await adaClient.publish(asset.id)
        return LicensingFixture(server: server, raw: RawHTTP(base: server.baseURL), ada: ada, bob: bob, adaClient: adaClient,
                                lia: lia, liaToken: liaToken, adminToken: server.app.bootstrapToken!, asset: asset)
    }

    static let use = #"{"platform":"tiktok","media":"short_form","clip_seconds":30,"expected_views":50000,"term_days":90,"territory":"DE","monetized":true,"paid_ads":false}"#

    func grant(_ micros: Int64, key: String = UUID().uuidString) async throws -> RawHTTP.Reply {
        try await raw.send(.POST, "/v1/wallets/\(lia.id)/grants", token: adminToken,
                           headers: ["Content-Type": "application/json", "Idempotency-Key": key],
                           body: Array(#"{"amount_micros":\#(micros),"note":"welcome"}"#.utf8))
    }

    func buy(template: String = "social-clip", key: String, use: String = LicensingFixture.use, asset: AssetID? = nil,
             channels: String = #"[{"platform":"youtube","channel_id":"UC123"}]"#) async throws -> RawHTTP.Reply {
        try await raw.send(.POST, "/v1/licenses", token: liaToken, headers: ["Content-Type": "application/json", "Idempotency-Key": key],
                           body: Array(#"{"asset_id":"\#(asset ?? self.asset.id)","template":"\#(template)","use":\#(use),"channels":\#(channels)}"#.utf8))
    }

    func balances() async throws -> (wallet: Int64, revenue: Int64, ada: Int64, bob: Int64, sum: Int64, mismatched: Int) {
        try await server.services.database.read { db in
            let audit = try Ledger.audit(db)
            return (try Ledger.balance(db, party: lia.id, purpose: .licenseeWallet),
                    try Ledger.balance(db, party: nil, purpose: .platformRevenue),
                    try Ledger.balance(db, party: ada.id, purpose: .composerEarnings),
                    try Ledger.balance(db, party: bob.id, purpose: .composerEarnings), audit.balanceSum, audit.mismatchedAccounts)
        }
    }

    func licenseCount() async throws -> Int {
        try await server.services.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM license") ?? -1 }
    }
}

@Suite("A creator buys a license and anyone can verify it")
struct LicensingJourneyTests {
    @Test("templates are public, quotes say what covers a use and what does not")
    func templatesAndQuotes() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let templates = try await f.raw.send(.GET, "/v1/license-templates")
        #expect(templates.status == 200)
        #expect((templates.json["items"] as? [[String: Any]])?.count == 4)
        let quote = try await f.raw.json(.POST, "/v1/quotes", token: f.liaToken, #"{"asset_id":"\#(f.asset.id)","use":\#(LicensingFixture.use)}"#)
        #expect(quote.status == 200)
        let options = try #require(quote.json["options"] as? [[String: Any]])
        #expect(options.map { $0["template"] as? String } == ["social-clip", "creator-standard", "commercial-ads", "subscription-pool"])
        #expect(options.last?["covers"] as? Bool == false)
        let ad = LicensingFixture.use.replacingOccurrences(of: #""paid_ads":false"#, with: #""paid_ads":true"#)
        let adQuote = try await f.raw.json(.POST, "/v1/quotes", token: f.liaToken, #"{"asset_id":"\#(f.asset.id)","use":\#(ad)}"#)
        let adOptions = try #require(adQuote.json["options"] as? [[String: Any]])
        #expect(adOptions.first?["template"] as? String == "commercial-ads")
        #expect(adOptions.dropFirst().allSatisfy { ($0["covers"] as? Bool) == false })
        expectProblem(try await f.raw.json(.POST, "/v1/quotes", token: f.liaToken, #"{"asset_id":"\#(f.asset.id)"}"#), 400, "bad-request")
    }

    @Test("buying charges the wallet once, splits the price exactly, and a retry returns the first answer")
    func buyOnceSplitExactly() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let grantKey = UUID().uuidString
        #expect(try await f.grant(10_000_000, key: grantKey).status == 201)
        #expect(try await f.grant(10_000_000, key: grantKey).status == 201)  // a retry credits nothing more
        #expect(try await f.balances().wallet == 10_000_000)

        let first = try await f.buy(key: "buy-1")
        #expect(first.status == 201, "\(first.text)")
        let again = try await f.buy(key: "buy-1")
        #expect(again.status == 201)
        #expect(again.body == first.body)
        #expect(try await f.licenseCount() == 1)
        let b = try await f.balances()
        // 4.99: 20 % fee = 0.998; the rest 3.992 split 60/40 = 2.3952 / 1.5968.
        #expect(b.wallet == 10_000_000 - 4_990_000)
        #expect(b.revenue == 998_000)
        #expect(b.ada == 2_395_200)
        #expect(b.bob == 1_596_800)
        #expect(b.sum == 0 && b.mismatched == 0)

        let before = try await f.server.snapshot()
        let otherBody = try await f.buy(template: "creator-standard", key: "buy-1")
        expectProblem(otherBody, 422, "validation")
        #expect(try await f.licenseCount() == 1)
        #expect(try await f.server.snapshot() == before)
        expectProblem(try await f.raw.send(.POST, "/v1/licenses", token: f.liaToken, headers: ["Content-Type": "application/json"],
                                           body: Array("{}".utf8)), 400, "bad-request")
    }

    @Test("a key verifies offline with the published key, by code and by key; tampering, other versions and unknown keys are refused")
    func verify() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(50_000_000)
        let license = try JSONDecoder().decode(Wire.License.self, from: Data(try await f.buy(key: "v-1").body))
        #expect(license.code.hasPrefix("SYN-"))
        #expect(license.key.hasPrefix("v4.public."))

        // Offline: the published PASERK verifies the key with nothing but the PASETO rules.
        let keys = try JSONDecoder().decode(Wire.PublicKeys.self, from: Data(try await f.raw.send(.GET, "/.well-known/synclet/keys").body))
        let published = try #require(keys.keys.first { $0.kid == license.keyID })
        let publicKey = try PASERK.parsePublicKey(published.paserk)
        #expect(PASERK.publicKeyID(publicKey) == license.keyID)
        let claims = try JSONDecoder().decode(LicenseClaims.self, from: Data(try PASETO.verify(license.key, key: publicKey).message))
        #expect(claims.jti == license.id.rawValue)
        #expect(claims.code == license.code)
        #expect(claims.template == "social-clip@1")
        #expect(claims.channels == [ClearedChannel(platform: "youtube", channelID: "UC123")])

        let byCode = try await f.raw.send(.GET, "/v1/verify/\(license.code.lowercased())")
        #expect(byCode.status == 200)
        #expect(byCode.json["status"] as? String == "valid")
        #expect(byCode.json["asset_title"] as? String == "Harbour Lights")
        #expect(byCode.json["licensee"] as? String == "Lia Creator")
        #expect(byCode.json["composer"] as? String == "Ada")
        #expect(try await f.raw.send(.GET, "/v1/verify/SYN-0000-0000-0000").json["status"] as? String == "unknown")
        expectProblem(try await f.raw.send(.GET, "/v1/verify/not-a-code"), 400)

        let byKey = try await f.raw.json(.POST, "/v1/verify", token: nil, #"{"key":"\#(license.key)"}"#)
        #expect(byKey.json["status"] as? String == "valid")
        #expect(byKey.json["signature_valid"] as? Bool == true)

        // Any changed character is refused (a sample of positions across the token).
        let characters = Array(license.key)
        for index in stride(from: 10, to: characters.count, by: max(1, characters.count / 40)) {
            var tampered = characters
            tampered[index] = tampered[index] == "A" ? "B" : "A"
            let reply = try await f.raw.json(.POST, "/v1/verify", token: nil, #"{"key":"\#(String(tampered))"}"#)
            #expect(reply.status == 422, "position \(index)")
        }
        for other in ["v4.local.abc", "v3.public.abc", "v2.public.abc", "k4.public.abc"] {
            expectProblem(try await f.raw.json(.POST, "/v1/verify", token: nil, #"{"key":"\#(other)"}"#), 422, "invalid-key")
        }
        // A well-formed key signed by a key this server never had.
        let stranger = PASETO.sign(message: Array(#"{"jti":"lic_x"}"#.utf8), footer: Array(#"{"kid":"k4.pid.unknown"}"#.utf8),
                                   key: Ed25519PrivateKey.generate())
        expectProblem(try await f.raw.json(.POST, "/v1/verify", token: nil, #"{"key":"\#(stranger)"}"#), 422, "invalid-key")

        // After a rotation the old key still verifies and new licenses use the new key.
        let rotated = try await f.raw.send(.POST, "/v1/signing-keys", token: f.adminToken)
        #expect(rotated.status == 201)
        #expect(try await f.raw.json(.POST, "/v1/verify", token: nil, #"{"key":"\#(license.key)"}"#).json["status"] as? String == "valid")
        let second = try JSONDecoder().decode(Wire.License.self, from: Data(try await f.buy(key: "v-2").body))
        #expect(second.keyID == rotated.json["kid"] as? String)
        #expect(second.keyID != license.keyID)
        let allKeys = try await f.raw.send(.GET, "/.well-known/synclet/keys")
        #expect((allKeys.json["keys"] as? [Any])?.count == 2)
    }

    @Test("revoking reverses the charge transfer by transfer, once, and verify says revoked")
    func revoke() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(10_000_000)
        let license = try JSONDecoder().decode(Wire.License.self, from: Data(try await f.buy(key: "r-1").body))
        expectProblem(try await f.raw.json(.POST, "/v1/licenses/\(license.id)/revoke", token: f.liaToken, #"{"reason":"mine"}"#), 403)
        let revoked = try await f.raw.json(.POST, "/v1/licenses/\(license.id)/revoke", token: f.adminToken, #"{"reason":"refund"}"#)
        #expect(revoked.status == 200)
        #expect(revoked.json["status"] as? String == "revoked")
        let b = try await f.balances()
        #expect(b.wallet == 10_000_000 && b.revenue == 0 && b.ada == 0 && b.bob == 0 && b.sum == 0 && b.mismatched == 0)
        let reversals = try await f.server.services.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfer WHERE reverses IS NOT NULL AND cause_id = ?", arguments: [license.id.rawValue])
        }
        #expect(reversals == 3)
        expectProblem(try await f.raw.json(.POST, "/v1/licenses/\(license.id)/revoke", token: f.adminToken, #"{"reason":"again"}"#), 409, "already-revoked")
        #expect(try await f.raw.send(.GET, "/v1/verify/\(license.code)").json["status"] as? String == "revoked")
        #expect(try await f.raw.json(.POST, "/v1/verify", token: nil, #"{"key":"\#(license.key)"}"#).json["status"] as? String == "revoked")
    }

    @Test("insufficient funds, a use outside the envelope and an unpublished asset are refused and change nothing")
    func refusals() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(1_000_000)
        let before = try await f.server.snapshot()
        let balances = try await f.balances()
        let poor = try await f.buy(key: "p-1")
        expectProblem(poor, 402, "insufficient-funds")
        let wide = LicensingFixture.use.replacingOccurrences(of: #""clip_seconds":30"#, with: #""clip_seconds":200"#)
        let outside = try await f.buy(key: "p-2", use: wide)
        expectProblem(outside, 422, "outside-envelope")
        #expect((outside.json["limits"] as? String) == "max_clip_seconds")
        #expect((outside.json["suggested"] as? String)?.isEmpty == false)
        let draft = try await f.adaClient.createAsset(Wire.CreateAsset(
            uploadID: try await f.adaClient.uploadFile(path: try TestFiles.tone(.wav16, seconds: 1), journal: nil), kind: .loop, title: "Draft"))
        let beforeDraft = try await f.licenseCount()
        expectProblem(try await f.buy(key: "p-3", asset: draft.id), 422, "asset-not-licensable")
        expectProblem(try await f.buy(key: "p-4", use: #"{"platform":"tiktok"}"#), 400, "bad-request")
        #expect(try await f.licenseCount() == beforeDraft)
        #expect(try await f.balances().wallet == balances.wallet)
        _ = before
    }

    @Test("the payment webhook credits each signed payment once and refuses stale or forged notices")
    func paymentWebhook() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let body = Array(#"{"payment_id":"pay_123","licensee_id":"\#(f.lia.id)","amount_micros":25000000}"#.utf8)
        let secret = Array("test-webhook-secret".utf8)
        let now = Int64(Date().timeIntervalSince1970)
        func send(_ signature: String) async throws -> RawHTTP.Reply {
            try await f.raw.send(.POST, "/v1/webhooks/payments", headers: ["Content-Type": "application/json", "Synclet-Signature": signature], body: body)
        }
        let signed = "t=\(now),v1=" + HMACSHA256.authenticate(Array("\(now).".utf8) + body, key: secret).hex
        let first = try await send(signed)
        #expect(first.status == 200)
        #expect(first.json["status"] as? String == "credited")
        #expect(try await send(signed).json["status"] as? String == "duplicate")
        #expect(try await f.balances().wallet == 25_000_000)

        let stale = "t=\(now - 600),v1=" + HMACSHA256.authenticate(Array("\(now - 600).".utf8) + body, key: secret).hex
        expectProblem(try await send(stale), 401, "stale-webhook")
        let forged = "t=\(now),v1=" + HMACSHA256.authenticate(Array("\(now).".utf8) + body, key: Array("wrong".utf8)).hex
        expectProblem(try await send(forged), 401, "bad-signature")
        expectProblem(try await send("garbage"), 401, "bad-signature")
        #expect(try await f.balances().wallet == 25_000_000)
        let wallet = try await f.raw.send(.GET, "/v1/wallet", token: f.liaToken)
        #expect(wallet.json["balance_micros"] as? Int == 25_000_000)
    }

    @Test("claim administrators list the channels a license clears")
    func clearances() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(10_000_000)
        let license = try JSONDecoder().decode(Wire.License.self, from: Data(try await f.buy(key: "c-1").body))
        let list = try await f.raw.send(.GET, "/v1/clearances?platform=youtube", token: f.adminToken)
        let items = try #require(list.json["items"] as? [[String: Any]])
        #expect(items.count == 1)
        #expect(items.first?["channel_id"] as? String == "UC123")
        #expect(items.first?["code"] as? String == license.code)
        expectProblem(try await f.raw.send(.GET, "/v1/clearances?platform=youtube", token: f.liaToken), 403)
        expectProblem(try await f.raw.send(.GET, "/v1/clearances", token: f.adminToken), 400)
        let verify = try await f.raw.send(.GET, "/v1/verify/\(license.code)")
        #expect((verify.json["channels"] as? [[String: Any]])?.first?["channel_id"] as? String == "UC123")
    }
}
