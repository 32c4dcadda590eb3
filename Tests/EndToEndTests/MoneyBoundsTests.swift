import Foundation
import GRDB
import Ledger
import SyncletCore
import SyncletServer
import Testing

@Suite("Money never leaves Int64: per-event ceilings, totals that cannot be priced are rejected, and the database refuses a non-integer")
struct MoneyBoundsTests {
    /// A commercial-ads license (unlimited views, 0.50 per 1,000): the template a hostile
    /// reporter would pick to run up a charge.
    static func adsLicense(_ f: LicensingFixture) async throws -> String {
        _ = try await f.grant(200_000_000)
        let use = #"{"platform":"youtube","media":"ad","clip_seconds":30,"expected_views":50000,"term_days":365,"territory":"DE","monetized":true,"paid_ads":true}"#
        let reply = try await f.buy(template: "commercial-ads", key: "ads-1", use: use)
        #expect(reply.status == 201, "\(reply.text)")
        return try #require(reply.json["id"] as? String)
    }

    @Test("an event over its kind's per-event ceiling is rejected and books nothing; the ceiling is a limit")
    func perEventCeiling() async throws {
        let f = try await LicensingFixture.make { $0.limits.usageViewsPerEventMax = 5_000 }
        defer { Task { await f.server.stop() } }
        let license = try await Self.adsLicense(f)
        let before = try await f.balances()
        let reply = try await UsageIngestTests.send(f, [
            UsageIngestTests.event("big", license: license, quantity: 5_001),
            UsageIngestTests.event("fits", license: license, quantity: 5_000),
        ])
        let results = try #require(reply.json["results"] as? [[String: Any]])
        #expect(results[0]["status"] as? String == "rejected")
        #expect((results[0]["reason"] as? String ?? "").contains("usage-max-views-per-event"), "\(results[0])")
        #expect(results[1]["status"] as? String == "accepted")
        let after = try await f.balances()
        #expect(after.wallet == before.wallet - 2_500_000)  // 5,000 views at 0.50 per 1,000
        #expect(after.sum == 0 && after.mismatched == 0)
    }

    @Test("quantities of 10^12 run a license up to what can be priced, then are rejected; the ledger still sums to zero and every report reads")
    func hostileQuantities() async throws {
        let f = try await LicensingFixture.make { $0.limits.usageViewsPerEventMax = 1_000_000_000_000 }
        defer { Task { await f.server.stop() } }
        let license = try await Self.adsLicense(f)
        // An operator who trusts this licensee with unlimited credit: only the pricing bound is left.
        let credit = try await f.raw.json(.PUT, "/v1/wallets/\(f.lia.id)/credit-limit", token: f.adminToken, #"{"limit_micros":1000000000000000}"#)
        #expect(credit.status == 200, "\(credit.text)")
        let events = (0..<4).map { UsageIngestTests.event("huge-\($0)", license: license, quantity: 1_000_000_000_000) }
        let reply = try await UsageIngestTests.send(f, events)
        let results = try #require(reply.json["results"] as? [[String: Any]])
        // 10^12 views cost 5 × 10^14 µ: two fit under the 10^15 µ a license's charges may reach.
        #expect(results.map { $0["status"] as? String } == ["accepted", "accepted", "rejected", "rejected"], "\(results)")
        let b = try await f.balances()
        #expect(b.sum == 0 && b.mismatched == 0)
        #expect(b.wallet == 200_000_000 - 149_000_000 - 1_000_000_000_000_000)
        for path in ["/v1/wallet/spend", "/v1/wallet"] {
            #expect(try await f.raw.send(.GET, path, token: f.liaToken).status == 200, "\(path)")
        }
        let period = PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)))
        #expect(try await f.raw.send(.GET, "/v1/statements?period=\(period)&party=\(f.ada.id)", token: f.adminToken).status == 200)
        #expect(try await f.raw.send(.GET, "/v1/statements?period=\(period)&party=\(f.ada.id)&format=tsv", token: f.adminToken).status == 200)
        #expect(try await f.raw.send(.GET, "/health").status == 200)
    }

    @Test("the database refuses an amount that is not an integer or is out of range, and a sum that would overflow", arguments: [
        "UPDATE ledger_balance SET balance_micros = 1.5",
        "UPDATE ledger_balance SET balance_micros = 9223372036854775807",
        "UPDATE ledger_balance SET balance_micros = balance_micros + 9223372036854775807 + 9223372036854775807",
        "UPDATE earnings_line SET gross_micros = 'lots'",
        "UPDATE usage_counter SET total_quantity = total_quantity * 1e300",
    ])
    func databaseRefusesNonIntegers(sql: String) async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.adsLicense(f)
        _ = try await UsageIngestTests.send(f, [UsageIngestTests.event("one", license: license, quantity: 1_000)])
        await #expect(throws: DatabaseError.self) {
            try await f.server.services.database.write { db in try db.execute(sql: sql) }
        }
        let b = try await f.balances()
        #expect(b.sum == 0 && b.mismatched == 0)
    }

    @Test("a transfer of more than 10^17 µ, of nothing, or of a fraction is refused by the database")
    func transferBounds() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        _ = try await f.grant(1_000_000)
        for amount in ["100000000000000001", "2.5", "0", "-5"] {
            await #expect(throws: DatabaseError.self) {
                try await f.server.services.database.write { db in
                    let accounts = try String.fetchAll(db, sql: "SELECT id FROM ledger_account ORDER BY id LIMIT 2")
                    try db.execute(sql: """
                        INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_micros, reason, cause_type, cause_id, created_at)
                        VALUES ('trf_test', ?, ?, \(amount), 'test', 'test', 'test', 0)
                        """, arguments: [accounts[0], accounts[1]])
                }
            }
        }
    }
}

