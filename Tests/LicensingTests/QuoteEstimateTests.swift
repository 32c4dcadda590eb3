import Foundation
import Licensing
import SyncletCore
import Testing

/// Prices as a template states them (the type has no public memberwise initializer).
func makePricing(flat: Int64, per1000Views: Int64, perPlay: Int64, perUse: Int64) throws -> Pricing {
    let json = #"{"flat_micros":\#(flat),"per_1000_views_micros":\#(per1000Views),"per_play_micros":\#(perPlay),"per_use_micros":\#(perUse)}"#
    return try JSONDecoder().decode(Pricing.self, from: Data(json.utf8))
}

/// A month on TikTok: a term every shipped template covers, the pool's included.
let monthUse = IntendedUse(platform: "tiktok", media: .shortForm, clipSeconds: 30, expectedViews: 50_000, termDays: 30,
                           territory: "DE", monetized: true, paidAds: false)

struct NoSuchTemplate: Error {}

/// The shipped templates with one template's prices changed.
func repriced(_ id: String, _ change: (inout Pricing) -> Void) throws -> TemplateCatalog {
    var templates = try TemplateCatalog.load(directory: licensesFolder).templates
    guard let index = templates.firstIndex(where: { $0.id == id }) else { throw NoSuchTemplate() }
    change(&templates[index].pricing)
    return TemplateCatalog(templates: templates)
}

