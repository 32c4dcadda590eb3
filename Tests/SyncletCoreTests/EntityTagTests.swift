import SyncletCore
import Testing

@Suite("Entity tags and the If-Match / If-None-Match lists (RFC 9110 §8.8.3, §13)")
struct EntityTagTests {
    private func tag(_ text: String, weak: Bool = false) -> EntityTag { EntityTag(opaque: text.utf8, isWeak: weak) }

    @Test("a strong tag, a weak tag and an empty tag parse, with spaces around them")
    func singleTags() {
        #expect(EntityTag("\"abc\"") == tag("abc"))
        #expect(EntityTag("W/\"abc\"") == tag("abc", weak: true))
        #expect(EntityTag("\"\"") == tag(""))
        #expect(EntityTag(" \t\"abc\"  ") == tag("abc"))
        #expect(tag("abc").header == "\"abc\"")
        #expect(tag("abc", weak: true).header == "W/\"abc\"")
    }

    @Test("strong comparison needs two strong tags; weak comparison only the same bytes (the RFC's table)")
    func comparisons() {
        let cases: [(EntityTag, EntityTag, Bool, Bool)] = [
            (tag("1", weak: true), tag("1", weak: true), false, true),
            (tag("1", weak: true), tag("2", weak: true), false, false),
            (tag("1", weak: true), tag("1"), false, true),
            (tag("1"), tag("1"), true, true),
        ]
        for (a, b, strong, weak) in cases {
            #expect(a.matchesStrongly(b) == strong, "\(a.header) \(b.header)")
            #expect(b.matchesStrongly(a) == strong, "\(b.header) \(a.header)")
            #expect(a.matchesWeakly(b) == weak, "\(a.header) \(b.header)")
            #expect(b.matchesWeakly(a) == weak, "\(b.header) \(a.header)")
        }
    }

