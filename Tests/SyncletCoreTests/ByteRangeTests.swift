import SyncletCore
import Testing

@Suite("ByteRange.parse")
struct ByteRangeTests {
    /// The first and last byte of a partial answer, or nil for whole / unsatisfiable.
    private func bounds(_ request: ByteRange.Request) -> [Int64]? {
        if case .partial(let range) = request { return [range.first, range.last] }
        return nil
    }

    @Test("bytes=0-99 of 1000 is the first 100 bytes")
    func firstHundred() {
        let request = ByteRange.parse(header: "bytes=0-99", length: 1_000)
        #expect(bounds(request) == [0, 99])
        if case .partial(let range) = request {
            #expect(range.count == 100)
            #expect(range.contentRange(totalLength: 1_000) == "bytes 0-99/1000")
        }
    }

    @Test("bytes=900- of 1000 runs to the last byte")
    func openEnded() {
        #expect(bounds(ByteRange.parse(header: "bytes=900-", length: 1_000)) == [900, 999])
        #expect(bounds(ByteRange.parse(header: "bytes=0-", length: 1_000)) == [0, 999])
        #expect(bounds(ByteRange.parse(header: "bytes=999-", length: 1_000)) == [999, 999])
    }

    @Test("bytes=-100 of 1000 is the last 100 bytes")
    func suffix() {
        #expect(bounds(ByteRange.parse(header: "bytes=-100", length: 1_000)) == [900, 999])
        #expect(bounds(ByteRange.parse(header: "bytes=-1", length: 1_000)) == [999, 999])
    }

    @Test("a suffix longer than the file is the whole file as a partial answer")
    func suffixLongerThanFile() {
        let request = ByteRange.parse(header: "bytes=-2000", length: 1_000)
        #expect(bounds(request) == [0, 999])
        #expect(request != .whole)
    }

    @Test("an end beyond the length is clamped to the last byte")
    func endIsClamped() {
        #expect(bounds(ByteRange.parse(header: "bytes=500-5000", length: 1_000)) == [500, 999])
        #expect(bounds(ByteRange.parse(header: "bytes=0-1000", length: 1_000)) == [0, 999])
    }

    @Test("a start at or beyond the length is unsatisfiable")
    func startBeyondLength() {
        #expect(ByteRange.parse(header: "bytes=1000-", length: 1_000) == .unsatisfiable)
        #expect(ByteRange.parse(header: "bytes=1000-1001", length: 1_000) == .unsatisfiable)
        #expect(ByteRange.parse(header: "bytes=5000-6000", length: 1_000) == .unsatisfiable)
        #expect(ByteRange.parse(header: "bytes=0-0", length: 0) == .unsatisfiable)
    }

    @Test("an empty suffix, or any suffix of an empty file, is unsatisfiable")
    func emptySuffix() {
        #expect(ByteRange.parse(header: "bytes=-0", length: 1_000) == .unsatisfiable)
        #expect(ByteRange.parse(header: "bytes=-10", length: 0) == .unsatisfiable)
    }

    @Test("headers that are absent, of another unit, multi-range or malformed mean the whole representation", arguments: [
        "items=0-99",
        "bytes=0-99,200-299",
        "bytes=0-1, 5-6",
        "garbage",
        "bytes=abc",
        "bytes=a-b",
        "bytes=1-x",
        "bytes=",
        "bytes=-",
        "bytes 0-99",
        "bytes=5-2",
        "bytes=99999999999999999999-",
    ])
    func wholeRepresentation(header: String) {
        #expect(ByteRange.parse(header: header, length: 1_000) == .whole)
    }

    @Test("no header means the whole representation")
    func noHeader() {
        #expect(ByteRange.parse(header: nil, length: 1_000) == .whole)
    }

