import Foundation
import SyncletCore
import Testing

@Suite("Splits validation")
struct SplitsValidationTests {
    let a = fixedParty("1")
    let b = fixedParty("2")
    let c = fixedParty("3")

    private func expectRefused(_ shares: [SplitShare], sourceLocation: SourceLocation = #_sourceLocation) {
        let refusal = problem { _ = try Splits(validating: shares) }
        #expect(refusal?.status == 422, sourceLocation: sourceLocation)
        #expect(refusal?.type == "validation", sourceLocation: sourceLocation)
        #expect(refusal?.extensions["field"] == "splits", sourceLocation: sourceLocation)
    }

    @Test("an empty list of shares is refused")
    func emptyIsRefused() {
        expectRefused([])
    }

    @Test("a party named twice is refused even when the total is right")
    func duplicatesAreRefused() {
        expectRefused([SplitShare(partyID: a, basisPoints: 5_000), SplitShare(partyID: a, basisPoints: 5_000)])
    }

    @Test("a zero share is refused")
    func zeroShareIsRefused() {
        expectRefused([SplitShare(partyID: a, basisPoints: 0), SplitShare(partyID: b, basisPoints: 10_000)])
    }

    @Test("a negative share is refused even when the total is right")
    func negativeShareIsRefused() {
        expectRefused([SplitShare(partyID: a, basisPoints: -1), SplitShare(partyID: b, basisPoints: 10_001)])
    }

    @Test("a share over 10000 basis points is refused")
    func overWholeIsRefused() {
        expectRefused([SplitShare(partyID: a, basisPoints: 10_001)])
    }

    @Test("shares summing to less or more than 10000 are refused")
    func wrongTotalsAreRefused() {
        expectRefused([SplitShare(partyID: a, basisPoints: 9_999)])
        expectRefused([SplitShare(partyID: a, basisPoints: 5_000), SplitShare(partyID: b, basisPoints: 4_999)])
        expectRefused([SplitShare(partyID: a, basisPoints: 5_001), SplitShare(partyID: b, basisPoints: 5_000)])
        expectRefused([
            SplitShare(partyID: a, basisPoints: 3_333), SplitShare(partyID: b, basisPoints: 3_333),
            SplitShare(partyID: c, basisPoints: 3_333),
        ])
    }

    @Test("more than 32 parties are refused")
    func tooManyPartiesAreRefused() {
        var random = SplitMix64(seed: 1)
        var ids = Set<PartyID>()
        while ids.count < 33 { ids.insert(PartyID.make(millisecondsSince1970: 0, random: &random)) }
        // 33 shares: 32 of 303 and one of 304 sum to 10000, so only the count is wrong.
        let shares = ids.sorted().enumerated().map { index, id in
            SplitShare(partyID: id, basisPoints: index == 0 ? 304 : 303)
        }
        #expect(shares.reduce(0) { $0 + $1.basisPoints } == 10_000)
        expectRefused(shares)
    }

    @Test("exactly 32 parties summing to 10000 are accepted")
    func thirtyTwoPartiesAreAccepted() throws {
        var random = SplitMix64(seed: 2)
        var ids = Set<PartyID>()
        while ids.count < 32 { ids.insert(PartyID.make(millisecondsSince1970: 0, random: &random)) }
        // 16 × 312 + 16 × 313 = 10000
        let shares = ids.sorted().enumerated().map { index, id in
            SplitShare(partyID: id, basisPoints: index < 16 ? 312 : 313)
        }
        let splits = try Splits(validating: shares)
        #expect(splits.shares.count == 32)
    }

    @Test("valid shares are kept and ordered by party id")
    func validSharesAreOrderedByParty() throws {
        let splits = try Splits(validating: [
            SplitShare(partyID: c, basisPoints: 2_000),
            SplitShare(partyID: a, basisPoints: 5_000),
            SplitShare(partyID: b, basisPoints: 3_000),
        ])
        #expect(splits.shares == [
            SplitShare(partyID: a, basisPoints: 5_000),
            SplitShare(partyID: b, basisPoints: 3_000),
            SplitShare(partyID: c, basisPoints: 2_000),
        ])
    }

    @Test("the same shares in another order make equal splits")
    func orderDoesNotMatterForEquality() throws {
        let first = try Splits(validating: [SplitShare(partyID: a, basisPoints: 4_000), SplitShare(partyID: b, basisPoints: 6_000)])
        let second = try Splits(validating: [SplitShare(partyID: b, basisPoints: 6_000), SplitShare(partyID: a, basisPoints: 4_000)])
        #expect(first == second)
    }

    @Test("sole gives the whole to one party")
    func soleGivesTheWhole() {
        #expect(Splits.sole(a).shares == [SplitShare(partyID: a, basisPoints: 10_000)])
    }

    @Test("a share encodes with snake_case keys")
    func shareJSONKeys() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(SplitShare(partyID: a, basisPoints: 2_500))
        #expect(String(decoding: data, as: UTF8.self) == "{\"basis_points\":2500,\"party_id\":\"\(a.rawValue)\"}")
        let decoded = try JSONDecoder().decode(SplitShare.self, from: data)
        #expect(decoded == SplitShare(partyID: a, basisPoints: 2_500))
    }
}

