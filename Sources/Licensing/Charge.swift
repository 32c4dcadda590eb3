import SyncletCore

/// How one price is divided: the platform's fee, then the rights holders' shares of the
/// rest by largest remainder. Pure, so tests can check every micro-unit.
public struct ChargeSplit: Sendable, Equatable {
    public var feeMicros: Int64
    public var shares: [(partyID: PartyID, amount: Int64)]

    public static func == (lhs: ChargeSplit, rhs: ChargeSplit) -> Bool {
        lhs.feeMicros == rhs.feeMicros && lhs.shares.map(\.partyID) == rhs.shares.map(\.partyID)
            && lhs.shares.map(\.amount) == rhs.shares.map(\.amount)
    }

    /// The platform takes `floor(price × feeBasisPoints ÷ 10,000)`; the rights holders share
    /// the rest exactly. The parts always sum to the price.
    public init(priceMicros: Int64, feeBasisPoints: BasisPoints, splits: Splits) {
        precondition(priceMicros >= 0 && (0...Splits.wholeBasisPoints).contains(feeBasisPoints))
        feeMicros = Money.floorProduct(quantity: priceMicros, priceMicros: Int64(feeBasisPoints), per: Int64(Splits.wholeBasisPoints))
        shares = splits.allocate(priceMicros - feeMicros)
        precondition(feeMicros + shares.reduce(0) { $0 + $1.amount } == priceMicros, "a charge must be split to the micro-unit")
    }
}

/// A license code to paste into a video description: `SYN-` and three groups of four
/// Crockford base32 characters (60 random bits), e.g. `SYN-7K3Q-9XPD-M2TA`.
public enum LicenseCode {
    public static func make(randomBytes: [UInt8]) -> String {
        precondition(randomBytes.count == 8)
        let text = String(Crockford.encode(randomBytes).suffix(12))
        let characters = Array(text)
        return "SYN-" + stride(from: 0, to: 12, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }

    /// Normalizes what a person typed: upper case, O→0, I/L→1, spaces and missing dashes forgiven.
    public static func normalize(_ text: String) -> String? {
        var body = text.uppercased().filter { !$0.isWhitespace && $0 != "-" }
        if body.hasPrefix("SYN") { body.removeFirst(3) }
        body = String(body.map { $0 == "O" ? "0" : ($0 == "I" || $0 == "L" ? "1" : $0) })
        guard body.count == 12, body.allSatisfy({ Crockford.alphabet.contains($0) }) else { return nil }
        let characters = Array(body)
        return "SYN-" + stride(from: 0, to: 12, by: 4).map { String(characters[$0..<$0 + 4]) }.joined(separator: "-")
    }
}
