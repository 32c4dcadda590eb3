/// A typed, prefixed identifier such as `ast_01jd5x8q0k3m7c2v9r4t6y8w1z`.
///
/// The text after the prefix is a ULID in lower-case Crockford base32: 48 bits of
/// milliseconds then 80 random bits, so ids sort by creation time and cursor pagination
/// over ids is stable. The `Kind` tag keeps an asset id from being passed as a party id.
public struct Identifier<Kind: IdentifierKind>: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    /// The full id, prefix included.
    public let rawValue: String

    /// Accepts only well-formed ids of this kind; anything else is `nil`.
    public init?(_ text: some StringProtocol) {
        // Byte by byte: ids are parsed on every request and every row read.
        let prefix = Kind.prefix.utf8
        let utf8 = text.utf8
        guard utf8.count == prefix.count + Self.bodyLength, utf8.starts(with: prefix),
              utf8.dropFirst(prefix.count).allSatisfy({ Crockford.isLowercaseDigit($0) })
        else { return nil }
        self.rawValue = String(text)
    }

    /// Accepts only the UTF-8 bytes of a well-formed id of this kind (rows read straight
    /// from the database).
    public init?(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        let prefix = Kind.prefix.utf8
        guard bytes.count == prefix.count + Self.bodyLength, bytes.starts(with: prefix),
              bytes.dropFirst(prefix.count).allSatisfy({ Crockford.isLowercaseDigit($0) })
        else { return nil }
        self.rawValue = String(decoding: bytes, as: UTF8.self)
    }

    /// Makes a new id for the given instant, with randomness from `random`.
    public static func make(millisecondsSince1970 ms: Int64, random: inout some RandomNumberGenerator) -> Self {
        var bytes = [UInt8](repeating: 0, count: 16)
        let time = UInt64(max(0, ms)) & 0xFFFF_FFFF_FFFF
        for index in 0..<6 { bytes[index] = UInt8((time >> (8 * UInt64(5 - index))) & 0xFF) }
        for index in 6..<16 { bytes[index] = UInt8.random(in: 0...255, using: &random) }
        let body = Crockford.encode(bytes).lowercased()
        // 128 bits in base32 is 26 characters (the first carries 3 bits).
        return Self(unchecked: Kind.prefix + String(body.suffix(bodyLength)))
    }

    private init(unchecked: String) { self.rawValue = unchecked }

    static var bodyLength: Int { 26 }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = Self(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a valid \(Kind.prefix)… id: \(text)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The tag of an identifier: its readable prefix.
public protocol IdentifierKind: Sendable {
    static var prefix: String { get }
}

public enum PartyKindTag: IdentifierKind { public static let prefix = "pty_" }
public enum APIKeyKindTag: IdentifierKind { public static let prefix = "key_" }
public enum AssetKindTag: IdentifierKind { public static let prefix = "ast_" }
public enum UploadKindTag: IdentifierKind { public static let prefix = "upl_" }

public typealias PartyID = Identifier<PartyKindTag>
public typealias APIKeyID = Identifier<APIKeyKindTag>
public typealias AssetID = Identifier<AssetKindTag>
public typealias UploadID = Identifier<UploadKindTag>