@Suite("Splits allocation")
struct SplitsAllocationTests {
    let a = fixedParty("1")
    let b = fixedParty("2")
    let c = fixedParty("3")

    @Test("100 µ over 3333/3333/3334 gives the leftover micro-unit to the largest remainder")
    func hundredOverThirds() throws {
        let splits = try Splits(validating: [
            SplitShare(partyID: a, basisPoints: 3_333),
            SplitShare(partyID: b, basisPoints: 3_333),
            SplitShare(partyID: c, basisPoints: 3_334),
        ])
        let parts = splits.allocate(100)
        #expect(parts.map { $0.partyID } == [a, b, c])
        #expect(parts.map { $0.amount } == [33, 33, 34])
    }

    @Test("10 µ over 3333/3333/3334 gives 3, 3 and 4")
    func tenOverThirds() throws {
        let splits = try Splits(validating: [
            SplitShare(partyID: c, basisPoints: 3_334),
            SplitShare(partyID: a, basisPoints: 3_333),
            SplitShare(partyID: b, basisPoints: 3_333),
        ])
        #expect(splits.allocate(10).map { $0.amount } == [3, 3, 4])
    }

    @Test("2 µ over 3333/3333/3334 goes to the largest remainder and then to the smaller party id of the tie")
    func twoOverThirds() throws {
        let splits = try Splits(validating: [
            SplitShare(partyID: b, basisPoints: 3_333),
            SplitShare(partyID: a, basisPoints: 3_333),
            SplitShare(partyID: c, basisPoints: 3_334),
        ])
        let parts = splits.allocate(2)
        #expect(parts.map { $0.partyID } == [a, b, c])
        #expect(parts.map { $0.amount } == [1, 0, 1])
    }

    @Test("1 µ over two equal shares goes to the smaller party id, whatever the input order")
    func oneOverHalvesGoesToSmallerID() throws {
        let forward = try Splits(validating: [SplitShare(partyID: a, basisPoints: 5_000), SplitShare(partyID: b, basisPoints: 5_000)])
        let backward = try Splits(validating: [SplitShare(partyID: b, basisPoints: 5_000), SplitShare(partyID: a, basisPoints: 5_000)])
        for splits in [forward, backward] {
            let parts = splits.allocate(1)
            #expect(parts.map { $0.partyID } == [a, b])
            #expect(parts.map { $0.amount } == [1, 0])
        }
    }

    @Test("0 µ gives every party 0")
    func zeroGivesZero() throws {
        let splits = try Splits(validating: [
            SplitShare(partyID: a, basisPoints: 1), SplitShare(partyID: b, basisPoints: 9_999),
        ])
        #expect(splits.allocate(0).map { $0.amount } == [0, 0])
    }

    @Test("a sole share gets the whole amount, even at Int64.max")
    func soleGetsEverything() {
        #expect(Splits.sole(a).allocate(Int64.max).map { $0.amount } == [Int64.max])
        #expect(Splits.sole(a).allocate(7).map { $0.amount } == [7])
    }

    @Test("a 1 bps share of 9999 µ rounds down and the rest goes to the big share")
    func tinyShareRoundsDown() throws {
        let splits = try Splits(validating: [
            SplitShare(partyID: a, basisPoints: 1), SplitShare(partyID: b, basisPoints: 9_999),
        ])
        // exact: a 0.9999, b 9998.0001 → a's remainder is larger, so a gets the leftover unit
        #expect(splits.allocate(9_999).map { $0.amount } == [1, 9_998])
        // exact: a 1, b 9999
        #expect(splits.allocate(10_000).map { $0.amount } == [1, 9_999])
    }

