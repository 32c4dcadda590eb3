import Foundation
import GRDB
import Ledger
import Licensing
import SyncletClient
import SyncletCore
import SyncletCrypto
import SyncletServer
import Testing
import Usage

@Suite("Closing a period seals its statements and pays out")
struct PeriodCloseTests {
    @Test("a closed period's statements are sealed with their hash and never change; payouts leave the earnings; a second close is refused")
    func closeSealsAndPays() async throws {
        // 2026-11-15 12:00 UTC.
        let clock = TestClock(Timestamp(rfc3339: "2026-11-15T12:00:00Z")!.millisecondsSince1970)
        let f = try await LicensingFixture.make(clock: clock, configure: { $0.payoutThresholdMicros = 5_000_000 })
        defer { Task { await f.server.stop() } }
        let license = try await UsageIngestTests.license(f)
        let at = Timestamp(rfc3339: "2026-11-15T12:00:00Z")!.rfc3339
        _ = try await UsageIngestTests.send(f, (0..<10).map { UsageIngestTests.event("c\($0)", license: license.id.rawValue, quantity: 1_000, at: at) })
        let token = try await f.server.admin.issueKey(party: f.ada.id, label: "s").token

        expectProblem(try await f.raw.send(.POST, "/v1/periods/2026-11/close", token: f.adminToken), 409, "period-open")
        clock.advance(seconds: 20 * 86_400)  // 2026-12-05
        let close = try await f.raw.send(.POST, "/v1/periods/2026-11/close", token: f.adminToken)
        #expect(close.status == 200, "\(close.text)")
        #expect(close.json["sealed_statements"] as? Int == 2)
        let payouts = try #require(close.json["payouts"] as? [[String: Any]])
        #expect(payouts.count == 2)
        let sealed = try await f.raw.send(.GET, "/v1/statements?period=2026-11", token: token)
        let sha = try #require(sealed.json["sealed_sha256"] as? String)
        #expect(sha.count == 64)
        // Anyone can check the seal: the exact sealed bytes hash to it.
        let exact = try await f.raw.send(.GET, "/v1/statements?period=2026-11&format=sealed", token: token)
        #expect(exact.status == 200)
        #expect(exact.header("synclet-sealed-sha256") == sha)
        #expect(SHA256Hasher.digest(exact.body).hex == sha)
        expectProblem(try await f.raw.send(.GET, "/v1/statements?period=2026-12&format=sealed", token: token), 409, "period-open")
        #expect(sealed.json["closing_balance_micros"] as? Int == sealed.json["opening_balance_micros"].flatMap { $0 as? Int }.map { $0 + (sealed.json["usage_micros"] as? Int ?? 0) + (sealed.json["license_sales_micros"] as? Int ?? 0) - (sealed.json["payouts_micros"] as? Int ?? 0) })
        // The payout this close made is on the statement it pays (as the API document says),
        // though its transfer was booked in December; what is left is what was carried.
        let adaPayout = try #require(payouts.first { $0["party_id"] as? String == f.ada.id.rawValue }?["amount_micros"] as? Int)
        #expect(sealed.json["payouts_micros"] as? Int == adaPayout)
        #expect(sealed.json["closing_balance_micros"] as? Int == 0)
        let decemberBefore = try await f.raw.send(.GET, "/v1/statements?period=2026-12", token: token)
        #expect(decemberBefore.json["opening_balance_micros"] as? Int == 0)
        #expect(decemberBefore.json["payouts_micros"] as? Int == 0)

        // December usage lands in December; November stays exactly as sealed.
        let december = Timestamp(rfc3339: "2026-12-05T00:00:00Z")!.rfc3339
        _ = try await UsageIngestTests.send(f, [UsageIngestTests.event("d1", license: license.id.rawValue, quantity: 5_000, at: december)])
        let again = try await f.raw.send(.GET, "/v1/statements?period=2026-11", token: token)
        #expect(again.body == sealed.body)
        let live = try await f.raw.send(.GET, "/v1/statements?period=2026-12", token: token)
        #expect((live.json["lines"] as? [[String: Any]])?.first?["quantity"] as? Int == 5_000)
        #expect(live.json["sealed_sha256"] == nil)

        // A late November event lands in December as an adjustment naming its original period.
        _ = try await UsageIngestTests.send(f, [UsageIngestTests.event("late1", license: license.id.rawValue, quantity: 2_000, at: at)])
        let withLate = try await f.raw.send(.GET, "/v1/statements?period=2026-12", token: token)
        let adjustments = try #require(withLate.json["adjustments"] as? [[String: Any]])
        #expect(adjustments.map { $0["event_id"] as? String } == ["late1"])
        #expect(adjustments.first?["original_period"] as? String == "2026-11")
        #expect(try await f.raw.send(.GET, "/v1/statements?period=2026-11", token: token).body == sealed.body)

        // A reversal in December of an event the sealed November statement holds is an
        // adjustment too (negative, naming the event); a late event reversed within December
        // is no longer listed (its line nets to nothing).
        _ = try await UsageIngestTests.send(f, [
            UsageIngestTests.event("c0-back", license: license.id.rawValue, quantity: 1, at: december, reverses: "c0"),
            UsageIngestTests.event("late1-back", license: license.id.rawValue, quantity: 1, at: december, reverses: "late1"),
        ])
        let reversed = try await f.raw.send(.GET, "/v1/statements?period=2026-12", token: token)
        let after = try #require(reversed.json["adjustments"] as? [[String: Any]])
        #expect(after.map { $0["event_id"] as? String } == ["c0-back"], "\(reversed.text)")
        #expect(after.first?["reverses"] as? String == "c0")
        #expect(after.first?["original_period"] as? String == "2026-11")
        #expect(after.first?["quantity"] as? Int == -1_000)
        #expect((after.first?["charged_micros"] as? Int ?? 0) < 0)
        // The printable statement shows the adjustments, and a sealed one its seal.
        let html = try await f.raw.send(.GET, "/v1/statements?period=2026-12&format=html", token: token).text
        #expect(html.contains("Adjustments for sealed periods") && html.contains("c0-back (reverses c0)"))
        let sealedHTML = try await f.raw.send(.GET, "/v1/statements?period=2026-11&format=html", token: token).text
        #expect(sealedHTML.contains("Sealed; SHA-256 of the sealed content: <code>\(sha)</code>"))
        #expect(try await f.raw.send(.GET, "/v1/statements?period=2026-11", token: token).body == sealed.body)

        expectProblem(try await f.raw.send(.POST, "/v1/periods/2026-11/close", token: f.adminToken), 409, "period-closed")
        expectProblem(try await f.raw.send(.POST, "/v1/periods/2026-11/close", token: token), 403)
        let csv = try await f.raw.send(.GET, "/v1/periods/2026-11/payouts", token: f.adminToken)
        #expect(csv.text.split(separator: "\r\n").count == 3)
        #expect(csv.text.hasPrefix("party_id,party_name,amount,amount_micros,currency,reference"))
        let b = try await f.balances()
        #expect(b.sum == 0 && b.mismatched == 0)
        // The database refuses to change a sealed statement.
        await #expect(throws: DatabaseError.self) {
            try await f.server.services.database.write { db in try db.execute(sql: "UPDATE sealed_statement SET content = '{}'") }
        }
    }
}

