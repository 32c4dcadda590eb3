import Licensing
import SyncletCore

/// What a usage event reports.
public enum UsageKind: String, Codable, Sendable, CaseIterable {
    case view, play, use, seconds
}

/// Cumulative micro-pricing: the charge for a license and kind is always
/// `floor(total quantity × price ÷ unit)` minus what was already charged, so no fraction of
/// a micro-unit is lost or invented, however the events are batched.
public enum UsagePricing {
    /// The price per unit and the unit size for a kind, from a template's pricing: the table
    /// quotes estimate with too (`Pricing.rate`). Seconds are counted, never priced.
    public static func rate(for kind: UsageKind, pricing: (per1000Views: Int64, perPlay: Int64, perUse: Int64)) -> (priceMicros: Int64, unit: Int64) {
        guard let meter = kind.meter else { return (0, 1) }
        return Pricing.rate(for: meter, per1000ViewsMicros: pricing.per1000Views, perPlayMicros: pricing.perPlay, perUseMicros: pricing.perUse)
    }

    /// What a license has been charged in all on a kind once its running total is `total`, or
    /// nil past what the books hold: the rule quotes estimate with too (`Pricing.dueMicros`).
    public static func dueMicros(total: Int64, rate: (priceMicros: Int64, unit: Int64)) -> Int64? {
        Pricing.dueMicros(total: total, rate: rate)
    }

    /// The charge due now, given the running totals before and after this event.
    public static func chargeNow(totalQuantityAfter: Int64, alreadyChargedMicros: Int64, priceMicros: Int64, unit: Int64) -> Int64 {
        let due = Money.floorProduct(quantity: totalQuantityAfter, priceMicros: priceMicros, per: unit)
        precondition(due >= alreadyChargedMicros, "cumulative charges never go down")
        return due - alreadyChargedMicros
    }
}

extension UsageKind {
    /// The meter a kind is priced on; nil for seconds, which are counted but never priced.
    public var meter: Pricing.Meter? {
        switch self {
        case .view: .views
        case .play: .plays
        case .use: .uses
        case .seconds: nil
        }
    }
}
