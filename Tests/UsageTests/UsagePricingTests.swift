import SyncletCore
import Testing
import Usage

@Suite("Cumulative micro-pricing never loses or invents a micro-unit")
struct UsagePricingTests {
    @Test("charging event by event equals charging the total at once, for any batching")
    func batchingDoesNotMatter() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let price = Int64.random(in: 1...2_000_000, using: &random)
            let unit = [1, 1000].randomElement(using: &random)!
            let quantities = (0..<Int.random(in: 1...50, using: &random)).map { _ in Int64.random(in: 1...5_000, using: &random) }
            var total: Int64 = 0
            var charged: Int64 = 0
            for quantity in quantities {
                total += quantity
                let now = UsagePricing.chargeNow(totalQuantityAfter: total, alreadyChargedMicros: charged, priceMicros: price, unit: Int64(unit))
                #expect(now >= 0)
                charged += now
            }
            #expect(charged == Money.floorProduct(quantity: total, priceMicros: price, per: Int64(unit)))
        }
    }

    @Test("views are priced per 1,000, plays and uses per one; seconds are free")
    func rates() {
        let pricing: (Int64, Int64, Int64) = (100_000, 2_000, 250_000)
        #expect(UsagePricing.rate(for: .view, pricing: pricing) == (100_000, 1000))
        #expect(UsagePricing.rate(for: .play, pricing: pricing) == (2_000, 1))
        #expect(UsagePricing.rate(for: .use, pricing: pricing) == (250_000, 1))
        #expect(UsagePricing.rate(for: .seconds, pricing: pricing).priceMicros == 0)
        // 1,234 views at 0.10 per 1,000: 123,400 µ; one more view adds 100 µ.
        #expect(UsagePricing.chargeNow(totalQuantityAfter: 1_234, alreadyChargedMicros: 0, priceMicros: 100_000, unit: 1000) == 123_400)
        #expect(UsagePricing.chargeNow(totalQuantityAfter: 1_235, alreadyChargedMicros: 123_400, priceMicros: 100_000, unit: 1000) == 100)
    }

    @Test("periods parse, print and step month by month")
    func periods() throws {
        let period = try #require(Period("2026-11"))
        #expect(period.description == "2026-11")
        #expect(period.next.description == "2026-12")
        #expect(period.next.next.description == "2027-01")
        #expect(Period(containing: Timestamp(rfc3339: "2026-11-30T23:59:59.999Z")!) == period)
        #expect(Period("2026-13") == nil)
        #expect(Period("26-11") == nil)
    }
}
