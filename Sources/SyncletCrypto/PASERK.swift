import CSodium

/// Why a PASERK string was refused.
public enum PASERKError: Error, Equatable, Sendable {
    /// Not shaped like `k4.<type>.<data>`, or the data has the wrong length for its type.
    case malformed
    /// A PASERK of another version or type (`k4.secret.` where a public key was asked for,
    /// `k4.local.`, `k3.public.` …).
    case wrongVersionOrType
    /// The data is not canonical unpadded base64url.
    case badEncoding
    /// Well formed, but not a usable key: OpenSSL refused it, or a secret key's public half
    /// does not match its seed.
    case invalidKey
}

/// PASERK serializations of version-4 keys (paseto-standard/paserk): `k4.public.`, `k4.secret.`
/// and the public key id `k4.pid.`.
public enum PASERK {
    static let publicHeader = "k4.public."
    static let secretHeader = "k4.secret."
    static let publicIDHeader = "k4.pid."
    /// A `k4.secret.` holds the seed followed by the public key.
    static let secretByteCount = 2 * Ed25519.keyByteCount
    /// PASERK ids are BLAKE2b-264: 33 bytes, 44 base64url characters.
    static let idByteCount = 33

    /// `k4.public.` + base64url(raw 32-byte public key).
    public static func publicKey(_ key: Ed25519PublicKey) -> String {
        publicHeader + Base64URL.encode(key.rawRepresentation)
    }

    /// Reads a `k4.public.` PASERK; refuses every other version and type.
    public static func parsePublicKey(_ text: String) throws(PASERKError) -> Ed25519PublicKey {
        let data = try payload(of: text, header: publicHeader, byteCount: Ed25519.keyByteCount)
        do {
            return try Ed25519PublicKey(rawRepresentation: data)
        } catch {
            throw PASERKError.invalidKey
        }
    }

    /// `k4.secret.` + base64url(seed || public key), the 64-byte form libsodium calls a secret key.
    public static func secretKey(_ key: Ed25519PrivateKey) -> String {
        secretHeader + Base64URL.encode(key.seed + key.publicKey.rawRepresentation)
    }

    /// Reads a `k4.secret.` PASERK; refuses other versions and types, and a public half that
    /// is not the seed's own public key.
    public static func parseSecretKey(_ text: String) throws(PASERKError) -> Ed25519PrivateKey {
        let data = try payload(of: text, header: secretHeader, byteCount: secretByteCount)
        let key: Ed25519PrivateKey
        do {
            key = try Ed25519PrivateKey(seed: Array(data.prefix(Ed25519.keyByteCount)))
        } catch {
            throw PASERKError.invalidKey
        }
        guard SecureBytes.constantTimeEqual(key.publicKey.rawRepresentation, Array(data.suffix(Ed25519.keyByteCount))) else {
            throw .invalidKey
        }
        return key
    }

    /// The key id `k4.pid.` + base64url(BLAKE2b-264("k4.pid." || "k4.public.…")): the header
    /// is hashed too (paserk operations/ID.md), so ids of different types never collide.
    public static func publicKeyID(_ key: Ed25519PublicKey) -> String {
        let hashed = Array(publicIDHeader.utf8) + Array(publicKey(key).utf8)
        return publicIDHeader + Base64URL.encode(blake2b(hashed, byteCount: idByteCount))
    }

    /// The base64url-decoded data after `header`, which must be exactly `byteCount` bytes.
    private static func payload(of text: String, header: String, byteCount: Int) throws(PASERKError) -> [UInt8] {
        let bytes = Array(text.utf8)
        // Longest valid input here is a k4.secret: 10 + 86 characters; stop long input early.
        guard bytes.count <= textByteCountMax else { throw .malformed }
        let headerBytes = Array(header.utf8)
        guard bytes.starts(with: headerBytes) else { throw headerError(bytes) }
        guard let data = Base64URL.decode(ascii: bytes[headerBytes.count...]) else { throw .badEncoding }
        guard data.count == byteCount else { throw .malformed }
        return data
    }

    /// Longest PASERK text read, in bytes.
    static let textByteCountMax = 256

    /// Tells a PASERK of another version or type (`k3.public.…`, `k4.local.…`) from text that is
    /// not a PASERK at all.
    private static func headerError(_ bytes: [UInt8]) -> PASERKError {
        let dot = UInt8(ascii: ".")
        let parts = bytes.split(separator: dot, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .malformed }
        let version = parts[0]
        let kind = parts[1]
        guard version.count >= 2, version.count <= 4, version.first == UInt8(ascii: "k") else { return .malformed }
        guard version.dropFirst().allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return .malformed }
        guard !kind.isEmpty, kind.count <= 32 else { return .malformed }
        return .wrongVersionOrType
    }

    /// BLAKE2b with a chosen output length, through libsodium (OpenSSL 3.0 has only the
    /// fixed 512-bit BLAKE2b, whose truncation is a different value).
    static func blake2b(_ input: [UInt8], byteCount: Int) -> [UInt8] {
        precondition(Sodium.isReady, "libsodium failed to initialise")
        var output = [UInt8](repeating: 0, count: byteCount)
        let result = crypto_generichash(&output, byteCount, input, UInt64(input.count), nil, 0)
        precondition(result == 0, "BLAKE2b failed")
        return output
    }
}

/// libsodium must be initialised once before use; a static let runs `sodium_init` exactly
/// once, thread-safely, on first use.
private enum Sodium {
    /// `sodium_init` returns 0 when it initialised, 1 when already initialised, -1 on failure.
    static let isReady: Bool = sodium_init() >= 0
}
