import SyncletCore
import Testing

@Suite("MusicalKey")
struct MusicalKeyTests {
    /// The Camelot wheel: pitch class, mode, normalized name, code.
    static let wheel: [(pitchClass: Int, mode: MusicalKey.Mode, name: String, camelot: String)] = [
        (0, .major, "C major", "8B"),
        (1, .major, "Db major", "3B"),
        (2, .major, "D major", "10B"),
        (3, .major, "Eb major", "5B"),
        (4, .major, "E major", "12B"),
        (5, .major, "F major", "7B"),
        (6, .major, "F# major", "2B"),
        (7, .major, "G major", "9B"),
        (8, .major, "Ab major", "4B"),
        (9, .major, "A major", "11B"),
        (10, .major, "Bb major", "6B"),
        (11, .major, "B major", "1B"),
        (0, .minor, "C minor", "5A"),
        (1, .minor, "C# minor", "12A"),
        (2, .minor, "D minor", "7A"),
        (3, .minor, "Eb minor", "2A"),
        (4, .minor, "E minor", "9A"),
        (5, .minor, "F minor", "4A"),
        (6, .minor, "F# minor", "11A"),
        (7, .minor, "G minor", "6A"),
        (8, .minor, "G# minor", "1A"),
        (9, .minor, "A minor", "8A"),
        (10, .minor, "Bb minor", "3A"),
        (11, .minor, "B minor", "10A"),
    ]

    static let spellings: [(String, Int, MusicalKey.Mode)] = [
        ("A minor", 9, .minor),
        ("Am", 9, .minor),
        ("a min", 9, .minor),
        ("A-", 9, .minor),
        ("A moll", 9, .minor),
        ("F#m", 6, .minor),
        ("Gb", 6, .major),
        ("Bb major", 10, .major),
        ("G♯ minor", 8, .minor),
        ("E♭", 3, .major),
        ("Dbmaj", 1, .major),
        ("C", 0, .major),
        ("c dur", 0, .major),
        ("AM", 9, .major),
        ("  D minor  ", 2, .minor),
        ("Cb", 11, .major),
        ("B#m", 0, .minor),
        ("8A", 9, .minor),
        ("8B", 0, .major),
        ("12B", 4, .major),
        ("1a", 8, .minor),
        ("1b", 11, .major),
        (" 9A ", 4, .minor),
    ]

    static let spelledNames: [(String, String)] = [
        ("F#m", "F# minor"),
        ("Gb", "F# major"),
        ("G♯ minor", "G# minor"),
        ("Dbmaj", "Db major"),
        ("12B", "E major"),
        ("1a", "G# minor"),
        ("A#m", "Bb minor"),
        ("C#", "Db major"),
    ]

    @Test("the wheel table covers 24 distinct keys and 24 distinct codes")
    func tableIsComplete() {
        #expect(Self.wheel.count == 24)
        #expect(Set(Self.wheel.map { $0.camelot }).count == 24)
        #expect(Set(Self.wheel.map { $0.name }).count == 24)
    }

    @Test("every key has its normalized name and Camelot code")
    func namesAndCodes() {
        for row in Self.wheel {
            let key = MusicalKey(pitchClass: row.pitchClass, mode: row.mode)
            #expect(key.name == row.name)
            #expect(key.description == row.name)
            #expect(key.camelot == row.camelot, "\(row.name)")
        }
    }

    @Test("every Camelot code parses to its key and back to the same code")
    func camelotRoundTrip() throws {
        for row in Self.wheel {
            let key = try #require(MusicalKey(parsing: row.camelot), "\(row.camelot)")
            #expect(key == MusicalKey(pitchClass: row.pitchClass, mode: row.mode), "\(row.camelot)")
            #expect(key.camelot == row.camelot)
        }
    }

    @Test("every normalized name parses back to its key")
    func nameRoundTrip() {
        for row in Self.wheel {
            #expect(MusicalKey(parsing: row.name) == MusicalKey(pitchClass: row.pitchClass, mode: row.mode), "\(row.name)")
        }
    }

