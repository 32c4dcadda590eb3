import Foundation
import SyncletCore
import Testing

@Suite("Identifier")
struct IdentifierTests {
    @Test("make gives the prefix followed by 26 lower-case Crockford characters")
    func makeHasPrefixAndBody() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let id = AssetID.make(millisecondsSince1970: 1_795_303_901_123, random: &random)
            #expect(id.rawValue.hasPrefix("ast_"))
            #expect(id.rawValue.count == 4 + 26)
            let body = id.rawValue.dropFirst(4)
            #expect(body.allSatisfy { Crockford.lowercaseAlphabet.contains($0) }, "\(id)")
        }
    }

    @Test("each kind of id carries its own prefix")
    func kindsCarryTheirPrefixes() {
        var random = SystemRandomNumberGenerator()
        #expect(PartyID.make(millisecondsSince1970: 0, random: &random).rawValue.hasPrefix("pty_"))
        #expect(APIKeyID.make(millisecondsSince1970: 0, random: &random).rawValue.hasPrefix("key_"))
        #expect(AssetID.make(millisecondsSince1970: 0, random: &random).rawValue.hasPrefix("ast_"))
        #expect(UploadID.make(millisecondsSince1970: 0, random: &random).rawValue.hasPrefix("upl_"))
    }

    @Test("a made id parses back to an equal id")
    func madeIDParsesBack() throws {
        var random = SystemRandomNumberGenerator()
        let id = PartyID.make(millisecondsSince1970: 1_700_000_000_000, random: &random)
        let parsed = try #require(PartyID(id.rawValue))
        #expect(parsed == id)
        #expect(parsed.rawValue == id.rawValue)
        #expect(parsed.description == id.rawValue)
    }

    @Test("the first ten body characters encode the milliseconds")
    func timeIsEncodedInTheFirstTenCharacters() {
        var random = SystemRandomNumberGenerator()
        let cases: [(Int64, String)] = [
            (0, "0000000000"),
            (1, "0000000001"),
            (1_795_303_901_123, "01m80771y3"),
            (281_474_976_710_655, "7zzzzzzzzz"),  // 2^48 − 1, the largest time a ULID holds
        ]
        for (ms, expected) in cases {
            let id = AssetID.make(millisecondsSince1970: ms, random: &random)
            #expect(String(id.rawValue.dropFirst(4).prefix(10)) == expected, "ms \(ms)")
        }
    }

    @Test("the random part comes from the generator, so the same seed gives the same id")
    func sameSeedSameID() {
        var first = SplitMix64(seed: 42)
        var second = SplitMix64(seed: 42)
        var third = SplitMix64(seed: 43)
        let a = AssetID.make(millisecondsSince1970: 1_000, random: &first)
        let b = AssetID.make(millisecondsSince1970: 1_000, random: &second)
        let c = AssetID.make(millisecondsSince1970: 1_000, random: &third)
        #expect(a == b)
        #expect(a != c)
    }

    @Test("ids made at a later millisecond sort after ids made earlier, whatever the random bits")
    func laterIDsSortAfter() {
        var random = SplitMix64(seed: 7)
        for _ in 0..<2_000 {
            let earlier = Int64.random(in: 0..<281_474_976_710_655, using: &random)
            let later = earlier + Int64.random(in: 1...1_000, using: &random)
            guard later <= 281_474_976_710_655 else { continue }
            let a = AssetID.make(millisecondsSince1970: earlier, random: &random)
            let b = AssetID.make(millisecondsSince1970: later, random: &random)
            #expect(a < b, "\(a) (\(earlier) ms) should sort before \(b) (\(later) ms)")
            #expect(!(b < a))
        }
    }

    @Test("ids made one millisecond apart sort in time order")
    func adjacentMillisecondsSort() {
        var random = SystemRandomNumberGenerator()
        var previous = AssetID.make(millisecondsSince1970: 1_795_303_901_000, random: &random)
        for ms in Int64(1_795_303_901_001)...1_795_303_902_000 {
            let next = AssetID.make(millisecondsSince1970: ms, random: &random)
            #expect(previous < next)
            previous = next
        }
    }

    @Test("malformed id strings are refused", arguments: [
        "",
        "ast_",
        "pty_00000000000000000000000000",          // another kind's prefix
        "ast00000000000000000000000000",           // prefix without underscore
        "AST_00000000000000000000000000",          // upper-case prefix
        "ast_0000000000000000000000000",           // 25 characters
        "ast_000000000000000000000000000",         // 27 characters
        "ast_01JD5X8Q0K3M7C2V9R4T6Y8W1Z",          // upper-case body
        "ast_01jd5x8q0k3m7c2v9r4t6y8w1u",          // 'u' is not Crockford
        "ast_01jd5x8q0k3m7c2v9r4t6y8w1i",          // 'i' is not Crockford
        "ast_01jd5x8q0k3m7c2v9r4t6y8w1l",          // 'l' is not Crockford
        "ast_01jd5x8q0k3m7c2v9r4t6y8w1o",          // 'o' is not Crockford
        "ast_01jd5x8q0k3m7c2v9r4t6y8w1-",
        " ast_01jd5x8q0k3m7c2v9r4t6y8w1z",
        "ast_01jd5x8q0k3m7c2v9r4t6y8w1z ",
    ])
    func malformedStringsAreRefused(text: String) {
        #expect(AssetID(text) == nil)
    }

    @Test("a well-formed id of the right kind is accepted")
    func wellFormedIsAccepted() {
        #expect(AssetID("ast_01jd5x8q0k3m7c2v9r4t6y8w1z")?.rawValue == "ast_01jd5x8q0k3m7c2v9r4t6y8w1z")
        #expect(PartyID("pty_01jd5x8q0k3m7c2v9r4t6y8w1z") != nil)
        #expect(PartyID("ast_01jd5x8q0k3m7c2v9r4t6y8w1z") == nil)
    }

    @Test("an id encodes to a JSON string and decodes back")
    func jsonRoundTrip() throws {
        var random = SystemRandomNumberGenerator()
        let id = AssetID.make(millisecondsSince1970: 1_795_303_901_123, random: &random)
        let data = try JSONEncoder().encode([id])
        #expect(String(decoding: data, as: UTF8.self) == "[\"\(id.rawValue)\"]")
        let decoded = try JSONDecoder().decode([AssetID].self, from: data)
        #expect(decoded == [id])
    }

    @Test("decoding a malformed or wrong-kind id from JSON throws")
    func jsonRefusesMalformed() {
        let wrongKind = Data("[\"pty_01jd5x8q0k3m7c2v9r4t6y8w1z\"]".utf8)
        let badBody = Data("[\"ast_01jd5x8q0k3m7c2v9r4t6y8w1u\"]".utf8)
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode([AssetID].self, from: wrongKind) }
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode([AssetID].self, from: badBody) }
    }
}

