import AsyncHTTPClient
import Foundation
import Licensing
import GRDB
import NIOCore
import SyncletCore
import SyncletServer
import Testing

@Suite("Composers watch their earnings live; licensees see what they spend")
struct EarningsStreamTests {
    @Test("the earnings stream sends the totals at once and again after usage is booked")
    func stream() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await UsageIngestTests.license(f)
        let token = try await f.server.admin.issueKey(party: f.ada.id, label: "stream").token
        var request = HTTPClientRequest(url: f.server.baseURL + "/v1/earnings/stream")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        #expect(response.headers.first(name: "Content-Type") == "text/event-stream")
        var events = [[String: Any]]()
        var stream = EarningsEvents(response)
        func nextEvent() async throws -> [String: Any] { try await stream.next() }
        events.append(try await nextEvent())
        #expect(events[0]["usage_micros"] as? Int == 0)
        #expect((events[0]["license_sales_micros"] as? Int ?? 0) > 0)
        _ = try await UsageIngestTests.send(f, [UsageIngestTests.event("s1", license: license.id.rawValue, quantity: 10_000)])
        events.append(try await nextEvent())
        // 10,000 views at 0.10 per 1,000 = 1.00; Ada's 60 % of the 80 % after the fee = 0.48.
        #expect(events[1]["usage_micros"] as? Int == 480_000)
    }

    @Test("an open earnings stream is told of every money movement after its commit: a sale, a revocation, usage, a grant that pays waiting usage, and a period close")
    func streamFollowsEveryMovement() async throws {
        let clock = TestClock(Timestamp(rfc3339: "2026-11-15T12:00:00Z")!.millisecondsSince1970)
        let f = try await LicensingFixture.make(clock: clock, configure: {
            $0.payoutThresholdMicros = 1
            $0.limits.usageCreditLimitMicros = 0
        })
        defer { Task { await f.server.stop() } }
        let license = try await UsageIngestTests.license(f)
        let token = try await f.server.admin.issueKey(party: f.ada.id, label: "stream").token
        var request = HTTPClientRequest(url: f.server.baseURL + "/v1/earnings/stream")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        var stream = EarningsEvents(response)
        // A stream left stale fails the test (the server stops, the stream ends) instead of hanging it.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(120))
            await f.server.stop()
        }
        defer { watchdog.cancel() }
        func nextEvent() async throws -> [String: Any] { try await stream.next() }
        let first = try await nextEvent()
        let sales = try #require(first["license_sales_micros"] as? Int)
        // A second sale, then its revocation: the stream says so each time.
        let other = try await f.buy(key: "stream-2")
        let otherID = try #require(other.json["id"] as? String)
        #expect(try await nextEvent()["license_sales_micros"] as? Int ?? 0 > sales)
        let revoke = try await f.raw.send(.POST, "/v1/licenses/\(otherID)/revoke", token: f.adminToken,
                                          headers: ["Content-Type": "application/json"], body: Array(#"{"reason":"test"}"#.utf8))
        #expect(revoke.status == 200, "\(revoke.text)")
        #expect(try await nextEvent()["license_sales_micros"] as? Int == sales)
        _ = try await UsageIngestTests.send(f, [UsageIngestTests.event("m1", license: license.id.rawValue, quantity: 10_000,
                                                                       at: "2026-11-15T12:00:00Z")])
        #expect(try await nextEvent()["usage_micros"] as? Int ?? 0 > 0)
        // Usage past the licensee's wallet waits unpaid (no credit here); the grant that pays
        // it moves Ada's earnings in its own transaction: the stream says so.
        let before = try #require(try await f.raw.send(.GET, "/v1/statements?period=2026-11", token: token).json["usage_micros"] as? Int)
        let waiting = try await UsageIngestTests.send(f, [UsageIngestTests.event("m2", license: license.id.rawValue, quantity: 900_000,
                                                                                 at: "2026-11-15T12:00:00Z")])
        #expect(waiting.text.contains("insufficient_funds"), "\(waiting.text)")
        let grant = try await f.raw.send(.POST, "/v1/wallets/\(f.lia.id)/grants", token: f.adminToken,
                                         headers: ["Content-Type": "application/json", "Idempotency-Key": "g-stream"],
                                         body: Array(#"{"amount_micros":500000000}"#.utf8))
        #expect(grant.status == 201 || grant.status == 200, "\(grant.text)")
        #expect(try await nextEvent()["usage_micros"] as? Int ?? 0 > before)
        clock.advance(seconds: 20 * 86_400)
        let close = try await f.raw.send(.POST, "/v1/periods/2026-11/close", token: f.adminToken)
        #expect(close.status == 200, "\(close.text)")
        let afterClose = try await nextEvent()
        #expect(afterClose["period"] as? String == "2026-12")
    }

    @Test("a licensee sees its spend per license and per platform, and its cap")
    func spend() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await UsageIngestTests.license(f)
        _ = try await UsageIngestTests.send(f, [UsageIngestTests.event("sp1", license: license.id.rawValue, quantity: 10_000)])
        let spend = try await f.raw.send(.GET, "/v1/wallet/spend", token: f.liaToken)
        #expect(spend.status == 200)
        #expect(spend.json["spent_micros"] as? Int == 19_000_000 + 1_000_000)
        #expect((spend.json["by_platform"] as? [[String: Any]])?.first?["spent_micros"] as? Int == 1_000_000)
        #expect((spend.json["by_license"] as? [[String: Any]])?.first?["code"] as? String == license.code)
        expectProblem(try await f.raw.send(.GET, "/v1/wallet/spend?period=nope", token: f.liaToken), 400)

        // With a cap, a reversal and a refund in the period, the view counts what the cap counts.
        let cap = try await f.raw.send(.PUT, "/v1/wallets/\(f.lia.id)/cap", token: f.adminToken,
                                       headers: ["Content-Type": "application/json"], body: Array(#"{"monthly_cap_micros":50000000}"#.utf8))
        #expect(cap.status == 200)
        _ = try await UsageIngestTests.send(f, [
            UsageIngestTests.event("sp2", license: license.id.rawValue, quantity: 5_000, platform: "youtube"),
            UsageIngestTests.event("sp1-back", license: license.id.rawValue, quantity: 1, reverses: "sp1"),
        ])
        let other = try await f.buy(key: "spend-2")
        #expect(other.status == 201)
        let otherID = try #require(other.json["id"] as? String)
        let revoke = try await f.raw.send(.POST, "/v1/licenses/\(otherID)/revoke", token: f.adminToken,
                                          headers: ["Content-Type": "application/json"], body: Array(#"{"reason":"test"}"#.utf8))
        #expect(revoke.status == 200, "\(revoke.text)")
        let view = try await f.raw.send(.GET, "/v1/wallet/spend", token: f.liaToken)
        #expect(view.json["cap_micros"] as? Int == 50_000_000)
        let wallet = try await f.server.services.database.read { db in
            try String.fetchOne(db, sql: "SELECT id FROM ledger_account WHERE owner = ? AND purpose = 'licensee_wallet'", arguments: [f.lia.id.rawValue])
        }
        let start = PeriodCalendar.utc.start(of: PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))))
        let capSees = try await f.server.services.database.read { db in try SpendingCap.spent(db, wallet: wallet!, since: start) }
        #expect(view.json["spent_micros"] as? Int == Int(capSees))
        #expect(capSees == 19_000_000 + 500_000)  // the first license and sp2; sp1 reversed, the second license refunded
        let byLicense = try #require(view.json["by_license"] as? [[String: Any]])
        #expect(byLicense.map { $0["spent_micros"] as? Int ?? 0 }.reduce(0, +) == Int(capSees))
    }
}

/// The `data:` payloads of an earnings stream (server-sent events), one JSON object each.
struct EarningsEvents {
    private var pending = ""
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(_ response: HTTPClientResponse) { iterator = response.body.makeAsyncIterator() }

    mutating func next() async throws -> [String: Any] {
        while true {
            if let end = pending.range(of: "\n\n") {
                let block = String(pending[..<end.lowerBound])
                pending = String(pending[end.upperBound...])
                guard let data = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { continue }
                return try JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8)) as! [String: Any]
            }
            guard let chunk = try await iterator.next() else { throw TestFailure("the stream ended before the next update") }
            pending += String(buffer: chunk)
        }
    }
}
