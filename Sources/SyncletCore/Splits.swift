/// Basis points: hundredths of a percent. A whole is exactly 10,000.
public typealias BasisPoints = Int

/// One rights holder's share of an asset.
public struct SplitShare: Codable, Hashable, Sendable {
    public var partyID: PartyID
    public var basisPoints: BasisPoints

    public init(partyID: PartyID, basisPoints: BasisPoints) {
        self.partyID = partyID
        self.basisPoints = basisPoints
    }

    enum CodingKeys: String, CodingKey {
        case partyID = "party_id"
        case basisPoints = "basis_points"
    }
}

/// A validated list of shares: distinct parties, each share positive, summing to exactly
/// `Splits.wholeBasisPoints`. Construct it through `init(validating:)`.
public struct Splits: Hashable, Sendable {
    public static let wholeBasisPoints: BasisPoints = 10_000
    /// Co-writers per asset; a named limit rather than an accident of the schema.
    public static let shareCountMax = 32

    /// The shares, ordered by party id so equal splits compare equal.
    public let shares: [SplitShare]

    public init(validating shares: [SplitShare]) throws(Problem) {
        guard !shares.isEmpty else {
            throw .invalid("Splits must name at least one party.", field: "splits")
        }
        guard shares.count <= Self.shareCountMax else {
            throw .invalid("Splits may name at most \(Self.shareCountMax) parties.", field: "splits")
        }
        var seen = Set<PartyID>()
        var total = 0
        for share in shares {
            guard share.basisPoints > 0, share.basisPoints <= Self.wholeBasisPoints else {
                throw .invalid("Each share must be between 1 and 10000 basis points; \(share.partyID) has \(share.basisPoints).", field: "splits")
            }
            guard seen.insert(share.partyID).inserted else {
                throw .invalid("\(share.partyID) appears more than once in the splits; merge its shares.", field: "splits")
            }
            total += share.basisPoints
        }
        guard total == Self.wholeBasisPoints else {
            throw .invalid("Splits must sum to exactly 10000 basis points (100%); these sum to \(total).", field: "splits")
        }
        self.shares = shares.sorted { $0.partyID < $1.partyID }
    }

    /// The whole to one party.
    public static func sole(_ party: PartyID) -> Splits {
        // A single full share always validates.
        try! Splits(validating: [SplitShare(partyID: party, basisPoints: wholeBasisPoints)])
    }

    /// Allocates `amount` micro-units across the shares by the largest-remainder method.
    ///
    /// Each party first gets `floor(amount × bps / 10000)`; the micro-units left over go one
    /// each to the largest remainders, ties broken by party id, so the result is
    /// deterministic and the parts always sum to `amount` exactly.
    public func allocate(_ amount: Int64) -> [(partyID: PartyID, amount: Int64)] {
        precondition(amount >= 0, "allocate takes a non-negative amount")
        let whole = Int64(Self.wholeBasisPoints)
        var parts = shares.map { share -> (partyID: PartyID, amount: Int64, remainder: Int64) in
            // amount × bps can overflow Int64 for amounts above ~9.2e14 µ; split the product.
            let bps = Int64(share.basisPoints)
            let quotient = (amount / whole) * bps + ((amount % whole) * bps) / whole
            let remainder = ((amount % whole) * bps) % whole
            return (share.partyID, quotient, remainder)
        }
        var leftover = amount - parts.reduce(0) { $0 + $1.amount }
        let order = parts.indices.sorted {
            parts[$0].remainder != parts[$1].remainder
                ? parts[$0].remainder > parts[$1].remainder
                : parts[$0].partyID < parts[$1].partyID
        }
        for index in order where leftover > 0 {
            parts[index].amount += 1
            leftover -= 1
        }
        precondition(leftover == 0, "largest remainder must hand out every micro-unit")
        precondition(parts.reduce(0) { $0 + $1.amount } == amount, "parts must sum to the whole")
        return parts.map { ($0.partyID, $0.amount) }
    }
}
