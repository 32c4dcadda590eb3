import Foundation
import SyncletCore
import Testing

/// Foundation's encoder with the settings `JSONWriter` promises to match.
private func foundationBytes<T: Encodable>(_ value: T) throws -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return Array(try encoder.encode(value))
}

private func randomString(_ random: inout SplitMix64, maxLength: Int = 24) -> String {
    // Every kind of character that escaping and UTF-8 care about.
    let pool: [String] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{08}", "\u{0C}", "\u{00}", "\u{1F}",
                          "\u{7F}", "é", "e\u{301}", "ß", "ﬀ", "ŉ", "𝄞", "😀", "👩‍👩‍👧", "\u{2028}", "\u{FEFF}", "中", "_", "-", "."]
    let length = Int.random(in: 0...maxLength, using: &random)
    return (0..<length).map { _ in pool.randomElement(using: &random)! }.joined()
}

private func randomDouble(_ random: inout SplitMix64) -> Double {
    switch Int.random(in: 0..<8, using: &random) {
    case 0: return Double(Int.random(in: -1_000_000...1_000_000, using: &random))
    case 1: return Double.random(in: -1...1, using: &random)
    case 2: return Double(bitPattern: random.next())  // anything, NaN and infinities filtered below
    case 3: return [0.1, 0.5, 1e-7, 1e21, 1e22, 123_456_789.125, 5e-324, 1.7976931348623157e308, -0.0, 0][Int.random(in: 0..<10, using: &random)]
    case 4: return Double(Int64.random(in: Int64.min...Int64.max, using: &random))
    case 5: return Double.random(in: -1e6...1e6, using: &random).rounded() / 1000
    default: return Double.random(in: -1e300...1e300, using: &random)
    }
}

private struct Sample: Codable, Equatable {
    var title: String
    var ownerID: String
    var count: Int
    var total: Int64
    var ratio: Double
    var flag: Bool
    var maybe: String?
    var nothing: Int?
    var tags: [String]
    var nested: [Inner]
    var map: [String: Int]
    var when: Timestamp
    var kind: AssetKind

    struct Inner: Codable, Equatable {
        var b: String
        var a: Double?
        var zeta9: Int
        var zeta10: Int
    }

    enum CodingKeys: String, CodingKey {
        case title, count, total, ratio, flag, maybe, nothing, tags, nested, map, when, kind
        case ownerID = "owner_id"
    }

    static func random(_ random: inout SplitMix64) -> Sample {
        var ratio = randomDouble(&random)
        if !ratio.isFinite { ratio = 0 }
        return Sample(
            title: randomString(&random), ownerID: randomString(&random, maxLength: 5), count: Int.random(in: Int.min...Int.max, using: &random),
            total: Int64.random(in: Int64.min...Int64.max, using: &random), ratio: ratio, flag: Bool.random(using: &random),
            maybe: Bool.random(using: &random) ? randomString(&random) : nil, nothing: nil,
            tags: (0..<Int.random(in: 0...4, using: &random)).map { _ in randomString(&random, maxLength: 6) },
            nested: (0..<Int.random(in: 0...3, using: &random)).map { _ in
                Inner(b: randomString(&random), a: Bool.random(using: &random) ? Double(Int.random(in: -5...5, using: &random)) / 4 : nil,
                      zeta9: 9, zeta10: 10)
            },
            map: Dictionary(uniqueKeysWithValues: (0..<Int.random(in: 0...4, using: &random)).map { index in
                ("k\(index)-" + randomString(&random, maxLength: 3), index)
            }),
            when: Timestamp(millisecondsSince1970: Int64.random(in: 0...4_000_000_000_000, using: &random)),
            kind: AssetKind.allCases.randomElement(using: &random)!)
    }
}

@Suite("JSON writer")
struct JSONWriterTests {
    @Test("writes the same bytes as Foundation for random strings, numbers and nested records")
    func matchesFoundation() throws {
        var random = SplitMix64(seed: 0x15_0A)
        for _ in 0..<2_000 {
            let sample = Sample.random(&random)
            #expect(try JSONWriter.encode(sample) == foundationBytes(sample), "\(sample)")
        }
    }