@Suite("Crockford")
struct CrockfordTests {
    @Test("encodes bytes most-significant bit first with leading padding bits")
    func encodesKnownValues() {
        #expect(Crockford.encode([]) == "")
        #expect(Crockford.encode([0x00]) == "00")
        #expect(Crockford.encode([0x01]) == "01")
        #expect(Crockford.encode([0xFF]) == "7Z")
        #expect(Crockford.encode([0x12, 0x34]) == "04HM")
        #expect(Crockford.encode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == "ZZZZZZZZ")
        #expect(Crockford.encode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == "FZZZZZZZZZZZZ")
    }

    @Test("16 bytes give 26 characters, the first carrying 3 bits")
    func sixteenBytesGiveTwentySixCharacters() {
        #expect(Crockford.encode([UInt8](repeating: 0, count: 16)) == String(repeating: "0", count: 26))
        #expect(Crockford.encode([UInt8](repeating: 0xFF, count: 16)) == "7" + String(repeating: "Z", count: 25))
    }

    @Test("the output length is ceil(bits / 5) for every length up to 40 bytes")
    func outputLength() {
        for count in 0...40 {
            #expect(Crockford.encode([UInt8](repeating: 0xA5, count: count)).count == (count * 8 + 4) / 5)
        }
    }

    @Test("the alphabet has 32 symbols and leaves out I, L, O and U")
    func alphabetLeavesOutConfusableLetters() {
        #expect(Crockford.alphabet.count == 32)
        #expect(Set(Crockford.alphabet).count == 32)
        for letter in "ILOU" {
            #expect(!Crockford.alphabet.contains(letter))
            #expect(!Crockford.lowercaseAlphabet.contains(Character(letter.lowercased())))
        }
        #expect(Crockford.lowercaseAlphabet == Set(String(Crockford.alphabet).lowercased()))
    }
}
