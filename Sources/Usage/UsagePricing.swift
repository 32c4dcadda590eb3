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

/// A calendar month, `YYYY-MM`, the unit of statements and period closes.
public struct Period: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int64
    public let month: Int64

    public init?(_ text: String) {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int64(parts[0]), let month = Int64(parts[1]),
              (1...12).contains(month), (1970...9999).contains(year) else { return nil }
        self.year = year
        self.month = month
    }

    /// The period an instant falls in (UTC).
    public init(containing time: Timestamp) {
        let days = time.millisecondsSince1970 >= 0 ? time.millisecondsSince1970 / 86_400_000 : (time.millisecondsSince1970 - 86_399_999) / 86_400_000
        let (year, month, _) = CivilDate.fromDays(days)
        self.year = year
        self.month = month
    }

    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }
    public var start: Timestamp { Timestamp(millisecondsSince1970: CivilDate.toDays(year: year, month: month, day: 1) * 86_400_000) }
    public var next: Period { Period(containing: start.adding(seconds: 32 * 86_400)) }

    public static func < (lhs: Period, rhs: Period) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let period = Period(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a YYYY-MM period")
        }
        self = period
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