    @Test("large amounts that would overflow amount × bps are split exactly")
    func largeAmountsDoNotOverflow() throws {
        let splits = try Splits(validating: [
            SplitShare(partyID: a, basisPoints: 2_500), SplitShare(partyID: b, basisPoints: 7_500),
        ])
        let amount: Int64 = 4_000_000_000_000_000_000  // 4e18: × 7500 overflows Int64
        #expect(splits.allocate(amount).map { $0.amount } == [1_000_000_000_000_000_000, 3_000_000_000_000_000_000])
    }

    // MARK: Property test

    /// Random valid shares: 1…32 distinct parties, each at least 1 bps, summing to 10000.
    private func randomShares(using random: inout SplitMix64) -> [SplitShare] {
        let count = Int.random(in: 1...Splits.shareCountMax, using: &random)
        var cuts = Set<Int>()
        if Bool.random(using: &random) {
            // Near-equal shares make ties in the remainders, which exercise the tie-break.
            for index in 1..<count { cuts.insert(index * Splits.wholeBasisPoints / count) }
        } else {
            while cuts.count < count - 1 { cuts.insert(Int.random(in: 1..<Splits.wholeBasisPoints, using: &random)) }
        }
        let bounds = [0] + cuts.sorted() + [Splits.wholeBasisPoints]
        var ids = Set<PartyID>()
        while ids.count < count {
            ids.insert(PartyID.make(millisecondsSince1970: Int64.random(in: 0...(1 << 47), using: &random), random: &random))
        }
        let widths = zip(bounds, bounds.dropFirst()).map { $1 - $0 }
        return zip(ids.shuffled(using: &random), widths).map { SplitShare(partyID: $0, basisPoints: $1) }
    }

    private func randomAmount(using random: inout SplitMix64) -> Int64 {
        switch Int.random(in: 0..<4, using: &random) {
        case 0: Int64.random(in: 0...100, using: &random)
        case 1: Int64.random(in: 0...1_000_000, using: &random)
        case 2: Int64.random(in: 0...1_000_000_000_000_000, using: &random)
        default: Int64.random(in: 0...(Int64.max / 2), using: &random)
        }
    }

    /// floor(amount × bps / 10000) and its remainder, computed in full width.
    private func exactShare(_ amount: Int64, _ basisPoints: Int) -> (quotient: Int64, remainder: Int64) {
        let product = amount.multipliedFullWidth(by: Int64(basisPoints))
        let result = Int64(10_000).dividingFullWidth(product)
        return (result.quotient, result.remainder)
    }

    @Test("random splits: parts sum to the amount, each within 1 µ of its exact share, largest remainders first, deterministic")
    func allocationProperties() throws {
        for seed in UInt64(1)...400 {
            var random = SplitMix64(seed: seed)
            let shares = randomShares(using: &random)
            let splits = try Splits(validating: shares)
            for _ in 0..<10 {
                let amount = randomAmount(using: &random)
                let parts = splits.allocate(amount)

                #expect(parts.count == splits.shares.count)
                #expect(parts.map { $0.partyID } == splits.shares.map { $0.partyID }, "seed \(seed)")
                #expect(parts.reduce(Int64(0)) { $0 + $1.amount } == amount, "seed \(seed) amount \(amount)")

                var bumpedRemainders = [Int64]()
                var unbumpedRemainders = [Int64]()
                for (share, part) in zip(splits.shares, parts) {
                    let exact = exactShare(amount, share.basisPoints)
                    let extra = part.amount - exact.quotient
                    // Within 1 µ of amount × bps / 10000: floor, or floor + 1 when the share is not whole.
                    #expect(extra == 0 || (extra == 1 && exact.remainder > 0),
                            "seed \(seed) amount \(amount) bps \(share.basisPoints): got \(part.amount), exact \(exact)")
                    if extra == 1 { bumpedRemainders.append(exact.remainder) } else { unbumpedRemainders.append(exact.remainder) }
                }
                // Largest remainder: nobody left out had a larger remainder than someone served.
                if let smallestServed = bumpedRemainders.min(), let largestLeft = unbumpedRemainders.max() {
                    #expect(smallestServed >= largestLeft, "seed \(seed) amount \(amount)")
                }

                // Deterministic: the same input, and the same shares given in another order, give the same parts.
                let again = splits.allocate(amount)
                #expect(again.map { $0.amount } == parts.map { $0.amount })
                let reordered = try Splits(validating: shares.shuffled(using: &random)).allocate(amount)
                #expect(reordered.map { $0.partyID } == parts.map { $0.partyID })
                #expect(reordered.map { $0.amount } == parts.map { $0.amount })
            }
        }
    }
}
