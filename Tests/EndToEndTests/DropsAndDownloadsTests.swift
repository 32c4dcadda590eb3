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

@Suite("Drops never oversell; licensed downloads carry a key that verifies; caps and limits hold")
struct DropsAndDownloadsTests {
    @Test("1,000 concurrent purchases of a 100-license drop sell exactly 100 and charge exactly 100 times")
    func dropNeverOversells() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(1_000_000_000)
        let now = Date()
        let drop = try await f.raw.json(.POST, "/v1/drops", token: f.adminToken, """
            {"asset_id":"\(f.asset.id)","template":"social-clip","quantity":100,
             "starts_at":"\(Timestamp(millisecondsSince1970: Int64(now.timeIntervalSince1970 * 1000) - 60_000).rfc3339)",
             "ends_at":"\(Timestamp(millisecondsSince1970: Int64(now.timeIntervalSince1970 * 1000) + 3_600_000).rfc3339)"}
            """)
        #expect(drop.status == 201, "\(drop.text)")
        let dropID = try #require(drop.json["id"] as? String)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<1_000 {
                group.addTask {
                    let body = #"{"asset_id":"\#(f.asset.id)","template":"social-clip","use":\#(LicensingFixture.use),"drop_id":"\#(dropID)"}"#
                    return try await f.raw.send(.POST, "/v1/licenses", token: f.liaToken,
                                                headers: ["Content-Type": "application/json", "Idempotency-Key": "drop-\(index)"],
                                                body: Array(body.utf8)).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.filter { $0 == 201 }.count == 100)
        #expect(statuses.filter { $0 == 409 }.count == 900)
        #expect(try await f.licenseCount() == 100)
        let charges = try await f.server.services.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfer WHERE reason = 'license.fee'")
        }
        #expect(charges == 100)
        let b = try await f.balances()
        #expect(b.wallet == 1_000_000_000 - 100 * 4_990_000)
        #expect(b.sum == 0 && b.mismatched == 0)
        let shown = try await f.raw.send(.GET, "/v1/drops/\(dropID)", token: f.liaToken)
        #expect(shown.json["remaining"] as? Int == 0)
        #expect(shown.json["state"] as? String == "sold_out")
        // Concurrency made real batches: some group commits held several licenses.
        #expect((f.server.services.groupCommitBatchSizes.max() ?? 0) > 1)
    }

    @Test("a drop that has not opened or has closed is refused with a clear problem")
    func dropWindow() async throws {
        let clock = TestClock(1_795_000_000_000)
        let f = try await LicensingFixture.make(clock: clock)
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(100_000_000)
        let drop = try await f.raw.json(.POST, "/v1/drops", token: f.adminToken, """
            {"asset_id":"\(f.asset.id)","template":"social-clip","quantity":5,
             "starts_at":"\(Timestamp(millisecondsSince1970: 1_795_000_600_000).rfc3339)","ends_at":"\(Timestamp(millisecondsSince1970: 1_795_001_200_000).rfc3339)"}
            """)
        let dropID = try #require(drop.json["id"] as? String)
        func buy(_ key: String) async throws -> RawHTTP.Reply {
            try await f.raw.send(.POST, "/v1/licenses", token: f.liaToken, headers: ["Content-Type": "application/json", "Idempotency-Key": key],
                                 body: Array(#"{"asset_id":"\#(f.asset.id)","template":"social-clip","use":\#(LicensingFixture.use),"drop_id":"\#(dropID)"}"#.utf8))
        }
        expectProblem(try await buy("early"), 409, "drop-not-open")
        clock.advance(seconds: 700)
        #expect(try await buy("on-time").status == 201)
        clock.advance(seconds: 600)
        expectProblem(try await buy("late"), 409, "drop-closed")
        #expect(try await f.licenseCount() == 1)
    }

    @Test("a licensed download streams the audio with LICENSE.md and license.json, and the key inside verifies")
    func licensedDownload() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(100_000_000)
        let license = try JSONDecoder().decode(Wire.License.self, from: Data(try await f.buy(template: "creator-standard", key: "d-1").body))
        let zip = try await f.raw.send(.GET, "/v1/licenses/\(license.id)/download", token: f.liaToken)
        #expect(zip.status == 200)
        let path = TestFiles.write(zip.body, name: "licensed.zip")
        let files = TestArchive.read(path)
        #expect(files.keys.contains { $0.hasSuffix(".wav") })
        let markdown = try #require(files.first { $0.key.hasSuffix("LICENSE.md") }.map { String(decoding: $0.value, as: UTF8.self) })
        #expect(markdown.contains(license.code))
        let key = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("v4.public.") }.map(String.init))
        #expect(key == license.key)
        let verified = try await f.raw.json(.POST, "/v1/verify", token: nil, #"{"key":"\#(key)"}"#)
        #expect(verified.json["status"] as? String == "valid")
        let json = try #require(files.first { $0.key.hasSuffix("license.json") }?.value)
        #expect(try JSONDecoder().decode(Wire.License.self, from: Data(json)).id == license.id)

        // Someone else, or anyone after a revocation, gets nothing.
        let (_, _, otherToken) = try await f.server.party(.licensee, "Other")
        expectProblem(try await f.raw.send(.GET, "/v1/licenses/\(license.id)/download", token: otherToken), 404)
        _ = try await f.raw.json(.POST, "/v1/licenses/\(license.id)/revoke", token: f.adminToken, #"{"reason":"refund"}"#)
        expectProblem(try await f.raw.send(.GET, "/v1/licenses/\(license.id)/download", token: f.liaToken), 403, "license-not-valid")
    }

    @Test("an expired license verifies as expired and cannot download")
    func expiry() async throws {
        let clock = TestClock(1_795_000_000_000)
        let f = try await LicensingFixture.make(clock: clock)
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(10_000_000)
        let license = try JSONDecoder().decode(Wire.License.self, from: Data(try await f.buy(key: "e-1").body))
        clock.advance(seconds: 366 * 86_400)
        #expect(try await f.raw.send(.GET, "/v1/verify/\(license.code)").json["status"] as? String == "expired")
        #expect(try await f.raw.json(.POST, "/v1/verify", token: nil, #"{"key":"\#(license.key)"}"#).json["status"] as? String == "expired")
        expectProblem(try await f.raw.send(.GET, "/v1/licenses/\(license.id)/download", token: f.liaToken), 403, "license-not-valid")
    }

    @Test("a reached monthly spending cap stops purchases and changes nothing")
    func spendingCap() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(100_000_000)
        let cap = try await f.raw.send(.PUT, "/v1/wallets/\(f.lia.id)/cap", token: f.adminToken,
                                       headers: ["Content-Type": "application/json"], body: Array(#"{"monthly_cap_micros":6000000}"#.utf8))
        #expect(cap.status == 200)
        #expect(try await f.buy(key: "cap-1").status == 201)
        let before = try await f.balances()
        expectProblem(try await f.buy(key: "cap-2"), 402, "spending-cap-reached")
        #expect(try await f.balances().wallet == before.wallet)
        #expect(try await f.licenseCount() == 1)
    }

    @Test("public verification is rate-limited per address with a 429 that says when to retry")
    func rateLimit() async throws {
        let server = try await RunningServer.start { $0.limits.verifyBurstRequestCountMax = 3; $0.limits.verifyRequestsPerMinutePerAddress = 1 }
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        for _ in 0..<3 { #expect(try await raw.send(.GET, "/v1/verify/SYN-0000-0000-0000").status == 200) }
        let limited = try await raw.send(.GET, "/v1/verify/SYN-0000-0000-0000")
        expectProblem(limited, 429, "rate-limited")
        #expect(limited.header("retry-after") != nil)
    }
}
