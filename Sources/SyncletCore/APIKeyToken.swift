/// The shape of an API key as the holder sees it: `syn_<lookup>_<secret>`.
///
/// `lookup` (12 Crockford characters, 60 random bits) finds the stored row; the whole
/// token's SHA-256 is what is stored and compared in constant time. The secret carries
/// 256 random bits, so a plain hash is enough (no password stretching needed).
public struct APIKeyToken: Sendable, Equatable {
    public static let prefix = "syn_"
    public static let lookupLength = 12
    public static let secretLength = 52  // 32 bytes in Crockford base32

    public let lookup: String
    public let token: String

    /// Splits a presented token into its parts; `nil` when it cannot be one of ours.
    public init?(presented text: String) {
        // Byte by byte (every authenticated request parses one): ASCII only, so a byte
        // count is a character count.
        let utf8 = text.utf8
        let prefixCount = Self.prefix.utf8.count
        guard utf8.count == prefixCount + Self.lookupLength + 1 + Self.secretLength, utf8.starts(with: Self.prefix.utf8)
        else { return nil }
        let body = utf8.dropFirst(prefixCount)
        let lookup = body.prefix(Self.lookupLength)
        let rest = body.dropFirst(Self.lookupLength)
        guard rest.first == UInt8(ascii: "_"), lookup.allSatisfy(Crockford.isLowercaseDigit),
              rest.dropFirst().allSatisfy(Crockford.isLowercaseDigit)
        else { return nil }
        self.lookup = String(decoding: lookup, as: UTF8.self)
        self.token = text
    }

    /// Builds a token from fresh random bytes (8 for the lookup, 32 for the secret).
    public init(lookupBytes: [UInt8], secretBytes: [UInt8]) {
        precondition(lookupBytes.count == 8 && secretBytes.count == 32)
        let lookup = String(Crockford.encode(lookupBytes).lowercased().suffix(Self.lookupLength))
        let secret = Crockford.encode(secretBytes).lowercased()
        self.lookup = lookup
        self.token = Self.prefix + lookup + "_" + secret
    }
}