    @Test("writes doubles and floats as Foundation does")
    func numbers() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<20_000 {
            let double = randomDouble(&random)
            guard double.isFinite else { continue }
            #expect(try JSONWriter.encode([double]) == foundationBytes([double]), "\(double)")
            let float = Float(double)
            if float.isFinite { #expect(try JSONWriter.encode([float]) == foundationBytes([float]), "\(float)") }
        }
        for value in [Int64.min, Int64.max, 0, -1] {
            #expect(try JSONWriter.encode([value]) == foundationBytes([value]))
        }
        #expect(try JSONWriter.encode([UInt64.max]) == foundationBytes([UInt64.max]))
    }

    @Test("refuses NaN and infinities as Foundation does")
    func nonFinite() {
        #expect(throws: EncodingError.self) { try JSONWriter.encode([Double.nan]) }
        #expect(throws: EncodingError.self) { try JSONWriter.encode(["x": Double.infinity]) }
    }

    @Test("sorts keys as Foundation does, digits and case included")
    func keyOrder() throws {
        let keys = ["a10", "a9", "a_b", "ab", "B", "b", "a", "", "_", "a1", "é", "z", "Z0", "z0"]
        let dictionary = Dictionary(uniqueKeysWithValues: keys.map { ($0, 1) })
        #expect(try JSONWriter.string(dictionary) == String(decoding: try foundationBytes(dictionary), as: UTF8.self))
    }

    @Test("top-level scalars, empty containers and optionals")
    func edges() throws {
        #expect(try JSONWriter.string("a/b") == "\"a/b\"")
        #expect(try JSONWriter.string(42) == "42")
        #expect(try JSONWriter.string([String]()) == "[]")
        #expect(try JSONWriter.string([String: Int]()) == "{}")
        #expect(try JSONWriter.string([String?.none, "x"]) == "[null,\"x\"]")
        #expect(try JSONWriter.string(Optional<Int>.none) == "null")
    }

    @Test("hands values Foundation treats specially to Foundation")
    func specialValues() throws {
        struct Special: Encodable {
            var data = Data([1, 2, 3])
            var url = URL(string: "https://example.com/a")!
            var date = Date(timeIntervalSince1970: 0)
        }
        #expect(try JSONWriter.encode(Special()) == foundationBytes(Special()))
    }

