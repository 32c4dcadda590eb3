import SyncletCore

/// What a usage event reports.
public enum UsageKind: String, Codable, Sendable, CaseIterable {
    case view, play, use, seconds
}

/// Cumulative micro-pricing: the charge for a license and kind is always
/// `floor(total quantity × price ÷ unit)` minus what was already charged, so no fraction of
/// a micro-unit is lost or invented, however the events are batched.
public enum UsagePricing {
    /// The price per unit and the unit size for a kind, from a template's pricing.
    public static func rate(for kind: UsageKind, pricing: (per1000Views: Int64, perPlay: Int64, perUse: Int64)) -> (priceMicros: Int64, unit: Int64) {
        switch kind {
        case .view: (pricing.per1000Views, 1000)
        case .play: (pricing.perPlay, 1)
        case .use: (pricing.perUse, 1)
        case .seconds: (0, 1)
        }
    }

    /// The charge due now, given the running totals before and after this event.
    public static func chargeNow(totalQuantityAfter: Int64, alreadyChargedMicros: Int64, priceMicros: Int64, unit: Int64) -> Int64 {
        let due = Money.floorProduct(quantity: totalQuantityAfter, priceMicros: priceMicros, per: unit)
        precondition(due >= alreadyChargedMicros, "cumulative charges never go down")
        return due - alreadyChargedMicros
    }
}
