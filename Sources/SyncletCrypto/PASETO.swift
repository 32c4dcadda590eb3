/// Why a PASETO token was refused. Callers should answer every case the same way (the token
/// is not valid); the cases exist for tests and logs.
public enum PASETOError: Error, Equatable, Sendable {
    /// Not shaped like a `v4.public` token: missing parts, extra parts, an empty footer after
    /// a final `.`, a body shorter than a signature, or longer than `PASETO.tokenByteCountMax`.
    case malformed
    /// A PASETO of another version or purpose (`v4.local.`, `v3.public.`, `v2.public.` …).
    case wrongVersionOrPurpose
    /// The signature does not verify for this key, footer and implicit assertion.
    case badSignature
    /// The body or footer is not canonical unpadded base64url.
    case badEncoding
}

/// PASETO version 4, purpose `public`: Ed25519 signatures over PAE(header, message, footer,
/// implicit assertion), per paseto-standard/paseto-spec docs/01-Protocol-Versions/Version4.md.
public enum PASETO {
    /// The only header we sign and accept.
    static let header: [UInt8] = Array("v4.public.".utf8)
    /// Longest token `verify` reads, in bytes; longer ones are refused before decoding.
    public static let tokenByteCountMax = 65_536

    /// Signs `message` into a `v4.public.` token. The footer travels in clear (base64url) and is
    /// authenticated; the implicit assertion is authenticated but not carried in the token.
    public static func sign(message: [UInt8], footer: [UInt8] = [], implicit: [UInt8] = [],
                            key: Ed25519PrivateKey) -> String {
        let signature = key.sign(pae([header, message, footer, implicit]))
        var token = String(decoding: header, as: UTF8.self) + Base64URL.encode(message + signature)
        if !footer.isEmpty {
            token += "." + Base64URL.encode(footer)
        }
        return token
    }

    /// Verifies and returns the message; throws PASETOError for every failure.
    public static func verify(_ token: String, key: Ed25519PublicKey,
                              implicit: [UInt8] = []) throws(PASETOError) -> (message: [UInt8], footer: [UInt8]) {
        let parts = try parse(token)
        let message = Array(parts.body.dropLast(Ed25519.signatureByteCount))
        let signature = Array(parts.body.suffix(Ed25519.signatureByteCount))
        guard key.isValidSignature(signature, for: pae([header, message, parts.footer, implicit])) else {
            throw .badSignature
        }
        return (message, parts.footer)
    }

    /// Reads the footer without verifying (to find the key id), strictly: the whole token must
    /// be well formed, only the signature is left unchecked. Trust nothing in it until `verify`.
    public static func unverifiedFooter(_ token: String) throws(PASETOError) -> [UInt8] {
        try parse(token).footer
    }

    /// Pre-authentication encoding: LE64(count) then LE64(length) || bytes for each piece, so
    /// that no two different lists of pieces encode to the same bytes.
    static func pae(_ pieces: [[UInt8]]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(8 + pieces.reduce(0) { $0 + 8 + $1.count })
        appendLE64(UInt64(pieces.count), to: &output)
        for piece in pieces {
            appendLE64(UInt64(piece.count), to: &output)
            output.append(contentsOf: piece)
        }
        return output
    }

    /// Little-endian 64-bit with the top bit cleared, as the spec requires for interoperability
    /// with languages without unsigned integers.
    private static func appendLE64(_ value: UInt64, to output: inout [UInt8]) {
        let cleared = value & 0x7FFF_FFFF_FFFF_FFFF
        for shift in stride(from: 0, to: 64, by: 8) {
            output.append(UInt8(truncatingIfNeeded: cleared >> UInt64(shift)))
        }
    }