@Suite("Periods are calendar months in the configured time zone")
struct PeriodTimeZoneTests {
    @Test("usage at 00:30 on 1 December in Berlin lands in December there, though it is still November in UTC; the folder keeps its zone")
    func berlinMonths() async throws {
        let berlin = try #require(PeriodCalendar(timeZone: "Europe/Berlin"))
        // 2026-11-30 23:30 UTC is 2026-12-01 00:30 in Berlin (CET, UTC+1).
        let clock = TestClock(Timestamp(rfc3339: "2026-11-30T23:30:00Z")!.millisecondsSince1970)
        let f = try await LicensingFixture.make(clock: clock, configure: { $0.periods = berlin })
        let license = try await UsageIngestTests.license(f)
        let at = Timestamp(rfc3339: "2026-11-30T23:30:00Z")!.rfc3339
        let sent = try await UsageIngestTests.send(f, [UsageIngestTests.event("z1", license: license.id.rawValue, quantity: 20_000, at: at)])
        #expect(sent.json["accepted"] as? Int == 1, "\(sent.text)")
        let token = try await f.server.admin.issueKey(party: f.ada.id, label: "z").token
        let december = try await f.raw.send(.GET, "/v1/statements?period=2026-12", token: token)
        #expect(december.json["time_zone"] as? String == "Europe/Berlin")
        #expect((december.json["lines"] as? [[String: Any]])?.first?["quantity"] as? Int == 20_000)
        #expect((december.json["usage_micros"] as? Int ?? 0) > 0)
        let november = try await f.raw.send(.GET, "/v1/statements?period=2026-11", token: token)
        #expect((november.json["lines"] as? [[String: Any]])?.isEmpty == true)
        #expect(november.json["usage_micros"] as? Int == 0)
        // November is over in Berlin (it is December there), so it closes now, not an hour later.
        let close = try await f.raw.send(.POST, "/v1/periods/2026-11/close", token: f.adminToken)
        #expect(close.status == 200, "\(close.text)")
        expectProblem(try await f.raw.send(.POST, "/v1/periods/2026-12/close", token: f.adminToken), 409, "period-open")
        let b = try await f.balances()
        #expect(b.sum == 0 && b.mismatched == 0)
        let storage = f.server.storage
        await f.server.stop()

        // The books of this folder are kept in Berlin months: another zone is refused at start.
        await #expect(throws: ServerSetupError.self) {
            _ = try await RunningServer.start(storage: storage) { $0.periods = .utc }
        }
        let again = try await RunningServer.start(storage: storage) { $0.periods = berlin }
        await again.stop()
    }

    @Test("until money is booked, a folder may still change its zone")
    func zoneChangesBeforeMoney() async throws {
        let storage = TestFiles.makeDirectory("zones")
        await (try await RunningServer.start(storage: storage)).stop()  // first start: UTC, nothing booked
        let berlin = try #require(PeriodCalendar(timeZone: "America/New_York"))
        let server = try await RunningServer.start(storage: storage) { $0.periods = berlin }
        let zone = try await server.services.database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM ledger_setting WHERE key = 'period_time_zone'")
        }
        #expect(zone == "America/New_York")
        await server.stop()
    }
}