    @Test("common spellings parse to the right key", arguments: MusicalKeyTests.spellings)
    func parsesSpellings(text: String, pitchClass: Int, mode: MusicalKey.Mode) {
        #expect(MusicalKey(parsing: text) == MusicalKey(pitchClass: pitchClass, mode: mode))
    }

    @Test("parsed keys carry the expected names", arguments: MusicalKeyTests.spelledNames)
    func parsedNames(text: String, name: String) {
        #expect(MusicalKey(parsing: text)?.name == name)
    }

    @Test("text that is not a key is refused", arguments: [
        "H", "X minor", "13A", "0A", "12C", "", "   ", "A lydian", "Am7", "minor", "A#b", "8", "A major minor",
    ])
    func refusesNonKeys(text: String) {
        #expect(MusicalKey(parsing: text) == nil)
    }

    @Test("text whose upper case is longer than it, ligatures and combining marks are refused, never a trap", arguments: [
        "ß", "ß minor", "ŉ", "ﬀ", "ﬀm", "İ", "ǰ", "ΐ", "\u{0301}", "A\u{0301}", "A\u{0301} minor", "🎵", "Ａ", "8\u{0301}A", "ßA",
    ])
    func refusesOddUnicode(text: String) {
        #expect(MusicalKey(parsing: text) == nil)
    }

    @Test("the harmonic neighbours of 8A are 8A, 9A, 7A and 8B")
    func neighboursOf8A() throws {
        let key = try #require(MusicalKey(parsing: "8A"))
        #expect(key.harmonicNeighbours.map(\.camelot) == ["8A", "9A", "7A", "8B"])
        #expect(key.harmonicNeighbours == [
            MusicalKey(pitchClass: 9, mode: .minor),
            MusicalKey(pitchClass: 4, mode: .minor),
            MusicalKey(pitchClass: 2, mode: .minor),
            MusicalKey(pitchClass: 0, mode: .major),
        ])
    }

    @Test("the harmonic neighbours wrap around the wheel")
    func neighboursWrap() throws {
        let eMajor = try #require(MusicalKey(parsing: "12B"))
        let gSharpMinor = try #require(MusicalKey(parsing: "1A"))
        #expect(eMajor.harmonicNeighbours.map(\.camelot) == ["12B", "1B", "11B", "12A"])
        #expect(gSharpMinor.harmonicNeighbours.map(\.camelot) == ["1A", "2A", "12A", "1B"])
    }
}

@Suite("ISRC")
struct ISRCTests {
    @Test("accepts the hyphenated and the compact lower-case forms and normalizes them")
    func acceptsBothForms() throws {
        let hyphenated = try #require(ISRC(parsing: "US-S1Z-99-00001"))
        let compact = try #require(ISRC(parsing: "uss1z9900001"))
        #expect(hyphenated.code == "USS1Z9900001")
        #expect(compact.code == "USS1Z9900001")
        #expect(hyphenated == compact)
        #expect(compact.hyphenated == "US-S1Z-99-00001")
        #expect(compact.description == "USS1Z9900001")
    }

    @Test("accepts surrounding whitespace")
    func acceptsWhitespace() {
        #expect(ISRC(parsing: "  GB-AYE-69-00531 ")?.code == "GBAYE6900531")
    }

    @Test("refuses malformed codes", arguments: [
        "",
        "USS1Z990000",      // 11 characters
        "USS1Z99000011",    // 13 characters
        "U1S1Z9900001",     // digit in the country
        "1SS1Z9900001",     // digit in the country
        "USS1ZA900001",     // letter in the year
        "USS1Z9A00001",     // letter in the year
        "USS1Z990000A",     // letter in the designation
        "USS1Z99O0001",     // letter O for zero in the designation
        "US-S1Z-99-0000",   // short designation
        "US S1Z 99 00001",  // spaces are not separators
        "ÜSS1Z9900001",     // non-ASCII letter
        "US-S_Z-99-00001",  // punctuation in the registrant
    ])
    func refusesMalformed(text: String) {
        #expect(ISRC(parsing: text) == nil)
    }
}