@Suite("Exports are inert: no text a client chose runs as a formula, no file name escapes its folder")
struct InertExportTests {
    @Test("platforms like =HYPERLINK(…) and @SUM(1+1)*cmd| reach CSV and TSV statements neutralised")
    func formulasNeutralised() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await MoneyBoundsTests.adsLicense(f)
        let platforms = [#"=HYPERLINK(\"http://x\",\"y\")"#, "@SUM(1+1)*cmd|", "+1", "-2"]
        let events = platforms.enumerated().map { index, platform in
            UsageIngestTests.event("f\(index)", license: license, quantity: 1_000, platform: platform)
        }
        let reply = try await UsageIngestTests.send(f, events)
        let results = try #require(reply.json["results"] as? [[String: Any]])
        #expect(results.allSatisfy { $0["status"] as? String == "accepted" }, "\(results)")
        let period = PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)))
        for (format, separator) in [("csv", ","), ("tsv", "\t")] {
            let export = try await f.raw.send(.GET, "/v1/statements?period=\(period)&party=\(f.ada.id)&format=\(format)", token: f.adminToken)
            #expect(export.status == 200)
            var cells = 0
            for line in export.text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
                for cell in line.split(separator: Character(separator), omittingEmptySubsequences: false) {
                    var text = String(cell)
                    if text.hasPrefix("\"") { text = String(text.dropFirst()) }
                    if let first = text.first, "=+@".contains(first) { Issue.record("\(format): a cell starts with \(first): \(text)") }
                    if text.hasPrefix("-"), Int64(text) == nil, Double(text) == nil { Issue.record("\(format): a cell starts with -: \(text)") }
                    cells += 1
                }
            }
            let lowered = export.text.lowercased()  // platforms are kept in lower case
            #expect(lowered.contains("'=hyperlink") && lowered.contains("'@sum(1+1)*cmd|"), "\(format)")
            #expect(cells > 20)
        }
    }
}

