/// An entity tag (RFC 9110 §8.8.3): opaque bytes between double quotes, weak when written
/// `W/"…"`. Compared byte for byte, never as Unicode text.
public struct EntityTag: Equatable, Sendable {
    /// The bytes between the quotes.
    public let opaque: [UInt8]
    /// `W/`: the representation is only semantically equivalent, not byte-identical.
    public let isWeak: Bool

    public init(opaque: some Sequence<UInt8>, isWeak: Bool = false) {
        self.opaque = Array(opaque)
        self.isWeak = isWeak
    }

    /// One entity tag, optionally surrounded by spaces; `nil` when the text is anything else.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        var index = EntityTagSyntax.skipSpaces(bytes, from: 0)
        guard let scanned = Self.scan(bytes, from: index) else { return nil }
        index = EntityTagSyntax.skipSpaces(bytes, from: scanned.end)
        guard index == bytes.count else { return nil }
        self = scanned.tag
    }

    /// The field value, as an `ETag` header sends it.
    public var header: String { (isWeak ? "W/\"" : "\"") + String(decoding: opaque, as: UTF8.self) + "\"" }

    /// Strong comparison (§8.8.3.2), for If-Match and If-Range: both strong, same bytes.
    public func matchesStrongly(_ other: EntityTag) -> Bool {
        !isWeak && !other.isWeak && opaque == other.opaque
    }

    /// Weak comparison (§8.8.3.2), for If-None-Match: the same bytes, weak or not.
    public func matchesWeakly(_ other: EntityTag) -> Bool { opaque == other.opaque }

    /// Reads `[W/]"etagc*"` starting at `start`; returns the tag and the index after its
    /// closing quote, or `nil` when the bytes there are no entity tag.
    static func scan(_ bytes: [UInt8], from start: Int) -> (tag: EntityTag, end: Int)? {
        var index = start
        var isWeak = false
        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "W"), bytes[index + 1] == UInt8(ascii: "/") {
            isWeak = true
            index += 2
        }
        guard index < bytes.count, bytes[index] == EntityTagSyntax.quote else { return nil }
        index += 1
        let opaqueStart = index
        while index < bytes.count, bytes[index] != EntityTagSyntax.quote {
            guard EntityTagSyntax.isTagByte(bytes[index]) else { return nil }
            index += 1
        }
        guard index < bytes.count else { return nil }  // no closing quote
        return (tag: EntityTag(opaque: bytes[opaqueStart..<index], isWeak: isWeak), end: index + 1)
    }
}

/// The value of an If-Match or If-None-Match field (RFC 9110 §13.1.1, §13.1.2): `*`, or a
/// comma-separated list of entity tags (empty elements allowed, as every `#` list), or
/// something else, which no representation matches.
public enum EntityTagCondition: Equatable, Sendable {
    /// `*`: any current representation.
    case any
    /// The tags listed, in order (possibly none).
    case tags([EntityTag])
    /// Not `*` and not a list of entity tags, or a list longer than `entityTagCountMax`.
    case malformed

    /// The most tags read from one field: a cache revalidating its stored variants sends a
    /// few; a list past this is no cache's and is treated as malformed (it bounds the work
    /// and memory one header can cost).
    public static let entityTagCountMax = 64

    /// Parses a field value; total on any input (lists joined from several field lines
    /// with ", " parse as one list).
    public init(parsing header: String) {
        self = Self.parse(Array(header.utf8))
    }

    static func parse(_ bytes: [UInt8]) -> EntityTagCondition {
        let first = EntityTagSyntax.skipSpaces(bytes, from: 0)
        if first < bytes.count, bytes[first] == UInt8(ascii: "*") {
            return EntityTagSyntax.skipSpaces(bytes, from: first + 1) == bytes.count ? .any : .malformed
        }
        var tags = [EntityTag]()
        var index = first
        while index < bytes.count {
            let byte = bytes[index]
            if byte == EntityTagSyntax.comma || EntityTagSyntax.isSpace(byte) {
                index += 1  // separators and empty elements
                continue
            }
            guard tags.count < entityTagCountMax, let scanned = EntityTag.scan(bytes, from: index) else { return .malformed }
            tags.append(scanned.tag)
            index = EntityTagSyntax.skipSpaces(bytes, from: scanned.end)
            guard index == bytes.count || bytes[index] == EntityTagSyntax.comma else { return .malformed }
        }
        return .tags(tags)
    }

    /// Whether the field names `current`: `*` always does (the representation exists), a
    /// list when one of its tags compares equal, a malformed value never.
    public func matches(_ current: EntityTag, weakly: Bool) -> Bool {
        switch self {
        case .any:
            true
        case .tags(let tags):
            tags.contains { weakly ? $0.matchesWeakly(current) : $0.matchesStrongly(current) }
        case .malformed:
            false
        }
    }
}

/// RFC 9110 §13.2.2 for a GET or HEAD of a representation with an entity tag and no
/// modification date (so If-Unmodified-Since and If-Modified-Since are ignored, §13.1.3-4).
public enum ConditionalRequest {
    public enum Outcome: Equatable, Sendable {
        /// Answer in full (then Range, if any).
        case proceed
        /// 304: the client holds this representation.
        case notModified
        /// 412: If-Match names no current representation.
        case preconditionFailed
    }

    /// If-Match first (strong comparison; a malformed value fails), then If-None-Match
    /// (weak comparison; a malformed value matches nothing).
    public static func evaluate(ifMatch: String?, ifNoneMatch: String?, current: EntityTag) -> Outcome {
        if let ifMatch, !EntityTagCondition(parsing: ifMatch).matches(current, weakly: false) {
            return .preconditionFailed
        }
        if let ifNoneMatch, EntityTagCondition(parsing: ifNoneMatch).matches(current, weakly: true) {
            return .notModified
        }
        return .proceed
    }
}

/// The bytes of the entity-tag grammar.
enum EntityTagSyntax {
    static let quote = UInt8(ascii: "\"")
    static let comma = UInt8(ascii: ",")

    /// `etagc = %x21 / %x23-7E / obs-text`: visible ASCII but the quote, and any byte past
    /// ASCII (so UTF-8 passes as opaque bytes).
    static func isTagByte(_ byte: UInt8) -> Bool {
        byte == 0x21 || (0x23...0x7E).contains(byte) || byte >= 0x80
    }

    /// OWS: space or horizontal tab.
    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    static func skipSpaces(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count, isSpace(bytes[index]) { index += 1 }
        return index
    }
}
