/// A catalog search as the API accepts it, validated: every parameter in range, text
/// turned into a safe FTS5 expression, keys normalized to Camelot codes.
public struct SearchQuery: Sendable, Equatable {
    public enum Sort: String, Sendable, CaseIterable { case relevance, newest, duration }

    /// The FTS5 MATCH expression built from the words typed, each a prefix: `"night"* "dri"*`.
    public var match: String?
    public var kind: AssetKind?
    public var bpmMin: Double?
    public var bpmMax: Double?
    /// Exact key, as a Camelot code.
    public var camelot: String?
    /// Harmonic neighbours of a key, as Camelot codes.
    public var compatibleCamelots: [String]?
    public var durationMillisecondsMin: Int64?
    public var durationMillisecondsMax: Int64?
    public var vocals: Bool?
    public var composer: PartyID?
    /// A composer named by display name instead of id (exact, ignoring ASCII case).
    public var composerName: String?
    public var hasStems: Bool?
    /// Only the caller's own assets (any status but withdrawn unless `status` says so).
    public var mine: Bool
    /// Filter by status; only meaningful with `mine`.
    public var status: AssetStatus?
    public var sort: Sort

    /// Parses query parameters within `limits` (search text length and words); every
    /// refusal is a 400 naming the parameter.
    public init(parameters: (String) -> String?, limits: Limits = Limits()) throws(Problem) {
        if let text = parameters("q") {
            guard text.count <= limits.searchTextCharacterCountMax else {
                throw .badRequest("q may be at most \(limits.searchTextCharacterCountMax) characters.", field: "q")
            }
            match = try Self.matchExpression(text, wordCountMax: limits.searchWordCountMax)
        }
        if let text = parameters("kind") {
            guard let value = AssetKind(rawValue: text) else {
                throw .badRequest("kind must be track, stem or loop.", field: "kind")
            }
            kind = value
        }
        bpmMin = try Self.number(parameters("bpm_min"), "bpm_min", AssetMetadata.bpmRange)
        bpmMax = try Self.number(parameters("bpm_max"), "bpm_max", AssetMetadata.bpmRange)
        if let low = bpmMin, let high = bpmMax, low > high {
            throw .badRequest("bpm_min must not exceed bpm_max.", field: "bpm_min")
        }
        if let text = parameters("key") {
            guard let key = MusicalKey(parsing: text) else {
                throw .badRequest("key \"\(text)\" is not a musical key; use e.g. Am, \"F# major\" or 8A.", field: "key")
            }
            camelot = key.camelot
        }
        if let text = parameters("compatible_with") {
            guard let key = MusicalKey(parsing: text) else {
                throw .badRequest("compatible_with \"\(text)\" is not a musical key; use e.g. 8A or Am.", field: "compatible_with")
            }
            compatibleCamelots = key.harmonicNeighbours.map(\.camelot)
        }
        let durationRange = 0.0...86_400.0
        durationMillisecondsMin = try Self.number(parameters("duration_min"), "duration_min", durationRange).map { Int64(($0 * 1000).rounded()) }
        durationMillisecondsMax = try Self.number(parameters("duration_max"), "duration_max", durationRange).map { Int64(($0 * 1000).rounded()) }
        if let low = durationMillisecondsMin, let high = durationMillisecondsMax, low > high {
            throw .badRequest("duration_min must not exceed duration_max.", field: "duration_min")
        }
        vocals = try Self.flag(parameters("vocals"), "vocals")
        if let text = parameters("composer") {
            if let id = PartyID(text) {
                composer = id
            } else {
                let name = String(text.trimmingWhitespace())
                guard !name.isEmpty, name.unicodeScalars.count <= 200 else {
                    throw .badRequest("composer is a party id (pty_…) or a composer's name of 1 to 200 characters.", field: "composer")
                }
                composerName = name
            }
        }
        hasStems = try Self.flag(parameters("has_stems"), "has_stems")
        mine = try Self.flag(parameters("mine"), "mine") ?? false
        if let text = parameters("status") {
            guard let value = AssetStatus(rawValue: text) else {
                throw .badRequest("status must be draft, published or withdrawn.", field: "status")
            }
            guard mine else { throw .badRequest("status filters your own assets: add mine=true.", field: "status") }
            status = value
        }
        if let text = parameters("sort") {
            guard let value = Sort(rawValue: text) else {
                throw .badRequest("sort must be relevance, newest or duration.", field: "sort")
            }
            guard value != .relevance || match != nil else {
                throw .badRequest("sort=relevance needs a text query (q).", field: "sort")
            }
            sort = value
        } else {
            sort = match == nil ? .newest : .relevance
        }
    }

    /// Words → `"word"*` terms (implicit AND). Letters and digits only, so nothing the user
    /// types can become FTS5 syntax.
    static func matchExpression(_ text: String, wordCountMax: Int) throws(Problem) -> String {
        let words = text.lowercased()
            .split(whereSeparator: { !($0.isLetter || $0.isNumber) })
            .prefix(wordCountMax)
        guard !words.isEmpty else {
            throw .badRequest("q must contain at least one letter or digit.", field: "q")
        }
        return words.map { "\"\($0)\"*" }.joined(separator: " ")
    }

    static func number(_ text: String?, _ name: String, _ range: ClosedRange<Double>) throws(Problem) -> Double? {
        guard let text else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw .badRequest("\(name) must be a number from \(Int(range.lowerBound)) to \(Int(range.upperBound)).", field: name)
        }
        return value
    }

    static func flag(_ text: String?, _ name: String) throws(Problem) -> Bool? {
        switch text {
        case nil: nil
        case "true", "1": true
        case "false", "0": false
        default: throw .badRequest("\(name) must be true or false.", field: name)
        }
    }
}
