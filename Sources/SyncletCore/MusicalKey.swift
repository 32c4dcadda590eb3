/// A musical key (tonic + mode) with its Camelot wheel code, parsed from what musicians
/// type: "A minor", "Am", "a min", "F#m", "Bb major", "G♯ minor", "Dbmaj", or "8A".
public struct MusicalKey: Hashable, Sendable, CustomStringConvertible {
    public enum Mode: String, Sendable { case major, minor }

    /// Pitch class of the tonic, 0 = C … 11 = B.
    public let pitchClass: Int
    public let mode: Mode

    public init(pitchClass: Int, mode: Mode) {
        precondition((0..<12).contains(pitchClass))
        self.pitchClass = pitchClass
        self.mode = mode
    }

    private static let majorNames = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    private static let minorNames = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "G#", "A", "Bb", "B"]

    /// The normalized name, e.g. "A minor", "F# major", "Bb minor".
    public var name: String {
        (mode == .major ? Self.majorNames : Self.minorNames)[pitchClass] + " " + mode.rawValue
    }

    public var description: String { name }

    /// The Camelot number, 1…12: C major is 8B and each step clockwise is a fifth up.
    public var camelotNumber: Int {
        let majorTonic = mode == .major ? pitchClass : (pitchClass + 3) % 12
        return ((majorTonic * 7) % 12 + 7) % 12 + 1
    }

    /// The Camelot code, e.g. "8A" (minor keys are A, major keys B).
    public var camelot: String { "\(camelotNumber)\(mode == .minor ? "A" : "B")" }

    /// Parses a key name or a Camelot code; `nil` when the text is not a key.
    public init?(parsing text: String) {
        var rest = Substring(text.trimmingWhitespace())
        guard !rest.isEmpty else { return nil }
        if let camelot = Self(camelotCode: rest) { self = camelot; return }

        // Only an ASCII letter can name a tonic. Checking that first keeps the parse total:
        // the upper case of other letters may be several characters ("ß" → "SS", "ŉ" → "ʼN").
        guard let letter = rest.first, letter.isASCII, let natural = Self.naturals[Character(letter.uppercased())] else { return nil }
        rest = rest.dropFirst()
        var pitch = natural
        if let accidental = rest.first {
            switch accidental {
            case "#", "♯": pitch += 1; rest = rest.dropFirst()
            case "b", "♭": pitch -= 1; rest = rest.dropFirst()
            default: break
            }
        }
        // "-" is a common shorthand for minor ("A-"); words and abbreviations otherwise.
        let modeText = rest.trimmingWhitespace().lowercased()
        let mode: Mode
        switch modeText {
        case "", "maj", "major", "dur": mode = .major
        case "m", "min", "minor", "-", "moll": mode = .minor
        default: return nil
        }
        // "M" after lowercasing never matches; an upper-case "M" suffix means major.
        let explicitMajor = rest.trimmingWhitespace() == "M"
        self.init(pitchClass: (pitch + 12) % 12, mode: explicitMajor ? .major : mode)
    }

    private init?(camelotCode: Substring) {
        guard let last = camelotCode.last?.uppercased(), last == "A" || last == "B",
              let number = Int(camelotCode.dropLast()), (1...12).contains(number)
        else { return nil }
        let mode: Mode = last == "A" ? .minor : .major
        // Invert camelotNumber: majorTonic × 7 ≡ number − 8 (mod 12); 7 is its own inverse mod 12.
        let majorTonic = (((number - 8) % 12 + 12) % 12 * 7) % 12
        self.init(pitchClass: mode == .major ? majorTonic : (majorTonic + 9) % 12, mode: mode)
    }

    /// Keys that mix well with this one: the same code, one step either way on the wheel,
    /// and the relative major or minor.
    public var harmonicNeighbours: [MusicalKey] {
        let steps = [0, 1, -1].map { step -> MusicalKey in
            let number = ((camelotNumber - 1 + step) % 12 + 12) % 12 + 1
            return MusicalKey(camelotCode: Substring("\(number)\(mode == .minor ? "A" : "B")"))!
        }
        let relative = MusicalKey(camelotCode: Substring("\(camelotNumber)\(mode == .minor ? "B" : "A")"))!
        return steps + [relative]
    }

    private static let naturals: [Character: Int] = ["C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11]
}

extension StringProtocol {
    func trimmingWhitespace() -> Substring {
        let text = Substring(self)
        guard let start = text.firstIndex(where: { !$0.isWhitespace }) else { return "" }
        let end = text.lastIndex(where: { !$0.isWhitespace })!
        return text[start...end]
    }
}