    @Test("lists take commas with or without spaces, empty elements, and several field lines joined")
    func lists() {
        #expect(EntityTagCondition(parsing: "\"a\", \"b\"") == .tags([tag("a"), tag("b")]))
        #expect(EntityTagCondition(parsing: "\"a\",W/\"b\"") == .tags([tag("a"), tag("b", weak: true)]))
        #expect(EntityTagCondition(parsing: " , \"a\" ,, \t,W/\"b\" , ") == .tags([tag("a"), tag("b", weak: true)]))
        #expect(EntityTagCondition(parsing: ["\"a\"", "W/\"b\"", "\"c\""].joined(separator: ", "))
                == .tags([tag("a"), tag("b", weak: true), tag("c")]))
        #expect(EntityTagCondition(parsing: "\"a,b\"") == .tags([tag("a,b")]))  // a comma inside the quotes is opaque
        #expect(EntityTagCondition(parsing: "") == .tags([]))
        #expect(EntityTagCondition(parsing: " , ,") == .tags([]))
    }

    @Test("* alone is any representation; beside tags it is malformed")
    func star() {
        #expect(EntityTagCondition(parsing: "*") == .any)
        #expect(EntityTagCondition(parsing: "  *\t") == .any)
        for text in ["*, \"a\"", "\"a\", *", "**", "* *", "*\"a\"", "\"*\"x"] {
            #expect(EntityTagCondition(parsing: text) == .malformed, "\(text)")
        }
        #expect(EntityTagCondition(parsing: "\"*\"") == .tags([tag("*")]))  // a tag whose text is *
    }

    @Test("malformed values are malformed, never a crash", arguments: [
        "abc", "\"abc", "abc\"", "W/abc", "w/\"abc\"", "W/ \"abc\"", "W/W/\"abc\"", "W/", "W", "/\"abc\"", "\"",
        "\"a\" \"b\"", "\"a\";\"b\"", "\"a\"x", "x\"a\"", "'a'", "\"a b\"", "\"a\tb\"", "\"a\u{7F}\"", "\"a\u{0}\"",
        "\"a\"\"b\"", "\"a\", b", "\u{201C}a\u{201D}", "\u{FF37}/\"a\"", "\u{200F}\"a\"", "\"a\"\u{301}",
    ])
    func malformed(text: String) {
        #expect(EntityTagCondition(parsing: text) == .malformed)
        #expect(EntityTag(text) == nil)
    }

    @Test("text past ASCII inside the quotes is opaque bytes, compared byte for byte, not as Unicode")
    func unicodeIsOpaque() throws {
        let composed = "\"\u{E9}\u{1F3B5}\""        // é as one scalar, then a note
        let decomposed = "\"e\u{301}\u{1F3B5}\""    // e and a combining accent: equal as Swift strings
        #expect(composed == decomposed)
        let first = try #require(EntityTag(composed))
        let second = try #require(EntityTag(decomposed))
        #expect(first.opaque == Array("\u{E9}\u{1F3B5}".utf8))
        #expect(first != second)
        #expect(!first.matchesWeakly(second))
    }

    @Test("huge headers cost one pass: a megabyte of commas is an empty list, a megabyte-long tag still matches, more than the cap of tags is malformed")
    func hugeHeaders() {
        #expect(EntityTagCondition(parsing: String(repeating: ",", count: 1 << 20)) == .tags([]))
        let long = String(repeating: "x", count: 1 << 20)
        #expect(EntityTagCondition(parsing: "\"\(long)\"").matches(tag(long), weakly: false))
        let cap = EntityTagCondition.entityTagCountMax
        let atCap = (0..<cap).map { "\"\($0)\"" }.joined(separator: ",")
        #expect(EntityTagCondition(parsing: atCap) == .tags((0..<cap).map { tag(String($0)) }))
        #expect(EntityTagCondition(parsing: atCap + ",\"more\"") == .malformed)
        #expect(EntityTagCondition(parsing: String(repeating: "\"a\",", count: 100_000)) == .malformed)
        #expect(EntityTagCondition(parsing: String(repeating: "W/", count: 100_000) + "\"a\"") == .malformed)
    }

    @Test("random lists of random tags with random separators parse back to exactly those tags")
    func randomListsRoundTrip() {
        var random = SplitMix64(seed: 12)
        let characters = ["a", "Z", "0", "!", "#", "~", "*", ",", "W", "/", "\u{E9}", "e\u{301}", "\u{1F3B5}", "\u{FFFD}"]
        let separators = [",", " ,", ", ", "\t,\t", ",,", " , , "]
        for _ in 0..<500 {
            var tags = [EntityTag]()
            for _ in 0..<Int.random(in: 0...8, using: &random) {
                var opaque = ""
                for _ in 0..<Int.random(in: 0...12, using: &random) { opaque += characters.randomElement(using: &random)! }
                tags.append(EntityTag(opaque: opaque.utf8, isWeak: Bool.random(using: &random)))
            }
            var text = Bool.random(using: &random) ? separators.randomElement(using: &random)! : ""
            for (index, tag) in tags.enumerated() {
                if index > 0 { text += separators.randomElement(using: &random)! }
                text += tag.header
            }
            if Bool.random(using: &random) { text += separators.randomElement(using: &random)! }
            #expect(EntityTagCondition(parsing: text) == .tags(tags), "\(text)")
        }
    }

    @Test("random bytes and random Unicode never crash the parser, and parse the same way twice")
    func randomInputsAreTotal() {
        var random = SplitMix64(seed: 34)
        let pieces = ["W/", "\"", ",", " ", "\t", "*", "a", "é", "\u{301}", "\u{1F3B5}", "\u{0}", "\u{7F}", "W", "/", "\u{FFFD}"]
        for _ in 0..<2_000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...24, using: &random) {
                if Bool.random(using: &random) {
                    text += pieces.randomElement(using: &random)!
                } else if let scalar = Unicode.Scalar(UInt32.random(in: 0...0x10FFFF, using: &random)) {
                    text.unicodeScalars.append(scalar)
                }
            }
            let parsed = EntityTagCondition(parsing: text)
            #expect(parsed == EntityTagCondition(parsing: text))
            if case .tags(let tags) = parsed { #expect(tags.count <= EntityTagCondition.entityTagCountMax) }
        }
    }

    @Test("preconditions in the RFC's order: If-Match first (strong, * for any, malformed fails), then If-None-Match (weak, lists, *)")
    func evaluation() {
        let current = tag("v1")
        func outcome(ifMatch: String? = nil, ifNoneMatch: String? = nil) -> ConditionalRequest.Outcome {
            ConditionalRequest.evaluate(ifMatch: ifMatch, ifNoneMatch: ifNoneMatch, current: current)
        }
        #expect(outcome() == .proceed)
        for value in ["\"v1\"", "W/\"v1\"", "\"v0\", \"v1\"", "W/\"v0\", W/\"v1\"", "*"] {
            #expect(outcome(ifNoneMatch: value) == .notModified, "If-None-Match: \(value)")
        }
        for value in ["\"v0\"", "\"v0\", W/\"v2\"", "\"v1", "v1", "", "\"V1\""] {
            #expect(outcome(ifNoneMatch: value) == .proceed, "If-None-Match: \(value)")
        }
        for value in ["\"v1\"", "\"v0\", \"v1\"", "*"] {
            #expect(outcome(ifMatch: value) == .proceed, "If-Match: \(value)")
        }
        for value in ["\"v0\"", "W/\"v1\"", "\"v1", "", "*, \"v1\""] {
            #expect(outcome(ifMatch: value) == .preconditionFailed, "If-Match: \(value)")
        }
        #expect(outcome(ifMatch: "\"v0\"", ifNoneMatch: "\"v1\"") == .preconditionFailed)
        #expect(outcome(ifMatch: "\"v1\"", ifNoneMatch: "\"v1\"") == .notModified)
        #expect(outcome(ifMatch: "*", ifNoneMatch: "\"v0\"") == .proceed)
    }
}
