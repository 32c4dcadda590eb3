import Foundation
import GRDB
import Ledger
import Licensing
import SyncletClient
import SyncletCore
import SyncletServer
import Usage
import Testing

@Suite("Usage comes in batches, is priced to the micro-unit and lands in statements at once")
struct UsageIngestTests {
    /// Buys a creator-standard license (0.10 per 1,000 views, up to 1,000,000 views).
    static func license(_ f: LicensingFixture, key: String = "u-1") async throws -> Wire.License {
        _ = try await f.grant(100_000_000)
        let use = LicensingFixture.use.replacingOccurrences(of: "\"tiktok\"", with: "\"youtube\"")
        let reply = try await f.buy(template: "creator-standard", key: key, use: use)
        return try JSONDecoder().decode(Wire.License.self, from: Data(reply.body))
    }

    static func event(_ id: String, license: String, kind: String = "view", quantity: Int64, platform: String = "youtube",
                      at: String = Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)).rfc3339,
                      reverses: String? = nil) -> String {
        var text = #"{"event_id":"\#(id)","license":"\#(license)","kind":"\#(kind)","quantity":\#(quantity),"platform":"\#(platform)","channel_id":"UC1","video_id":"v1","country":"DE","occurred_at":"\#(at)""#
        if let reverses { text += #","reverses":"\#(reverses)""# }
        return text + "}"
    }

    static func send(_ f: LicensingFixture, _ events: [String], ndjson: Bool = false, token: String? = nil) async throws -> RawHTTP.Reply {
        let body = ndjson ? events.joined(separator: "\n") + "\n" : "[" + events.joined(separator: ",") + "]"
        return try await f.raw.send(.POST, "/v1/usage", token: token ?? f.liaToken,
                                    headers: ["Content-Type": ndjson ? "application/x-ndjson" : "application/json"], body: Array(body.utf8))
    }

    @Test("each event gets its own result; duplicates, flags and rejections change nothing else; charges are exact")
    func perEventResults() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let afterPurchase = try await f.balances()
        let batch = try await Self.send(f, [
            Self.event("e1", license: license.id.rawValue, quantity: 1_234),
            Self.event("e2", license: license.code, quantity: 766),
            Self.event("e3", license: "lic_00000000000000000000000000", quantity: 5),
            Self.event("e4", license: license.key, quantity: 1_000_000),  // over max_views: flagged
            Self.event("e5", license: license.id.rawValue, quantity: 10, at: "2099-01-01T00:00:00Z"),
        ])
        #expect(batch.status == 200, "\(batch.text)")
        let results = try #require(batch.json["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["accepted", "accepted", "rejected", "flagged", "rejected"])
        #expect(results[3]["limit"] as? String == "max_views")
        #expect(results[3]["suggested_template"] as? String == "commercial-ads")
        // 2,000 views at 0.10 per 1,000 = 0.2 = 200,000 µ; 1,234 views charged 123,400 then 766 more 76,600.
        #expect(results[0]["charged_micros"] as? Int == 123_400)
        #expect(results[1]["charged_micros"] as? Int == 76_600)
        let b = try await f.balances()
        #expect(b.wallet == afterPurchase.wallet - 200_000)
        #expect(b.sum == 0 && b.mismatched == 0)

        // Replaying the batch changes nothing.
        let replay = try await Self.send(f, [Self.event("e1", license: license.id.rawValue, quantity: 1_234)])
        #expect((replay.json["results"] as? [[String: Any]])?.first?["status"] as? String == "duplicate")
        #expect(try await f.balances().wallet == b.wallet)

        // The statement is current now: Ada 60 %, Bob 40 % of 200,000 µ less the 20 % fee.
        let statement = try await f.raw.send(.GET, "/v1/statements?period=\(PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))))",
                                             token: try await adaToken(f))
        #expect(statement.status == 200)
        let lines = try #require(statement.json["lines"] as? [[String: Any]])
        #expect(lines.count == 1)
        #expect(lines.first?["quantity"] as? Int == 2_000)
        #expect(lines.first?["gross_micros"] as? Int == 200_000)
        #expect(lines.first?["share_micros"] as? Int == 96_000)
        #expect(statement.json["usage_micros"] as? Int == 96_000)
    }

    @Test("use before the license (beyond clock skew) is flagged outside the term; a few seconds of skew are forgiven")
    func termAndSkew() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let hourBefore = license.issuedAt.adding(seconds: -3_600).rfc3339
        let secondsBefore = license.issuedAt.adding(seconds: -10).rfc3339
        let reply = try await Self.send(f, [
            Self.event("k1", license: license.id.rawValue, quantity: 10, at: hourBefore),
            Self.event("k2", license: license.id.rawValue, quantity: 10, at: secondsBefore),
        ])
        let results = try #require(reply.json["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["flagged", "accepted"])
        #expect(results[0]["limit"] as? String == "term_days")
    }

    @Test("NDJSON rejects a malformed line by its number and books the rest")
    func ndjsonLines() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let reply = try await Self.send(f, [
            Self.event("n1", license: license.id.rawValue, quantity: 100),
            #"{"event_id": "n2", "license": "#,
            Self.event("n3", license: license.id.rawValue, quantity: 0),
            Self.event("n4", license: license.id.rawValue, quantity: 100),
        ], ndjson: true)
        let results = try #require(reply.json["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["accepted", "rejected", "rejected", "accepted"])
        #expect(results[1]["line"] as? Int == 2)
        #expect(results[2]["line"] as? Int == 3)
    }

    @Test("NDJSON lines that only parse when joined (a string across lines, two values on a line) are each rejected by their own number")
    func ndjsonLinesStayLines() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let good = Self.event("j1", license: license.id.rawValue, quantity: 100)
        let reply = try await Self.send(f, [
            #"{"event_id":"j0","note":"}"#,
            #"{"b":1}"}"#,
            good + "," + Self.event("j2", license: license.id.rawValue, quantity: 100),
            Self.event("j3", license: license.id.rawValue, quantity: -5),
            good,
        ], ndjson: true)
        let results = try #require(reply.json["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["rejected", "rejected", "rejected", "rejected", "accepted"])
        #expect(results.map { $0["line"] as? Int } == [1, 2, 3, 4, 5])
        #expect((results[3]["reason"] as? String)?.contains("at least 1") == true)
        #expect(results[4]["event_id"] as? String == "j1")
    }

    @Test("an NDJSON batch of more than 10,000 lines is refused whole with 413")
    func oversizeNDJSON() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let events = (0..<10_001).map { Self.event("nd\($0)", license: license.id.rawValue, quantity: 1) }
        expectProblem(try await Self.send(f, events, ndjson: true), 413, "too-large")
        let count = try await f.server.services.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_event") }
        #expect(count == 0)
    }

    @Test("in one batch: a spending cap flags what would pass it, a reversal of an event from the same batch frees its spend")
    func capAndReversalInOneBatch() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)  // 19.00 spent this month
        let cap = try await f.raw.send(.PUT, "/v1/wallets/\(f.lia.id)/cap", token: f.adminToken,
                                       headers: ["Content-Type": "application/json"], body: Array(#"{"monthly_cap_micros":19050000}"#.utf8))
        #expect(cap.status == 200)
        let before = try await f.balances()
        let id = license.id.rawValue
        let reply = try await Self.send(f, [
            Self.event("k1", license: id, quantity: 300),               // 0.03: 19.03 of 19.05
            Self.event("k2", license: id, quantity: 300),               // would make 19.06: flagged
            Self.event("k3", license: id, quantity: 1, reverses: "k1"),     // back to 19.00
            Self.event("k4", license: id, quantity: 200),               // 0.02: 19.02
        ])
        let results = try #require(reply.json["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["accepted", "flagged", "accepted", "accepted"], "\(reply.text)")
        #expect(results[1]["limit"] as? String == "spending_cap")
        #expect(results.map { $0["charged_micros"] as? Int } == [30_000, nil, -30_000, 20_000])
        let after = try await f.balances()
        #expect(before.wallet - after.wallet == 20_000)
        #expect(after.sum == 0 && after.mismatched == 0)
        // The statement line nets the reversal: 200 views, 0.02 gross.
        let statement = try await f.raw.send(.GET, "/v1/statements?period=\(PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))))",
                                             token: try await adaToken(f))
        let lines = try #require(statement.json["lines"] as? [[String: Any]])
        #expect(lines.map { $0["quantity"] as? Int } == [200])
        #expect(lines.map { $0["gross_micros"] as? Int } == [20_000])
    }

    @Test("usage is charged at the prices the license was sold with, even after the template's prices change")
    func pricesPinnedToTheLicense() async throws {
        let licenses = TestFiles.makeDirectory("licenses")
        for name in try FileManager.default.contentsOfDirectory(atPath: TestFiles.licensesFolder) {
            try FileManager.default.copyItem(atPath: "\(TestFiles.licensesFolder)/\(name)", toPath: "\(licenses)/\(name)")
        }
        let f = try await LicensingFixture.make(configure: { $0.licenses = licenses })
        let license = try await Self.license(f)
        let storage = f.server.storage
        await f.server.stop()
        // The operator raises creator-standard's per-view price tenfold.
        let path = "\(licenses)/creator-standard.json"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"per_1000_views_micros\": 100000"))
        try text.replacingOccurrences(of: "\"per_1000_views_micros\": 100000", with: "\"per_1000_views_micros\": 1000000")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let server = try await RunningServer.start(storage: storage) { $0.licenses = licenses }
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        let reply = try await raw.send(.POST, "/v1/usage", token: f.liaToken, headers: ["Content-Type": "application/json"],
                                       body: Array(("[" + Self.event("pp1", license: license.id.rawValue, quantity: 10_000) + "]").utf8))
        // 10,000 views at 0.10 per 1,000 (as sold): 1.00, not the 10.00 of the new price.
        #expect((reply.json["results"] as? [[String: Any]])?.first?["charged_micros"] as? Int == 1_000_000, "\(reply.text)")
    }

    @Test("an event booked before events kept their split is reversed from its own transfers, and the statement still reconciles")
    func legacyReversal() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let before = try await f.balances()
        // One event alone in its batch is booked with transfers caused by its own seq, as every
        // event was before splits were kept on the row; then its row is made to look that old.
        _ = try await Self.send(f, [Self.event("old1", license: license.id.rawValue, quantity: 7_777)])
        try await f.server.services.database.write { db in
            try db.execute(sql: "UPDATE usage_event SET fee_micros = NULL, shares = NULL WHERE event_id = 'old1'")
        }
        // The co-writers agree new splits before the reversal: it must take back what was paid, not today's shares.
        _ = try await f.adaClient.replaceSplits(f.asset.id, [SplitShare(partyID: f.ada.id, basisPoints: 5000), SplitShare(partyID: f.bob.id, basisPoints: 5000)])
        let reply = try await Self.send(f, [Self.event("old1-back", license: license.id.rawValue, quantity: 1, reverses: "old1")])
        #expect((reply.json["results"] as? [[String: Any]])?.first?["status"] as? String == "accepted", "\(reply.text)")
        let after = try await f.balances()
        #expect(after.wallet == before.wallet && after.ada == before.ada && after.bob == before.bob && after.revenue == before.revenue)
        #expect(after.sum == 0 && after.mismatched == 0)
        let period = PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)))
        let statement = try await f.raw.send(.GET, "/v1/statements?period=\(period)", token: try await adaToken(f))
        let lines = try #require(statement.json["lines"] as? [[String: Any]])
        #expect(lines.map { $0["share_micros"] as? Int ?? -1 }.reduce(0, +) == statement.json["usage_micros"] as? Int)
        #expect(statement.json["usage_micros"] as? Int == 0)
    }

    @Test("a reversal books the exact opposite, once; reversing an unknown event is rejected")
    func reversals() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let before = try await f.balances()
        _ = try await Self.send(f, [Self.event("r1", license: license.id.rawValue, quantity: 5_000)])
        let reply = try await Self.send(f, [
            Self.event("r2", license: license.id.rawValue, quantity: 5_000, reverses: "r1"),
            Self.event("r3", license: license.id.rawValue, quantity: 5_000, reverses: "r1"),
            Self.event("r4", license: license.id.rawValue, quantity: 1, reverses: "nope"),
        ])
        #expect((reply.json["results"] as? [[String: Any]])?.map { $0["status"] as? String } == ["accepted", "rejected", "rejected"])
        let after = try await f.balances()
        #expect(after.wallet == before.wallet && after.ada == before.ada && after.bob == before.bob && after.revenue == before.revenue)
        #expect(after.sum == 0 && after.mismatched == 0)
    }

    @Test("another licensee's license is unknown to you; reporters report only for their platforms")
    func ownership() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let (_, _, otherToken) = try await f.server.party(.licensee, "Other")
        let balancesBefore = try await f.balances()
        let other = try await Self.send(f, [Self.event("o1", license: license.id.rawValue, quantity: 10)], token: otherToken)
        #expect((other.json["results"] as? [[String: Any]])?.first?["status"] as? String == "rejected")
        let (reporter, _, reporterToken) = try await f.server.party(.reporter, "Tube")
        let before = try await Self.send(f, [Self.event("p1", license: license.id.rawValue, quantity: 10)], token: reporterToken)
        #expect((before.json["results"] as? [[String: Any]])?.first?["status"] as? String == "rejected")
        // Refused events leave no row and move no money.
        let balancesAfter = try await f.balances()
        #expect(balancesAfter.wallet == balancesBefore.wallet && balancesAfter.ada == balancesBefore.ada && balancesAfter.revenue == balancesBefore.revenue)
        let stored = try await f.server.services.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_event") }
        #expect(stored == 0)
        let set = try await f.raw.send(.PUT, "/v1/reporters/\(reporter.id)/platforms", token: f.adminToken,
                                       headers: ["Content-Type": "application/json"], body: Array(#"{"platforms":["YouTube"]}"#.utf8))
        #expect(set.status == 200)
        let allowed = try await Self.send(f, [Self.event("p2", license: license.id.rawValue, quantity: 10)], token: reporterToken)
        #expect((allowed.json["results"] as? [[String: Any]])?.first?["status"] as? String == "accepted")
        expectProblem(try await Self.send(f, [Self.event("c1", license: license.id.rawValue, quantity: 1)], token: try await adaToken(f)), 403)
    }

    @Test("a batch over the limit is refused whole with 413")
    func oversizeBatch() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let events = (0..<10_001).map { Self.event("b\($0)", license: license.id.rawValue, quantity: 1) }
        expectProblem(try await Self.send(f, events), 413, "too-large")
        let count = try await f.server.services.database.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM usage_event") }
        #expect(count == 0)
    }

    @Test("the totals do not depend on how events are batched")
    func batchingIndependence() async throws {
        var totals = [Int64]()
        for shape in [[300], [1, 1, 1, 297], [100, 100, 100], [7, 50, 243]] {
            let f = try await LicensingFixture.make()
            let license = try await Self.license(f)
            var index = 0
            for size in shape {
                let events = (0..<size).map { offset in
                    Self.event("x\(index + offset)", license: license.id.rawValue, quantity: Int64(137 + (index + offset) % 11))
                }
                index += size
                #expect(try await Self.send(f, events).status == 200)
            }
            let b = try await f.balances()
            #expect(b.sum == 0 && b.mismatched == 0)
            totals.append(b.ada * 1_000_000_000 + b.bob)
            await f.server.stop()
        }
        #expect(Set(totals).count == 1)
    }

    @Test("statements export as CSV that parses back to the same totals, as DSR-like TSV and HTML; lines trace to their events")
    func exportsAndTraceability() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        _ = try await Self.send(f, (0..<25).map { Self.event("t\($0)", license: license.id.rawValue, quantity: Int64(400 + $0)) })
        let token = try await adaToken(f)
        let period = PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))).description
        let json = try await f.raw.send(.GET, "/v1/statements?period=\(period)", token: token)
        let lines = try #require(json.json["lines"] as? [[String: Any]])
        let shareTotal = lines.compactMap { $0["share_micros"] as? Int }.reduce(0, +)
        let csv = try await f.raw.send(.GET, "/v1/statements?period=\(period)&format=csv", token: token)
        #expect(csv.header("content-type")?.hasPrefix("text/csv") == true)
        let rows = csv.text.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.first?.contains("share_micros") == true)
        let column = try #require(rows.first?.firstIndex(of: "share_micros"))
        #expect(rows.dropFirst().compactMap { Int($0[column]) }.reduce(0, +) == shareTotal)
        let tsv = try await f.raw.send(.GET, "/v1/statements?period=\(period)&format=tsv", token: token)
        #expect(tsv.text.hasPrefix("HEAD\t"))
        #expect(tsv.text.contains("\nFOOT\t"))
        let html = try await f.raw.send(.GET, "/v1/statements?period=\(period)&format=html", token: token)
        #expect(html.text.contains("<table>"))
        expectProblem(try await f.raw.send(.GET, "/v1/statements?period=\(period)&format=pdf", token: token), 400)
        expectProblem(try await f.raw.send(.GET, "/v1/statements?period=2026-13", token: token), 400)
        expectProblem(try await f.raw.send(.GET, "/v1/statements?period=\(period)&party=\(f.bob.id)", token: token), 404)

        var traced = [String]()
        var cursor: String? = nil
        repeat {
            let path = "/v1/statements/lines/1/events?period=\(period)&limit=10" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try await f.raw.send(.GET, path, token: token)
            let items = try #require(page.json["items"] as? [[String: Any]])
            #expect(items.allSatisfy { $0["license_id"] as? String == license.id.rawValue && ($0["terms_sha256"] as? String)?.count == 64 })
            traced += items.compactMap { $0["event_id"] as? String }
            cursor = page.json["next_cursor"] as? String
        } while cursor != nil
        #expect(Set(traced) == Set((0..<25).map { "t\($0)" }))
        expectProblem(try await f.raw.send(.GET, "/v1/statements/lines/9/events?period=\(period)", token: token), 404)
    }

    @Test("a line's events include its reversals, negative and naming what they reverse, so they add up to the line")
    func lineEventsAddUp() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let license = try await Self.license(f)
        let id = license.id.rawValue
        _ = try await Self.send(f, [Self.event("a1", license: id, quantity: 1_000), Self.event("a2", license: id, quantity: 3_000),
                                    Self.event("a3", license: id, quantity: 500)])
        _ = try await Self.send(f, [Self.event("a2-back", license: id, quantity: 1, reverses: "a2")])
        let token = try await adaToken(f)
        let period = PeriodCalendar.utc.period(containing: Timestamp(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000))).description
        let statement = try await f.raw.send(.GET, "/v1/statements?period=\(period)", token: token)
        let line = try #require((statement.json["lines"] as? [[String: Any]])?.first)
        let events = try await f.raw.send(.GET, "/v1/statements/lines/1/events?period=\(period)", token: token)
        let items = try #require(events.json["items"] as? [[String: Any]])
        #expect(items.compactMap { $0["event_id"] as? String } == ["a1", "a2", "a3", "a2-back"])
        let reversal = try #require(items.last)
        #expect(reversal["reverses"] as? String == "a2")
        #expect(reversal["quantity"] as? Int == -3_000)
        #expect(items.compactMap { $0["quantity"] as? Int }.reduce(0, +) == line["quantity"] as? Int)
        #expect(items.compactMap { $0["charged_micros"] as? Int }.reduce(0, +) == line["gross_micros"] as? Int)
        #expect(line["quantity"] as? Int == 1_500)
    }

    func adaToken(_ f: LicensingFixture) async throws -> String {
        try await f.server.admin.issueKey(party: f.ada.id, label: "statements").token
    }
}
