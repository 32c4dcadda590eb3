// MARK: - One setting

/// One row of the table: a limit's name (for `--limit NAME=VALUE`), its environment
/// variable, its unit and bounds, and what it means.
public struct LimitSetting: Sendable {
    /// How a value is written and read back.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A whole number of things.
        case count
        /// A size; `4GiB`, `256KiB`, `8MB` and plain bytes are accepted.
        case bytes
        /// A duration in seconds; `90`, `5m`, `2h` and `1d` are accepted.
        case seconds
        /// A duration in milliseconds; `500` and `2s` are accepted.
        case milliseconds
        /// An amount of the deployment's currency, such as `10` or `25.50`; kept in micro-units.
        case amount
    }

    /// Lower-case words joined by hyphens, e.g. `usage-batch-max-events`.
    public let name: String
    public let kind: Kind
    /// What the limit means, in one sentence for the README and `--list-limits`.
    public let summary: String
    /// The values allowed, in the limit's stored unit (bytes, seconds, ms, micro-units).
    public let range: ClosedRange<Int64>
    /// Why the upper bound cannot be raised, when something outside the server promises it.
    public let ceiling: String?
    private let read: @Sendable (Limits) -> Int64
    private let write: @Sendable (inout Limits, Int64) -> Void

    /// Durations are kept below a century: larger ones overflow nanosecond clocks.
    static let secondsMax: Int64 = 100 * 365 * 86_400

    init<Value: FixedWidthInteger & Sendable>(
        _ name: String, _ keyPath: WritableKeyPath<Limits, Value> & Sendable, _ kind: Kind,
        min: Int64 = 1, max: Int64? = nil, ceiling: String? = nil, _ summary: String
    ) {
        let unbounded: Int64 = switch kind {
        case .seconds: Self.secondsMax
        case .milliseconds: Self.secondsMax * 1000
        case .count, .bytes, .amount: Int64(Value.max)
        }
        let upper = max ?? unbounded
        precondition(min <= upper, "the bounds of \(name) are empty")
        self.name = name
        self.kind = kind
        self.summary = summary
        self.range = min...upper
        self.ceiling = ceiling
        self.read = { limits in Int64(limits[keyPath: keyPath]) }
        self.write = { limits, value in limits[keyPath: keyPath] = Value(value) }
    }

    /// `SYNCLET_` and the name in upper case with underscores.
    public var environment: String {
        "SYNCLET_" + name.uppercased().replacingAll("-", with: "_")
    }

    /// The limit's value in `limits`, in its stored unit.
    public func value(in limits: Limits) -> Int64 { read(limits) }

    /// Sets the limit; the value must be inside `range` (what `parse` returns always is).
    public func set(_ value: Int64, in limits: inout Limits) {
        precondition(range.contains(value), "\(name) = \(value) is outside \(range)")
        write(&limits, value)
    }

    public var defaultValue: Int64 { value(in: Limits()) }

    /// Reads a value as an operator writes it; `source` names where it came from
    /// (`--limit pack-max-entries`, `SYNCLET_PACK_MAX_ENTRIES`) for the error.
    public func parse(_ text: String, from source: String) throws(LimitError) -> Int64 {
        guard let value = kind.value(of: String(text.trimmingWhitespace())), range.contains(value) else {
            throw LimitError("\(source) must be \(requirement); got '\(text)'.")
        }
        return value
    }

    /// The canonical text of a value, which `parse` reads back to the same value.
    public func format(_ value: Int64) -> String { kind.format(value) }

    public var defaultText: String { format(defaultValue) }

    /// What a valid value looks like, for error messages and `--list-limits`.
    public var requirement: String {
        let upper = range.upperBound >= kind.unboundedFrom ? nil : format(range.upperBound)
        let bounds = upper.map { "from \(format(range.lowerBound)) to \($0)" } ?? "at least \(format(range.lowerBound))"
        let reason = ceiling.map { " (\($0), so it can be lowered but not raised)" } ?? ""
        return "\(kind.description), \(bounds)\(reason)"
    }

    /// This setting's row of the README's Limits table, exactly.
    public var readmeRow: String {
        let note = ceiling.map { " At most \(format(range.upperBound)): \($0)." } ?? ""
        return "| `\(name)` | `\(environment)` | `\(defaultText)` | \(summary)\(note) |"
    }

    /// The README table's header, above the rows.
    public static let readmeHeader = """
        | `--limit` name | environment | default | meaning |
        |---|---|---|---|
        """
}

extension LimitSetting.Kind: CustomStringConvertible {
    public var description: String {
        switch self {
        case .count: "a whole number"
        case .bytes: "a size in bytes such as 1048576, 512KiB or 8MiB"
        case .seconds: "a number of seconds such as 90 (or 5m, 2h, 1d)"
        case .milliseconds: "a number of milliseconds such as 500 (or 2s)"
        case .amount: "an amount such as 10 or 25.50"
        }
    }