    /// Splits and decodes a token: `v4.public.` body [`.` footer], body = message || signature.
    private static func parse(_ token: String) throws(PASETOError) -> (body: [UInt8], footer: [UInt8]) {
        let bytes = Array(token.utf8)
        guard bytes.count <= tokenByteCountMax else { throw .malformed }
        guard bytes.starts(with: header) else { throw headerError(bytes) }
        let rest = bytes[header.count...]
        guard !rest.isEmpty else { throw .malformed }
        let segments = rest.split(separator: dot, omittingEmptySubsequences: false)
        guard segments.count <= 2, !segments[0].isEmpty else { throw .malformed }
        // A footer segment exists only when the footer is non-empty; a trailing "." is not canonical.
        if segments.count == 2, segments[1].isEmpty { throw .malformed }
        guard let body = Base64URL.decode(ascii: segments[0]) else { throw .badEncoding }
        guard body.count >= Ed25519.signatureByteCount else { throw .malformed }
        var footer: [UInt8] = []
        if segments.count == 2 {
            guard let decoded = Base64URL.decode(ascii: segments[1]) else { throw .badEncoding }
            footer = decoded
        }
        return (body, footer)
    }

    private static let dot = UInt8(ascii: ".")

    /// Tells a PASETO of another version or purpose (`v2.public.…`, `v4.local.…`) from text that
    /// is not a PASETO at all.
    private static func headerError(_ bytes: [UInt8]) -> PASETOError {
        let parts = bytes.split(separator: dot, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .malformed }
        let version = parts[0]
        let purpose = parts[1]
        guard (2...8).contains(version.count), version.first == UInt8(ascii: "v") else { return .malformed }
        guard version.dropFirst().allSatisfy({ isDigit($0) || isLowercaseLetter($0) }) else { return .malformed }
        guard (1...16).contains(purpose.count), purpose.allSatisfy({ isLowercaseLetter($0) }) else { return .malformed }
        return .wrongVersionOrPurpose
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isLowercaseLetter(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")
    }
}

/// base64url without padding (RFC 4648 §5), strict on input: only the 64 URL-safe characters,
/// no `=`, no length that leaves a lone character, and unused trailing bits must be zero, so
/// every byte string has exactly one accepted encoding.
public enum Base64URL {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let invalid: UInt8 = 0xFF
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: Base64URL.invalid, count: 256)
        for (index, character) in Base64URL.alphabet.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        return table
    }()

    /// Encodes without padding.
    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let group = group24(bytes[index], bytes[index + 1], bytes[index + 2])
            appendCharacters(of: group, count: 4, to: &output)
            index += 3
        }
        switch bytes.count - index {
        case 1:
            appendCharacters(of: group24(bytes[index], 0, 0), count: 2, to: &output)
        case 2:
            appendCharacters(of: group24(bytes[index], bytes[index + 1], 0), count: 3, to: &output)
        default:
            break
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes, or nil when the text is not the canonical unpadded base64url of some bytes.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(ascii: text.utf8)
    }

    /// Decodes ASCII bytes, or nil when they are not canonical unpadded base64url.
    static func decode(ascii input: some Collection<UInt8>) -> [UInt8]? {
        if input.count % 4 == 1 { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for character in input {
            let value = decodeTable[Int(character)]
            if value == invalid { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (UInt32(1) << UInt32(bitCount)) &- 1
            }
        }
        // The 2 or 4 bits left over by a partial final group must be zero, or another string
        // would decode to the same bytes (a token could be altered and still verify).
        guard accumulator == 0 else { return nil }
        return output
    }

    private static func group24(_ first: UInt8, _ second: UInt8, _ third: UInt8) -> UInt32 {
        let high = UInt32(first) << 16
        let middle = UInt32(second) << 8
        return high | middle | UInt32(third)
    }

    /// Appends the top `count` 6-bit groups of a 24-bit group.
    private static func appendCharacters(of group: UInt32, count: Int, to output: inout [UInt8]) {
        for position in 0..<count {
            let shift = UInt32(18 - 6 * position)
            output.append(alphabet[Int((group >> shift) & 0x3F)])
        }
    }
}
