import AsyncHTTPClient
import Foundation
import Licensing
import NIOCore
import SyncletClient
import SyncletCore
import Testing

@Suite("Quotes count every price of the stated use and say what they assumed")
struct QuoteTests {
    /// The fixture's use for a month: a term every shipped template covers, the pool's included.
    static let monthUse = LicensingFixture.use.replacingOccurrences(of: #""term_days":90"#, with: #""term_days":30"#)

    func quote(_ f: LicensingFixture, _ extra: String = "", use: String = QuoteTests.monthUse) async throws -> RawHTTP.Reply {
        try await f.raw.json(.POST, "/v1/quotes", token: f.liaToken, #"{"asset_id":"\#(f.asset.id)","use":\#(use)\#(extra)}"#)
    }

    @Test("for one production and 50,000 views the pool's estimate counts its per-production price, the parts sum to the estimate, the ranking follows it, and the answer says what it assumed")
    func fullEstimate() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        // Unstated, one production and no plays: the same answer as stated.
        for extra in ["", #","expected_productions":1"#, #","expected_productions":1,"expected_plays":0"#] {
            let reply = try await quote(f, extra)
            #expect(reply.status == 200, "\(reply.text)")
            let assumed = try #require(reply.json["assumed"] as? [String: Any])
            #expect(assumed["views"] as? Int == 50_000)
            #expect(assumed["productions"] as? Int == 1)
            #expect(assumed["plays"] as? Int == 0)
            let options = try #require(reply.json["options"] as? [[String: Any]])
            #expect(options.map { $0["template"] as? String } == ["subscription-pool", "social-clip", "creator-standard", "commercial-ads"])
            #expect(options.map { $0["estimated_micros"] as? Int } == [250_000, 4_990_000, 24_000_000, 174_000_000])
            for option in options {
                let items = try #require(option["estimate_items"] as? [[String: Any]])
                #expect(items.map { $0["what"] as? String } == ["license", "views", "uses", "plays"])
                #expect(items.map { $0["quantity"] as? Int } == [nil, 50_000, 1, 0])
                #expect(items.compactMap { $0["micros"] as? Int }.reduce(0, +) == option["estimated_micros"] as? Int)
            }
            let poolItems = try #require(options.first?["estimate_items"] as? [[String: Any]])
            #expect(poolItems.first(where: { $0["what"] as? String == "uses" })?["micros"] as? Int == 250_000)
        }

        // Three productions through the client: the pool 0.75, and the clip (one production) no longer covers.
        let use = IntendedUse(platform: "tiktok", media: .shortForm, clipSeconds: 30, expectedViews: 50_000, termDays: 30,
                              territory: "DE", monetized: true, paidAds: false)
        let expected = try ExpectedUsage(views: 50_000, productions: 3, plays: 0)
        let typed = try await f.adaClient.quote(asset: f.asset.id, use: use, productions: 3)
        #expect(typed.assumed == expected)
        #expect(typed.options.map(\.template) == ["subscription-pool", "creator-standard", "commercial-ads", "social-clip"])
        #expect(typed.options.first?.estimatedMicros == 750_000)
        #expect(typed.options.last?.violations.map(\.limit) == ["max_uses"])
        #expect(typed.options.allSatisfy { option in option.estimateItems.reduce(0) { $0 + $1.micros } == option.estimatedMicros })
    }

    @Test("hostile expected usage (negative, past the bounds, Int64.max, not an integer, unknown) is refused with a 400 and the server answers on")
    func hostileNumbers() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        for views in ["-1", "9223372036854775807", "1000000000001"] {
            let use = Self.monthUse.replacingOccurrences(of: #""expected_views":50000"#, with: #""expected_views":\#(views)"#)
            expectProblem(try await quote(f, use: use), 400, "bad-request")
        }
        let extras = [
            #","expected_productions":-1"#, #","expected_productions":1000001"#, #","expected_productions":9223372036854775807"#,
            #","expected_productions":-9223372036854775808"#, #","expected_productions":1.5"#, #","expected_productions":"3""#,
            #","expected_productions":null"#, #","expected_plays":-1"#, #","expected_plays":1000000000001"#,
            #","expected_plays":9223372036854775807"#, #","expected_plays":1e300"#, #","expected_plays":99999999999999999999999"#,
            #","expected_uses":1"#,
        ]
        for extra in extras {
            expectProblem(try await quote(f, extra), 400, "bad-request")
        }
        #expect(try await quote(f).status == 200)
    }

    @Test("usage a template could not charge is refused with a 422, never wrapped or clipped")
    func unpriceableUsage() async throws {
        // The shipped templates, commercial-ads charging the most a template may per play.
        let folder = TestFiles.makeDirectory("templates")
        for name in try FileManager.default.contentsOfDirectory(atPath: TestFiles.licensesFolder)
        where (name.hasSuffix(".json") || name.hasSuffix(".md")) && name != "README.md" {
            var text = try String(contentsOfFile: TestFiles.licensesFolder + "/" + name, encoding: .utf8)
            if name == "commercial-ads.json" {
                text = text.replacingOccurrences(of: #""per_play_micros": 0"#, with: #""per_play_micros": 1000000000000"#)
                #expect(text.contains("1000000000000"))
            }
            try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8)
        }
        let f = try await LicensingFixture.make { $0.licenses = folder }
        defer { Task { await f.server.stop() } }
        // 1,000 plays at 1,000,000 units: 10^15 micro-units, the most one charge can be.
        let edge = try await quote(f, #","expected_plays":1000"#)
        #expect(edge.status == 200, "\(edge.text)")
        let options = try #require(edge.json["options"] as? [[String: Any]])
        let ads = try #require(options.first(where: { $0["template"] as? String == "commercial-ads" }))
        #expect(ads["estimated_micros"] as? Int == 174_000_000 + 1_000_000_000_000_000)
        expectProblem(try await quote(f, #","expected_plays":1001"#), 422, "validation")
        expectProblem(try await quote(f, #","expected_plays":1000000000000"#), 422, "validation")
        #expect(try await quote(f).status == 200)
    }
}
