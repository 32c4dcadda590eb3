/// A single byte range resolved against a representation's length (RFC 9110 §14).
public struct ByteRange: Equatable, Sendable {
    /// First byte, inclusive.
    public let first: Int64
    /// Last byte, inclusive.
    public let last: Int64

    public var count: Int64 { last - first + 1 }

    /// The `Content-Range` value for this range.
    public func contentRange(totalLength: Int64) -> String { "bytes \(first)-\(last)/\(totalLength)" }

    /// What a `Range` header asks of a representation of `length` bytes.
    public enum Request: Equatable, Sendable {
        /// No usable Range header (absent, another unit, malformed, or several ranges,
        /// which RFC 9110 lets a server answer with the whole representation): send 200.
        case whole
        /// One satisfiable range: send 206.
        case partial(ByteRange)
        /// A well-formed range that lies outside the representation: send 416.
        case unsatisfiable
    }

    /// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`.
    public static func parse(header: String?, length: Int64) -> Request {
        guard let header = header?.trimmingWhitespace(), header.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst("bytes=".count).trimmingWhitespace()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .whole }
        let startText = spec[..<dash].trimmingWhitespace()
        let endText = spec[spec.index(after: dash)...].trimmingWhitespace()
        guard startText.allSatisfy(\.isASCIIDigit), endText.allSatisfy(\.isASCIIDigit) else { return .whole }

        if startText.isEmpty {
            // Suffix range: the last n bytes.
            guard let suffix = Int64(endText) else { return .whole }
            guard suffix > 0, length > 0 else { return .unsatisfiable }
            return .partial(ByteRange(first: max(0, length - suffix), last: length - 1))
        }
        guard let start = Int64(startText) else { return .whole }
        guard start < length else { return .unsatisfiable }
        if endText.isEmpty { return .partial(ByteRange(first: start, last: length - 1)) }
        guard let end = Int64(endText) else { return .whole }
        guard end >= start else { return .whole }  // invalid range-spec: ignore the header
        return .partial(ByteRange(first: start, last: min(end, length - 1)))
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
