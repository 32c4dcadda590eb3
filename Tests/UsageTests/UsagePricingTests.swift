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
        #expect(PeriodCalendar.utc.period(containing: Timestamp(rfc3339: "2026-11-30T23:59:59.999Z")!) == period)
        #expect(PeriodCalendar.utc.period(containing: Timestamp(rfc3339: "2026-12-01T00:00:00Z")!) == period.next)
        #expect(Period("2026-13") == nil)
        #expect(Period("26-11") == nil)
        #expect(Period("2027-01")!.previous == Period("2026-12"))
    }

    @Test("CSV text a spreadsheet would run as a formula is made inert; ordinary titles are untouched")
    func inertCSVText() {
        #expect(Statement.inertText("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")")
        #expect(Statement.inertText("+1") == "'+1")
        #expect(Statement.inertText("@SUM(A1)") == "'@SUM(A1)")
        #expect(Statement.inertText("-Harbour") == "'-Harbour")
        #expect(Statement.inertText("Harbour Lights") == "Harbour Lights")
        #expect(Statement.inertText("") == "")
        #expect(Statement.inertText("  =1+1") == "'  =1+1")
        #expect(Statement.inertText("\n=cmd") == "'\n=cmd")
        #expect(Statement.inertText("\u{FF1D}SUM(1)") == "'\u{FF1D}SUM(1)")
        #expect(Statement.inertText("@SUM(1+1)*cmd|") == "'@SUM(1+1)*cmd|")
    }

    @Test("periods follow the configured time zone, across daylight saving and year ends")
    func zonedPeriods() throws {
        let berlin = try #require(PeriodCalendar(timeZone: "Europe/Berlin"))
        let november = try #require(Period("2026-11"))
        // Midnight of 1 November in Berlin (CET, UTC+1) is 23:00 UTC on 31 October.
        #expect(berlin.start(of: november) == Timestamp(rfc3339: "2026-10-31T23:00:00Z"))
        #expect(berlin.period(containing: Timestamp(rfc3339: "2026-10-31T22:59:59.999Z")!) == Period("2026-10"))
        #expect(berlin.period(containing: Timestamp(rfc3339: "2026-10-31T23:00:00Z")!) == november)
        // April starts in summer time (UTC+2).
        #expect(berlin.start(of: Period("2026-04")!) == Timestamp(rfc3339: "2026-03-31T22:00:00Z"))
        let newYork = try #require(PeriodCalendar(timeZone: "America/New_York"))
        #expect(newYork.start(of: Period("2027-01")!) == Timestamp(rfc3339: "2027-01-01T05:00:00Z"))
        #expect(newYork.period(containing: Timestamp(rfc3339: "2027-01-01T04:59:59Z")!) == Period("2026-12"))
        let range = newYork.range(of: november)
        #expect(range.lowerBound == Timestamp(rfc3339: "2026-11-01T04:00:00Z"))
        #expect(range.upperBound == Timestamp(rfc3339: "2026-12-01T05:00:00Z"))
        // UTC needs no tables; unknown names and ambiguous abbreviations are refused.
        #expect(PeriodCalendar(timeZone: "UTC") == .utc)
        #expect(PeriodCalendar(timeZone: "Mars/Olympus") == nil)
        #expect(PeriodCalendar(timeZone: "CET") == nil)
    }
}