@Suite("Usage cannot create unbounded debt: past the credit limit it is flagged insufficient_funds")
struct CreditLimitTests {
    @Test("usage beyond the balance plus the credit limit is flagged, not charged; the operator's limit for a licensee and a top-up let it through")
    func creditLimit() async throws {
        let f = try await LicensingFixture.make { $0.limits.usageCreditLimitMicros = 1_000_000 }  // 1 unit by default here
        defer { Task { await f.server.stop() } }
        let license = try await MoneyBoundsTests.adsLicense(f)  // leaves 51 units in the wallet
        // 100,000 views cost 50 units: accepted (1 unit left).
        let first = try await UsageIngestTests.send(f, [UsageIngestTests.event("c1", license: license, quantity: 100_000)])
        #expect((first.json["results"] as? [[String: Any]])?.first?["status"] as? String == "accepted")
        // 10,000 more cost 5 units: the wallet would reach -4, past the limit of 1.
        let second = try await UsageIngestTests.send(f, [UsageIngestTests.event("c2", license: license, quantity: 10_000),
                                                         UsageIngestTests.event("c3", license: license, quantity: 2_000)])
        let results = try #require(second.json["results"] as? [[String: Any]])
        #expect(results[0]["status"] as? String == "flagged")
        #expect(results[0]["limit"] as? String == "insufficient_funds", "\(results[0])")
        #expect(results[1]["status"] as? String == "accepted")  // 1 unit (cumulative pricing): the wallet reaches 0
        var b = try await f.balances()
        #expect(b.wallet == 0)
        #expect(b.sum == 0 && b.mismatched == 0)
        // The operator gives this licensee 10 units of credit: the same use now goes through.
        let set = try await f.raw.json(.PUT, "/v1/wallets/\(f.lia.id)/credit-limit", token: f.adminToken, #"{"limit_micros":10000000}"#)
        #expect(set.status == 200 && set.json["limit_micros"] as? Int == 10_000_000)
        let third = try await UsageIngestTests.send(f, [UsageIngestTests.event("c4", license: license, quantity: 10_000)])
        #expect((third.json["results"] as? [[String: Any]])?.first?["status"] as? String == "accepted")
        b = try await f.balances()
        #expect(b.wallet == -5_000_000)
        #expect(b.sum == 0 && b.mismatched == 0)
        // Bad values are refused; null goes back to the server's default.
        expectProblem(try await f.raw.json(.PUT, "/v1/wallets/\(f.lia.id)/credit-limit", token: f.adminToken, #"{"limit_micros":-1}"#), 400)
        expectProblem(try await f.raw.json(.PUT, "/v1/wallets/\(f.lia.id)/credit-limit", token: f.adminToken, #"{"limit_micros":1e30}"#), 400)
        expectProblem(try await f.raw.json(.PUT, "/v1/wallets/\(f.ada.id)/credit-limit", token: f.adminToken, #"{"limit_micros":1}"#), 404)
        #expect(try await f.raw.json(.PUT, "/v1/wallets/\(f.lia.id)/credit-limit", token: f.adminToken, #"{"limit_micros":null}"#).status == 200)
        let fourth = try await UsageIngestTests.send(f, [UsageIngestTests.event("c5", license: license, quantity: 2)])
        #expect((fourth.json["results"] as? [[String: Any]])?.first?["status"] as? String == "flagged")
    }
}

@Suite("Uses flagged for want of funds are charged when the wallet is topped up")
struct SettleOnTopUpTests {
    @Test("a grant charges the unpaid uses oldest first, as far as the wallet then allows; a replayed grant charges nothing more")
    func topUpSettles() async throws {
        let f = try await LicensingFixture.make { $0.limits.usageCreditLimitMicros = 0 }
        defer { Task { await f.server.stop() } }
        let license = try await MoneyBoundsTests.adsLicense(f)  // 51 units left
        // 100,000 views: 50 units, paid. Then three uses of 4 units each (8,000 views): the wallet
        // holds 1, so all three wait.
        _ = try await UsageIngestTests.send(f, [UsageIngestTests.event("p1", license: license, quantity: 100_000)])
        let waiting = try await UsageIngestTests.send(f, (1...3).map { UsageIngestTests.event("w\($0)", license: license, quantity: 8_000) })
        let results = try #require(waiting.json["results"] as? [[String: Any]])
        #expect(results.allSatisfy { $0["limit"] as? String == "insufficient_funds" }, "\(results)")
        #expect(try await f.balances().wallet == 1_000_000)

        // A grant of 8 units: the wallet then holds 9 and pays two of them (8 units), oldest first.
        let grant = try await f.grant(8_000_000, key: "top-up")
        #expect(grant.status == 201)
        #expect(grant.json["balance_micros"] as? String == "1000000")
        let statuses = try await f.server.services.database.read { db in
            try Row.fetchAll(db, sql: "SELECT event_id, status, charged_micros FROM usage_event WHERE event_id LIKE 'w%' ORDER BY seq")
                .map { "\($0["event_id"] as String)=\($0["status"] as String):\($0["charged_micros"] as Int64)" }
        }
        #expect(statuses == ["w1=accepted:4000000", "w2=accepted:4000000", "w3=flagged:0"])
        var b = try await f.balances()
        #expect(b.wallet == 1_000_000 && b.sum == 0 && b.mismatched == 0)
        // The same grant again (same Idempotency-Key): nothing more is credited or charged.
        #expect(try await f.grant(8_000_000, key: "top-up").status == 201)
        b = try await f.balances()
        #expect(b.wallet == 1_000_000 && b.sum == 0)
        // The composers' statement counts the charged uses like any other.
        let period = PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)))
        let statement = try await f.raw.send(.GET, "/v1/statements?period=\(period)&party=\(f.ada.id)", token: f.adminToken).json
        let usage = statement["usage_micros"] as? Int ?? -1
        let lines = (statement["lines"] as? [[String: Any]] ?? []).compactMap { $0["share_micros"] as? Int }.reduce(0, +)
        #expect(usage == lines && usage > 0)
    }
}
