import SyncletCore

/// A small, seeded generator so property tests are repeatable: a failure names its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A party id whose body is 25 zeros and the given Crockford digit, so tests know the order.
func fixedParty(_ digit: Character) -> PartyID {
    PartyID("pty_" + String(repeating: "0", count: 25) + String(digit))!
}

/// An upload id with a fixed body.
let fixedUploadID = UploadID("upl_" + String(repeating: "0", count: 26))!

/// An asset id with a fixed body.
let fixedAssetID = AssetID("ast_" + String(repeating: "1", count: 26))!

/// Runs `body` and returns the `Problem` it threw, or `nil` when it threw nothing (or something else).
func problem(_ body: () throws -> Void) -> Problem? {
    do {
        try body()
        return nil
    } catch let problem as Problem {
        return problem
    } catch {
        return nil
    }
}
