import Foundation
import GRDB
import Ledger
import SyncletClient
import SyncletCore
import SyncletServer
import Testing
import Usage

/// Replays 100,000 random operations — licenses, usage in random batch shapes, duplicates,
/// reversals, hostile quantities (past the per-event ceiling, past the API's maximum, enough
/// to exhaust the wallet and its credit limit), a period close and late events — and checks that money is conserved to the
/// micro-unit and that how events were batched changes nothing.
@Suite("Money is conserved across 100,000 random operations")
struct ConservationTests {
    struct Operation {
        var body: String
    }

    /// The same seeded sequence of events for any server: (index, JSON text).
    static func events(count: Int, licenses: [String], monthStart: Timestamp, lateAfter: Int, seed: UInt64) -> [String] {
        var random = SplitMix(seed: seed)
        var events = [String]()
        var ids = [String]()
        for index in 0..<count {
            let roll = random.next() % 100
            let license = licenses[Int(random.next() % UInt64(licenses.count))]
            // Events after the close are dated in the new month, except the late ones.
            let late = index >= lateAfter && roll < 3
            let day = index < lateAfter || late ? Int64(random.next() % 10) : 10 + Int64(random.next() % 10)
            let base = index < lateAfter || late ? monthStart : monthStart.adding(seconds: 32 * 86_400)
            let at = base.adding(seconds: day * 3_600).rfc3339
            let kind = ["view", "view", "view", "play", "use"][Int(random.next() % 5)]
            if roll >= 97, !ids.isEmpty {
                // A duplicate of an earlier event id (same body: a replay).
                events.append(events[Int(random.next() % UInt64(events.count))])
                continue
            }
            let id = "ev\(index)"
            if roll >= 93, let target = ids.randomElement(using: &random) {
                events.append(UsageIngestTests.event(id, license: license, kind: kind, quantity: 1, at: at, reverses: target))
            } else if roll == 92 {
                // Hostile quantities: at and past the per-event ceiling (10^9 views), past the API's
                // 10^12, and big enough to run wallets into their credit limit.
                let huge: [Int64] = [999_999_999, 1_000_000_000, 1_000_000_001, 1_000_000_000_000, 1_000_000_000_001, 400_000_000]
                events.append(UsageIngestTests.event(id, license: license, kind: kind, quantity: huge[Int(random.next() % UInt64(huge.count))], at: at))
            } else {
                events.append(UsageIngestTests.event(id, license: license, kind: kind, quantity: Int64(1 + random.next() % 500), at: at))
            }
            ids.append(id)
        }
        return events
    }

    /// Runs the scenario on a fresh server with the given batch sizes; returns every balance
    /// by (party name, purpose).
    static func run(batchSizes: (inout SplitMix) -> Int, seed: UInt64, periods: PeriodCalendar = .utc) async throws -> [String: Int64] {
        let monthStart = Timestamp(rfc3339: "2026-10-01T00:00:00Z")!
        let clock = TestClock(monthStart.millisecondsSince1970 + 12 * 3_600_000)
        let f = try await LicensingFixture.make(clock: clock, configure: {
            $0.payoutThresholdMicros = 1_000_000
            $0.periods = periods
        })
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(900_000_000_000)
        var licenses = [String]()
        for (index, template) in ["creator-standard", "commercial-ads", "creator-standard", "social-clip"].enumerated() {
            let use = LicensingFixture.use.replacingOccurrences(of: "\"tiktok\"", with: "\"youtube\"")
            let reply = try await f.buy(template: template, key: "lic-\(index)", use: use)
            #expect(reply.status == 201, "\(reply.text)")
            licenses.append(try JSONDecoder().decode(Wire.License.self, from: Data(reply.body)).id.rawValue)
        }
        let total = 50_000
        let closeAt = 25_000
        let events = Self.events(count: total, licenses: licenses, monthStart: monthStart, lateAfter: closeAt, seed: seed)
        var random = SplitMix(seed: seed &+ 99)
        var index = 0
        var sent = [[String]]()
        while index < total {
            if index == closeAt {
                clock.advance(seconds: 40 * 86_400)  // into November
                let close = try await f.raw.send(.POST, "/v1/periods/2026-10/close", token: f.adminToken)
                #expect(close.status == 200, "\(close.text)")
            }
            let limit = index < closeAt ? closeAt : total
            let size = min(batchSizes(&random), limit - index)
            let batch = Array(events[index..<index + size])
            let reply = try await UsageIngestTests.send(f, batch, ndjson: random.next() % 2 == 0)
            #expect(reply.status == 200, "\(reply.text.prefix(300))")
            sent.append(batch)
            index += size
        }
        // Every statement reconciles: closing = opening + usage + sales − payouts, and the
        // lines' shares are the usage.
        for party in [f.ada, f.bob] {
            let token = try await f.server.admin.issueKey(party: party.id, label: "check").token
            for period in ["2026-10", "2026-11"] {
                let statement = try await f.raw.send(.GET, "/v1/statements?period=\(period)", token: token).json
                let value = { (key: String) in statement[key] as? Int ?? 0 }
                #expect(value("closing_balance_micros") == value("opening_balance_micros") + value("usage_micros")
                        + value("license_sales_micros") - value("payouts_micros"))
                let lines = (statement["lines"] as? [[String: Any]] ?? []).compactMap { $0["share_micros"] as? Int }.reduce(0, +)
                #expect(lines == value("usage_micros"))
            }
        }
        // The hostile quantities were met: some ran a wallet into its credit limit.
        let unpaid = try await f.server.services.database.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_event WHERE flag_limit = 'insufficient_funds'") ?? 0
        }
        #expect(unpaid > 0)
        // Replaying every batch changes nothing.
        let before = try await f.balances()
        for batch in sent { _ = try await UsageIngestTests.send(f, batch) }
        let after = try await f.balances()
        #expect(before.wallet == after.wallet && before.ada == after.ada && before.bob == after.bob && before.revenue == after.revenue)
        #expect(after.sum == 0 && after.mismatched == 0)
        return try await f.server.services.database.read { db in
            var balances = [String: Int64]()
            for row in try Row.fetchAll(db, sql: """
                SELECT coalesce(p.display_name, 'platform') AS name, a.purpose, b.balance_micros FROM ledger_account a
                JOIN ledger_balance b ON b.account_id = a.id LEFT JOIN party p ON p.id = a.party_id
                """) {
                balances["\(row["name"] as String)|\(row["purpose"] as String)"] = row["balance_micros"]
            }
            return balances
        }
    }

    @Test("the ledger sums to zero, statements reconcile, replaying every batch changes nothing, and neither batching nor the period zone changes the totals")
    func conservation() async throws {
        let random = try await Self.run(batchSizes: { Int(1 + $0.next() % 2_000) }, seed: 7)
        // Other batches, and months counted in another zone: the same money everywhere.
        let fixed = try await Self.run(batchSizes: { _ in 500 }, seed: 7, periods: PeriodCalendar(timeZone: "Europe/Berlin")!)
        #expect(random.values.reduce(0, +) == 0)
        #expect(random == fixed)
    }
}