    /// Upper bounds at or past this are not worth printing ("at least 1" says it all).
    var unboundedFrom: Int64 {
        switch self {
        case .seconds: LimitSetting.secondsMax
        case .milliseconds: LimitSetting.secondsMax * 1000
        case .count, .bytes, .amount: Int64(Int32.max)
        }
    }

    /// Binary and decimal byte units, by lower-case suffix.
    private static let byteUnits: [String: Int64] = [
        "": 1, "b": 1,
        "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
        "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000, "tb": 1_000_000_000_000,
    ]
    private static let secondUnits: [String: Int64] = ["": 1, "s": 1, "m": 60, "min": 60, "h": 3_600, "d": 86_400]
    private static let millisecondUnits: [String: Int64] = ["": 1, "ms": 1, "s": 1_000]

    /// The value of `text` in this kind's stored unit, or nil when it is not one.
    func value(of text: String) -> Int64? {
        switch self {
        case .count: Self.scaled(text, units: ["": 1])
        case .bytes: Self.scaled(text, units: Self.byteUnits)
        case .seconds: Self.scaled(text, units: Self.secondUnits)
        case .milliseconds: Self.scaled(text, units: Self.millisecondUnits)
        case .amount: Money(decimal: text).map(\.micros)
        }
    }

    /// Digits (underscores allowed between them), optional spaces, then a unit suffix.
    private static func scaled(_ text: String, units: [String: Int64]) -> Int64? {
        let digits = text.prefix { $0.isASCIIDigit || $0 == "_" }
        let suffix = text.dropFirst(digits.count).trimmingWhitespace().lowercased()
        guard let first = digits.first, first.isASCIIDigit, digits.last?.isASCIIDigit == true,
              let number = Int64(String(digits.filter(\.isASCIIDigit))), let unit = units[suffix] else { return nil }
        let (product, overflow) = number.multipliedReportingOverflow(by: unit)
        return overflow ? nil : product
    }

    func format(_ value: Int64) -> String {
        switch self {
        case .count, .seconds, .milliseconds:
            return String(value)
        case .bytes:
            for (suffix, unit) in [("TiB", Int64(1) << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
            where value != 0 && value % unit == 0 {
                return "\(value / unit)\(suffix)"
            }
            return String(value)
        case .amount:
            var text = Money(micros: value).decimal
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
            return text
        }
    }
}

// MARK: - Assignments and errors

/// `NAME=VALUE` as given on the command line, and where it came from.
public struct LimitAssignment: Sendable, Equatable {
    public var name: String
    public var value: String
    /// How the operator wrote it, for messages: `--limit pack-max-entries`, `--upload-max-bytes`.
    public var source: String

    public init(name: String, value: String, source: String) {
        self.name = name
        self.value = value
        self.source = source
    }

    /// Reads one `--limit` argument.
    public init(parsing argument: String) throws(LimitError) {
        let parts = argument.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts.first.map { String($0.trimmingWhitespace()) } ?? ""
        guard parts.count == 2, !name.isEmpty else {
            throw LimitError("--limit takes NAME=VALUE, e.g. --limit usage-batch-max-events=5000; got '\(argument)'.")
        }
        self.init(name: name, value: String(parts[1]), source: "--limit \(name)")
    }
}

/// A limit that could not be set, said so that the operator knows what to write instead.
public struct LimitError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    static func unknown(_ name: String, source: String) -> LimitError {
        let hint = suggestion(for: name).map { " Did you mean \($0)?" } ?? ""
        return LimitError("\(source): there is no limit named '\(name)'.\(hint) `synclet serve --list-limits` prints them all (README: Limits).")
    }

    /// The name meant by a near miss: the same words in another order, an environment
    /// variable's spelling, or a typo or two.
    static func suggestion(for name: String) -> String? {
        var normalized = name.lowercased().replacingAll("_", with: "-")
        if normalized.hasPrefix("synclet-") { normalized.removeFirst("synclet-".count) }
        let words = Set(normalized.split(separator: "-"))
        let names = Limits.settings.map(\.name)
        if let same = names.first(where: { Set($0.split(separator: "-")) == words }) { return same }
        let nearest = names.min { editDistance($0, normalized) < editDistance($1, normalized) }
        return nearest.flatMap { editDistance($0, normalized) <= Swift.max(3, normalized.count / 4) ? $0 : nil }
    }

    /// Levenshtein distance over characters, for "did you mean".
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...Swift.max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...Swift.max(b.count, 1) where !b.isEmpty {
                current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension String {
    /// Every `target` replaced, without Foundation (SyncletCore does no I/O and needs none).
    fileprivate func replacingAll(_ target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