    @Test("a value that writes one key twice still comes out as Foundation writes it")
    func repeatedKey() throws {
        struct Twice: Encodable {
            enum Key: String, CodingKey { case a }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Key.self)
                try container.encode(1, forKey: .a)
                try container.encode(2, forKey: .a)
            }
        }
        #expect(try JSONWriter.encode(Twice()) == foundationBytes(Twice()))
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test("reads back what the writer wrote, exactly")
    func roundTrip() throws {
        var random = SplitMix64(seed: 99)
        for _ in 0..<1_000 {
            let sample = Sample.random(&random)
            let bytes = try JSONWriter.encode(sample)
            let value = try JSONParser.parse(bytes)
            #expect(try JSONWriter.string(value) == String(decoding: bytes, as: UTF8.self))
            #expect(try JSONValueDecoder.decode(Sample.self, from: value) == sample)
            #expect(try JSONValueDecoder.decode(Sample.self, from: value) == JSONDecoder().decode(Sample.self, from: Data(bytes)))
        }
    }

    @Test("keeps integers exact and widens only what does not fit")
    func numbers() throws {
        #expect(try JSONParser.parse(Array("9223372036854775807".utf8)) == .integer(.max))
        #expect(try JSONParser.parse(Array("-9223372036854775808".utf8)) == .integer(.min))
        #expect(try JSONParser.parse(Array("9223372036854775808".utf8)) == .number(9_223_372_036_854_775_808))
        #expect(try JSONParser.parse(Array("1.0".utf8)) == .number(1))
        #expect(try JSONParser.parse(Array("-0".utf8)) == .number(-0.0))
        #expect(try JSONParser.parse(Array("0".utf8)) == .integer(0))
        #expect(try JSONParser.parse(Array("2E3".utf8)) == .number(2000))
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array("1e400".utf8)) }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array("-1e999".utf8)) }
    }

    @Test("resolves escapes and surrogate pairs")
    func escapes() throws {
        #expect(try JSONParser.parse(Array(#""a\"b\\c\/d\b\f\n\r\t\u00e9\ud834\udd1e""#.utf8)) == .string("a\"b\\c/d\u{08}\u{0C}\n\r\té𝄞"))
    }

    @Test("refuses what is not JSON", arguments: [
        "", " ", "{", "}", "[1,]", "{\"a\":1,}", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "+1", "1e", "1e+",
        "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"a\nb\"", "tru", "nul", "falsey",
        "[1] [2]", "\"unterminated", "{\"a\":1}}", "NaN", "Infinity", "[1 2]", "\u{FEFF}{}",
    ])
    func malformed(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(text.utf8)) }
    }

    @Test("refuses invalid UTF-8 inside strings")
    func invalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22]] {
            #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(bytes) }
        }
    }

    @Test("refuses a member named twice in one object, also when spelled with escapes")
    func duplicates() throws {
        #expect(throws: JSONSyntaxError(reason: .duplicateMember("a"), offset: 8)) { try JSONParser.parse(Array(#"{"a":1, "a":2}"#.utf8)) }
        #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(Array(#"{"a":1,"\u0061":2}"#.utf8)) }
        #expect(try JSONParser.parse(Array(#"[{"a":1},{"a":2}]"#.utf8)) == .array([.object(["a": .integer(1)]), .object(["a": .integer(2)])]))
    }

    @Test("bounds nesting depth")
    func depth() throws {
        let fine = String(repeating: "[", count: JSONParser.depthMax) + String(repeating: "]", count: JSONParser.depthMax)
        #expect(throws: Never.self) { try JSONParser.parse(Array(fine.utf8)) }
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError(reason: .tooDeep, offset: JSONParser.depthMax)) { try JSONParser.parse(Array(deep.utf8)) }
    }

    @Test("never crashes on random bytes or random edits of valid documents")
    func fuzz() throws {
        var random = SplitMix64(seed: 3)
        let alphabet = Array("{}[]\",:\\/ 0123456789eE+-.truefalsnl\u{7F}".utf8) + [0x00, 0x0A, 0xC3, 0xA9, 0xFF, 0xED]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            _ = try? JSONParser.parse(bytes)
        }
        for _ in 0..<2_000 {
            var bytes = try JSONWriter.encode(Sample.random(&random))
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                bytes[index] = alphabet.randomElement(using: &random)!
            }
            // Whatever it gives, a second parse of the same bytes gives the same.
            let first = Result { () throws(JSONSyntaxError) in try JSONParser.parse(bytes) }
            let second = Result { () throws(JSONSyntaxError) in try JSONParser.parse(bytes) }
            #expect(first == second)
        }
    }
}

@Suite("JSON tree decoder")
struct JSONValueDecoderTests {
    struct Body: Decodable, Equatable {
        var name: String
        var amount: Int64
        var small: Int8?
        var list: [Int]
    }

    @Test("names the path of what is missing or mistyped")
    func errors() throws {
        func failure(_ text: String) -> DecodingError? {
            do {
                _ = try JSONValueDecoder.decode(Body.self, from: Array(text.utf8))
                return nil
            } catch let error as DecodingError {
                return error
            } catch {
                return nil
            }
        }
        guard case .keyNotFound(let key, _)? = failure(#"{"amount":1,"list":[]}"#) else { Issue.record("missing name"); return }
        #expect(key.stringValue == "name")
        guard case .typeMismatch(_, let context)? = failure(#"{"name":"x","amount":1,"list":[1,"2"]}"#) else { Issue.record("wrong type"); return }
        #expect(context.codingPath.map(\.stringValue) == ["list", "1"])
        guard case .dataCorrupted(let overflow)? = failure(#"{"name":"x","amount":1,"small":300,"list":[]}"#) else { Issue.record("overflow"); return }
        #expect(overflow.codingPath.map(\.stringValue) == ["small"])
        guard case .valueNotFound? = failure(#"{"name":null,"amount":1,"list":[]}"#) else { Issue.record("null"); return }
    }

    @Test("reads integers written with a fraction only when they are whole")
    func wholeNumbers() throws {
        #expect(try JSONValueDecoder.decode(Body.self, from: Array(#"{"name":"x","amount":2.0,"list":[]}"#.utf8)).amount == 2)
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Body.self, from: Array(#"{"name":"x","amount":2.5,"list":[]}"#.utf8)) }
        #expect(throws: DecodingError.self) { try JSONValueDecoder.decode(Body.self, from: Array(#"{"name":"x","amount":1e30,"list":[]}"#.utf8)) }
    }
}