@Suite("Hostile reporters cannot break the books")
struct HostileReporterTests {
    @Test("a reporter sending huge, repeated, reversed and wrong-platform uses on every license, with top-ups between: the ledger sums to zero and every amount stays an integer in range")
    func hostileReporter() async throws {
        let f = try await LicensingFixture.make { $0.limits.usageViewsPerEventMax = 1_000_000_000_000 }
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(500_000_000)
        var licenses = [String]()
        for (index, template) in ["creator-standard", "commercial-ads", "social-clip"].enumerated() {
            let use = LicensingFixture.use.replacingOccurrences(of: "\"tiktok\"", with: "\"youtube\"")
            let reply = try await f.buy(template: template, key: "hostile-\(index)", use: use)
            #expect(reply.status == 201, "\(reply.text)")
            licenses.append(try #require(reply.json["id"] as? String))
        }
        let (reporter, _, token) = try await f.server.party(.reporter, "Hostile Tube")
        let set = try await f.raw.send(.PUT, "/v1/reporters/\(reporter.id)/platforms", token: f.adminToken,
                                       headers: ["Content-Type": "application/json"], body: Array(#"{"platforms":["youtube"]}"#.utf8))
        #expect(set.status == 200)
        var random = SplitMix(seed: 20261207)
        let quantities: [Int64] = [1, 999, 1_000_000_000, 1_000_000_000_000, 1_000_000_000_001, 9_223_372_036_854_775_807, 0, -5]
        var sent = [String]()
        var statuses = [String: Int]()
        for round in 0..<40 {
            var events = [String]()
            for index in 0..<50 {
                let id = "h\(round)-\(index)"
                let license = licenses[Int(random.next() % UInt64(licenses.count))]
                let roll = random.next() % 10
                let platform = roll == 0 ? "tiktok" : "youtube"
                let kind = ["view", "play", "use", "seconds"][Int(random.next() % 4)]
                if roll == 1, let target = sent.randomElement(using: &random) {
                    events.append(UsageIngestTests.event(id, license: license, kind: kind, quantity: 1, platform: platform, reverses: target))
                } else if roll == 2, let again = sent.randomElement(using: &random) {
                    events.append(UsageIngestTests.event(again, license: license, kind: kind, quantity: 5, platform: platform))
                } else {
                    let quantity = quantities[Int(random.next() % UInt64(quantities.count))]
                    events.append(UsageIngestTests.event(id, license: license, kind: kind, quantity: quantity, platform: platform))
                    sent.append(id)
                }
            }
            let reply = try await UsageIngestTests.send(f, events, ndjson: round % 2 == 0, token: token)
            #expect(reply.status == 200 || reply.status == 400, "\(reply.text.prefix(300))")
            for result in reply.json["results"] as? [[String: Any]] ?? [] {
                statuses[(result["status"] as? String ?? "?") + "/" + (result["limit"] as? String ?? ""), default: 0] += 1
            }
            if round % 10 == 9 { _ = try await f.grant(50_000_000, key: "between-\(round)") }  // top-ups charge waiting uses
        }
        #expect(statuses.keys.contains { $0.hasPrefix("accepted") } && statuses.keys.contains { $0.hasPrefix("rejected") }, "\(statuses)")
        let b = try await f.balances()
        #expect(b.sum == 0 && b.mismatched == 0)
        let nonIntegers = try await f.server.services.database.read { db in
            try Int.fetchOne(db, sql: """
                SELECT (SELECT count(*) FROM ledger_balance WHERE typeof(balance_micros) != 'integer')
                     + (SELECT count(*) FROM earnings_line WHERE typeof(gross_micros) != 'integer' OR typeof(quantity) != 'integer')
                     + (SELECT count(*) FROM usage_counter WHERE typeof(total_quantity) != 'integer' OR typeof(charged_micros) != 'integer')
                """) ?? -1
        }
        #expect(nonIntegers == 0)
        // Every report a composer or the licensee reads still answers.
        let period = PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)))
        for format in ["json", "csv", "tsv"] {
            #expect(try await f.raw.send(.GET, "/v1/statements?period=\(period)&party=\(f.ada.id)&format=\(format)", token: f.adminToken).status == 200)
        }
        #expect(try await f.raw.send(.GET, "/v1/wallet/spend", token: f.liaToken).status == 200)
    }
}