    @Test("the unit is case-insensitive and surrounding spaces are ignored")
    func lenientSpelling() {
        #expect(bounds(ByteRange.parse(header: "Bytes=10-19", length: 1_000)) == [10, 19])
        #expect(bounds(ByteRange.parse(header: "  bytes=10-19  ", length: 1_000)) == [10, 19])
    }

    @Test("contentRange and count describe the range")
    func contentRangeString() {
        guard case .partial(let range) = ByteRange.parse(header: "bytes=900-", length: 1_000) else {
            Issue.record("expected a partial range")
            return
        }
        #expect(range.first == 900)
        #expect(range.last == 999)
        #expect(range.count == 100)
        #expect(range.contentRange(totalLength: 1_000) == "bytes 900-999/1000")
    }
}

@Suite("APIKeyToken")
struct APIKeyTokenTests {
    private let lookupBytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
    private let secretBytes: [UInt8] = Array(0..<32)

    @Test("a token made from bytes is syn_, a 12-character lookup, an underscore and a 52-character secret")
    func shape() {
        let token = APIKeyToken(lookupBytes: lookupBytes, secretBytes: secretBytes)
        #expect(token.token.hasPrefix("syn_"))
        #expect(token.lookup.count == 12)
        #expect(token.token.count == 4 + 12 + 1 + 52)
        #expect(token.token == "syn_" + token.lookup + "_" + String(token.token.suffix(52)))
        #expect(token.token.dropFirst(4).allSatisfy { $0 == "_" || Crockford.lowercaseAlphabet.contains($0) })
    }

    @Test("the lookup and secret are the lower-case Crockford encoding of the bytes")
    func knownEncoding() {
        let token = APIKeyToken(lookupBytes: lookupBytes, secretBytes: secretBytes)
        #expect(token.lookup == "20g30g2gc1r8")
        #expect(token.token == "syn_20g30g2gc1r8_0001081g81860w40j2gb1g6gw3rg2491650n2rbhg68t3ce1t7gz")
        let ones = APIKeyToken(lookupBytes: [UInt8](repeating: 0xFF, count: 8), secretBytes: [UInt8](repeating: 0, count: 32))
        #expect(ones.lookup == "zzzzzzzzzzzz")
        #expect(ones.token == "syn_zzzzzzzzzzzz_" + String(repeating: "0", count: 52))
    }

    @Test("parsing a made token gives back the same lookup and token")
    func parsesBack() throws {
        var random = SplitMix64(seed: 99)
        for _ in 0..<50 {
            let made = APIKeyToken(lookupBytes: (0..<8).map { _ in UInt8.random(in: 0...255, using: &random) },
                                   secretBytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
            let parsed = try #require(APIKeyToken(presented: made.token))
            #expect(parsed.lookup == made.lookup)
            #expect(parsed.token == made.token)
            #expect(parsed == made)
        }
    }

    @Test("tampered tokens are refused")
    func tamperedAreRefused() {
        let token = APIKeyToken(lookupBytes: lookupBytes, secretBytes: secretBytes).token
        let body = String(token.dropFirst(4))
        let tampered = [
            "sym_" + body,                                   // wrong prefix
            "SYN_" + body,                                   // upper-case prefix
            String(token.dropLast()),                        // short
            token + "0",                                     // long
            token.uppercased(),                              // upper case
            "syn_" + body.replacingFirst("_", with: ""),     // missing underscore
            "syn_" + body.replacingFirst("_", with: "0") ,   // underscore replaced, same length
            String(token.dropLast()) + "u",                  // 'u' in the secret
            "syn_" + "i" + String(body.dropFirst()),         // 'i' in the lookup
            "",
            "syn_",
        ]
        for text in tampered {
            #expect(APIKeyToken(presented: text) == nil, "\(text)")
        }
    }
}

extension String {
    /// The string with the first occurrence of `target` replaced.
    fileprivate func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let index = firstIndex(of: target) else { return self }
        return String(self[..<index]) + replacement + String(self[self.index(after: index)...])
    }
}