@Suite("Quote estimates: every price the template charges for the stated use")
struct QuoteEstimateTests {
    @Test("an estimate is the license price plus what usage pricing charges on each meter, part by part")
    func estimateParts() throws {
        let prices = try makePricing(flat: 19_000_000, per1000Views: 100_000, perPlay: 2_000, perUse: 250_000)
        let usage = try ExpectedUsage(views: 1_234, productions: 3, plays: 7)
        let estimate = try #require(prices.estimate(for: usage))
        #expect(estimate.items == [
            EstimateItem(what: .license, quantity: nil, micros: 19_000_000),
            EstimateItem(what: .views, quantity: 1_234, micros: 123_400),  // floor(1,234 × 0.1 ÷ 1,000 units), to the micro
            EstimateItem(what: .uses, quantity: 3, micros: 750_000),
            EstimateItem(what: .plays, quantity: 7, micros: 14_000),
        ])
        #expect(estimate.micros == 19_887_400)
        // Views are floored as usage floors them: 1 view at 0.000999 per 1,000 costs nothing.
        let cheap = try makePricing(flat: 0, per1000Views: 999, perPlay: 0, perUse: 0)
        #expect(try cheap.estimate(for: ExpectedUsage(views: 1, productions: 0))?.micros == 0)
        // Unstated: one production, no plays.
        let pool = try makePricing(flat: 0, per1000Views: 0, perPlay: 0, perUse: 250_000)
        #expect(try pool.estimate(for: ExpectedUsage(views: 50_000))?.micros == 250_000)
    }

    @Test("each metered part is what usage pricing charges for that running total, and the parts sum to the estimate, for random prices and usage")
    func estimatesSumTheirParts() throws {
        var random = SystemRandomNumberGenerator()
        let priceMax: Int64 = 1_000_000 * Money.microsPerUnit  // the most a template may charge per unit
        for round in 0..<2_000 {
            // Half small enough to check with plain arithmetic, half anywhere in range.
            let small = round % 2 == 0
            let prices = try makePricing(flat: Int64.random(in: 0...priceMax, using: &random),
                                         per1000Views: Int64.random(in: 0...(small ? 1_000_000 : priceMax), using: &random),
                                         perPlay: Int64.random(in: 0...(small ? 1_000_000 : priceMax), using: &random),
                                         perUse: Int64.random(in: 0...(small ? 1_000_000 : priceMax), using: &random))
            let usage = try ExpectedUsage(views: Int64.random(in: 0...(small ? 1_000_000 : IntendedUse.expectedViewsMax), using: &random),
                                          productions: Int64.random(in: 0...ExpectedUsage.productionsMax, using: &random),
                                          plays: Int64.random(in: 0...(small ? 1_000_000 : ExpectedUsage.playsMax), using: &random))
            let metered: [(Pricing.Meter, Int64)] = [(.views, usage.views), (.uses, usage.productions), (.plays, usage.plays)]
            let due = metered.map { Pricing.dueMicros(total: $0.1, rate: prices.rate(for: $0.0)) }
            guard let estimate = prices.estimate(for: usage) else {
                // Refused only when usage pricing itself could not charge a part.
                #expect(due.contains(nil))
                continue
            }
            #expect(estimate.items.map(\.what) == [.license, .views, .uses, .plays])
            #expect(estimate.items.map(\.quantity) == [nil, usage.views, usage.productions, usage.plays])
            #expect(estimate.items.dropFirst().map(\.micros) == due.compactMap { $0 })
            #expect(estimate.items.first?.micros == prices.flatMicros)
            #expect(estimate.items.reduce(0) { $0 + $1.micros } == estimate.micros)
            #expect(estimate.items.allSatisfy { (0...Money.amountMicrosMax).contains($0.micros) })
            if small {
                let plain = prices.flatMicros + usage.views * prices.per1000ViewsMicros / 1000
                    + usage.productions * prices.perUseMicros + usage.plays * prices.perPlayMicros
                #expect(estimate.micros == plain)
            }
        }
    }

    @Test("for one production and 50,000 views the pool's estimate counts its per-production price, and covering templates rank by the full estimate")
    func poolCountsItsProductions() throws {
        let catalog = try TemplateCatalog.load(directory: licensesFolder)
        let options = try catalog.quote(monthUse, expecting: ExpectedUsage(views: 50_000, productions: 1))
        #expect(options.map(\.template) == ["subscription-pool", "social-clip", "creator-standard", "commercial-ads"])
        #expect(options.map(\.estimatedMicros) == [250_000, 4_990_000, 24_000_000, 174_000_000])
        #expect(options.allSatisfy { $0.covers })
        let pool = try #require(options.first)
        #expect(pool.estimateItems.first(where: { $0.what == .uses }) == EstimateItem(what: .uses, quantity: 1, micros: 250_000))
        for option in options {
            #expect(option.estimateItems.reduce(0) { $0 + $1.micros } == option.estimatedMicros)
        }
        // The default is one production: the same answer unstated.
        #expect(try catalog.quote(monthUse) == options)

        // Three productions: the pool 0.75; the clip allows one, so it no longer covers.
        let three = try catalog.quote(monthUse, expecting: ExpectedUsage(views: 50_000, productions: 3))
        #expect(three.map(\.template) == ["subscription-pool", "creator-standard", "commercial-ads", "social-clip"])
        #expect(three.first?.estimatedMicros == 750_000)
        #expect(three.last?.violations.map(\.limit) == ["max_uses"])
        #expect(three.last?.violations.first?.detail == "3 productions are over the 1 allowed")

        // At 10.00 a production, three cost 30.00: the pool ranks after the standard license (24.00),
        // where a ranking by license price and views alone would have put it first at 0.
        let dear = try repriced("subscription-pool") { $0.perUseMicros = 10_000_000 }
        let ranked = try dear.quote(monthUse, expecting: ExpectedUsage(views: 50_000, productions: 3))
        #expect(ranked.map(\.template) == ["creator-standard", "subscription-pool", "commercial-ads", "social-clip"])
        #expect(ranked.map(\.estimatedMicros) == [24_000_000, 30_000_000, 174_000_000, 4_990_000])
        let covering = ranked.prefix(while: \.covers).map(\.estimatedMicros)
        #expect(covering == covering.sorted())
    }

    @Test("expected usage out of range is refused with a 422 naming the field, and never reaches the arithmetic")
    func outOfRangeUsageRefused() throws {
        let cases: [(views: Int64, productions: Int64?, plays: Int64?, field: String)] = [
            (-1, nil, nil, "use.expected_views"),
            (.max, nil, nil, "use.expected_views"),
            (IntendedUse.expectedViewsMax + 1, nil, nil, "use.expected_views"),
            (0, -1, nil, "expected_productions"),
            (0, .min, nil, "expected_productions"),
            (0, ExpectedUsage.productionsMax + 1, nil, "expected_productions"),
            (0, .max, nil, "expected_productions"),
            (0, nil, -1, "expected_plays"),
            (0, nil, ExpectedUsage.playsMax + 1, "expected_plays"),
            (0, nil, .max, "expected_plays"),
        ]
        for c in cases {
            let problem = #expect(throws: Problem.self) { try ExpectedUsage(views: c.views, productions: c.productions, plays: c.plays) }
            #expect(problem?.status == 422)
            #expect(problem?.extensions["field"] == c.field)
        }
        // A value decoded around the checks is checked again before it is priced.
        let decoded = try JSONDecoder().decode(ExpectedUsage.self, from: Data(#"{"views":50000,"productions":-5,"plays":0}"#.utf8))
        let catalog = try TemplateCatalog.load(directory: licensesFolder)
        let problem = #expect(throws: Problem.self) { try catalog.quote(monthUse, expecting: decoded) }
        #expect(problem?.status == 422)
        #expect(problem?.extensions["field"] == "expected_productions")
    }

    @Test("usage a template could not charge is refused with a 422, never wrapped or clipped")
    func unpriceableUsageRefused() throws {
        let top: Int64 = 1_000_000 * Money.microsPerUnit  // the dearest price a template may state
        let dear = try repriced("commercial-ads") { $0.perPlayMicros = top }
        // 1,000 plays at 1,000,000 units each: 10^15, the most one charge can be.
        let edge = try dear.quote(monthUse, expecting: ExpectedUsage(views: 50_000, productions: 1, plays: 1_000))
        let ads = try #require(edge.first(where: { $0.template == "commercial-ads" }))
        #expect(ads.estimateItems.last == EstimateItem(what: .plays, quantity: 1_000, micros: Money.amountMicrosMax))
        #expect(ads.estimatedMicros == 174_000_000 + Money.amountMicrosMax)
        for plays in [1_001, ExpectedUsage.playsMax] as [Int64] {
            let problem = #expect(throws: Problem.self) {
                try dear.quote(monthUse, expecting: ExpectedUsage(views: 50_000, productions: 1, plays: plays))
            }
            #expect(problem?.status == 422)
            #expect(problem?.type == "validation")
        }
        let viewsDear = try repriced("commercial-ads") { $0.per1000ViewsMicros = top }
        var huge = monthUse
        huge.expectedViews = IntendedUse.expectedViewsMax
        #expect(throws: Problem.self) { try viewsDear.quote(huge) }
    }
}
