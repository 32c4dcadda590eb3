/// An amount of the deployment's currency in micro-units (1 unit = 1,000,000 µ). Integer
/// only: no floating point ever touches money.
public struct Money: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var micros: Int64

    public static let microsPerUnit: Int64 = 1_000_000
    /// The largest single amount the books hold (a transfer, a price, a charge, a payment):
    /// 10^15 µ, a thousand million units. The database refuses more (see `Ledger.integerChecks`).
    public static let amountMicrosMax: Int64 = 1_000_000_000_000_000
    /// The largest running total the books hold in magnitude (a balance, a statement line, a
    /// usage counter): 10^17. Sums of up to 92 of them still fit in Int64.
    public static let totalMicrosMax: Int64 = 100_000_000_000_000_000
    public static let zero = Money(micros: 0)

    public init(micros: Int64) { self.micros = micros }

    public static func < (lhs: Money, rhs: Money) -> Bool { lhs.micros < rhs.micros }

    /// Adds, trapping on overflow (an overflow of money is a bug, never a wrap-around).
    public static func + (lhs: Money, rhs: Money) -> Money { Money(micros: lhs.micros + rhs.micros) }
    public static func - (lhs: Money, rhs: Money) -> Money { Money(micros: lhs.micros - rhs.micros) }

    /// The decimal form, e.g. `12.345678` or `-0.000001`, always six decimals.
    public var decimal: String {
        let sign = micros < 0 ? "-" : ""
        let magnitude = micros.magnitude
        let units = magnitude / UInt64(Self.microsPerUnit)
        let fraction = String(magnitude % UInt64(Self.microsPerUnit))
        return "\(sign)\(units).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
    }

    public var description: String { decimal }

    /// Parses a decimal amount such as `12`, `12.5` or `0.000001`; `nil` for anything with
    /// more than six decimals, a sign it should not have, or out of range.
    public init?(decimal text: String) {
        var rest = Substring(text)
        let negative = rest.first == "-"
        if negative { rest = rest.dropFirst() }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy(\.isASCIIDigit),
              let units = Int64(parts[0]) else { return nil }
        var fraction: Int64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 6, digits.allSatisfy(\.isASCIIDigit), let value = Int64(digits) else { return nil }
            fraction = value * [1, 100_000, 10_000, 1_000, 100, 10, 1][digits.count]
        }
        let (scaled, overflow) = units.multipliedReportingOverflow(by: Self.microsPerUnit)
        guard !overflow else { return nil }
        let (total, overflow2) = scaled.addingReportingOverflow(fraction)
        guard !overflow2 else { return nil }
        micros = negative ? -total : total
    }

    /// `floor(quantity × price ÷ unit)` without overflow for any Int64 quantity and price:
    /// the exact micro-pricing rule of per-use charges.
    public static func floorProduct(quantity: Int64, priceMicros: Int64, per unit: Int64) -> Int64 {
        guard let result = floorProductIfRepresentable(quantity: quantity, priceMicros: priceMicros, per: unit) else {
            preconditionFailure("floor(\(quantity) × \(priceMicros) ÷ \(unit)) does not fit in 64 bits; bound the inputs first")
        }
        return result
    }

    /// `floor(quantity × price ÷ unit)`, or nil when the result does not fit in 64 bits.
    public static func floorProductIfRepresentable(quantity: Int64, priceMicros: Int64, per unit: Int64) -> Int64? {
        precondition(quantity >= 0 && priceMicros >= 0 && unit > 0)
        let product = quantity.multipliedFullWidth(by: priceMicros)
        // The quotient fits in Int64 when product < unit × 2^63, i.e. 2·high + (top bit of low) < unit
        // (product < 2^126 here, so 2·high cannot overflow).
        guard 2 * product.high + Int64(product.low >> 63) < unit else { return nil }
        let (quotient, _) = unit.dividingFullWidth((high: product.high, low: product.low))
        return quotient >= 0 ? quotient : nil
    }
}
