import COpenSSL

/// Why bytes could not become an Ed25519 key.
public enum Ed25519Error: Error, Equatable, Sendable {
    /// Seeds and public keys are exactly `Ed25519.keyByteCount` bytes.
    case wrongLength(expected: Int, actual: Int)
    /// OpenSSL refused the bytes although their length was right.
    case rejected
}

/// Sizes fixed by RFC 8032.
public enum Ed25519 {
    /// Bytes in a private-key seed and in a public key.
    public static let keyByteCount = 32
    /// Bytes in a signature.
    public static let signatureByteCount = 64
}

/// Owns one OpenSSL `EVP_PKEY` for as long as a key value lives, so that signing and
/// verifying do not rebuild the key on every call (rebuilding halves the signing rate).
///
/// `@unchecked Sendable` because the `EVP_PKEY` is complete when `init` returns and nothing
/// mutates it afterwards. openssl-threads(7): objects are thread-safe as long as the calls
/// made on them do not modify them, and two threads may sign at once through two different
/// contexts; every sign and verify here makes its own `EVP_MD_CTX`.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }
}

/// An Ed25519 signing key, held as its 32-byte seed (RFC 8032 "private key").
public struct Ed25519PrivateKey: Sendable {
    /// The 32-byte seed; whoever holds it can sign as this key.
    public let seed: [UInt8]
    /// The matching public key, derived once at creation.
    public let publicKey: Ed25519PublicKey
    private let key: EVPKey

    /// Makes the key from a 32-byte seed.
    public init(seed: [UInt8]) throws(Ed25519Error) {
        guard seed.count == Ed25519.keyByteCount else {
            throw .wrongLength(expected: Ed25519.keyByteCount, actual: seed.count)
        }
        guard let pointer = EVP_PKEY_new_raw_private_key(Int32(EVP_PKEY_ED25519), nil, seed, seed.count) else {
            ERR_clear_error()
            throw .rejected
        }
        let key = EVPKey(pointer)
        var raw = [UInt8](repeating: 0, count: Ed25519.keyByteCount)
        var rawCount = raw.count
        guard EVP_PKEY_get_raw_public_key(pointer, &raw, &rawCount) == 1, rawCount == Ed25519.keyByteCount else {
            ERR_clear_error()
            throw .rejected
        }
        self.seed = seed
        self.key = key
        self.publicKey = try Ed25519PublicKey(rawRepresentation: raw)
    }

    /// A new key from OpenSSL's CSPRNG.
    public static func generate() -> Ed25519PrivateKey {
        do {
            return try Ed25519PrivateKey(seed: SecureBytes.random(count: Ed25519.keyByteCount))
        } catch {
            // Any 32 bytes are a valid seed; only a broken OpenSSL gets here.
            fatalError("OpenSSL refused a random Ed25519 seed: \(error)")
        }
    }

    /// The 64-byte Ed25519 signature of `message` (deterministic: same key and message,
    /// same signature).
    public func sign(_ message: [UInt8]) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a signing context") }
        defer { EVP_MD_CTX_free(context) }
        // Ed25519 hashes internally, so the digest argument must be NULL.
        precondition(EVP_DigestSignInit(context, nil, nil, nil, key.pointer) == 1, "Ed25519 sign init failed")
        var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
        var signatureCount = signature.count
        precondition(EVP_DigestSign(context, &signature, &signatureCount, message, message.count) == 1,
                     "Ed25519 signing failed")
        precondition(signatureCount == Ed25519.signatureByteCount, "Ed25519 signature of unexpected length")
        return signature
    }
}

extension Ed25519PrivateKey: CustomStringConvertible, CustomDebugStringConvertible {
    /// Names the public key only, so that logging a key never prints its seed.
    public var description: String { "Ed25519PrivateKey(public: \(publicKey.rawRepresentation.hex))" }
    /// The same redacted text as `description`.
    public var debugDescription: String { description }
}

/// An Ed25519 verifying key.
public struct Ed25519PublicKey: Sendable, Hashable {
    /// The 32-byte encoded point (RFC 8032 §5.1.5).
    public let rawRepresentation: [UInt8]
    private let key: EVPKey

    /// Makes the key from its 32 raw bytes.
    public init(rawRepresentation: [UInt8]) throws(Ed25519Error) {
        guard rawRepresentation.count == Ed25519.keyByteCount else {
            throw .wrongLength(expected: Ed25519.keyByteCount, actual: rawRepresentation.count)
        }
        guard let pointer = EVP_PKEY_new_raw_public_key(Int32(EVP_PKEY_ED25519), nil, rawRepresentation,
                                                        rawRepresentation.count) else {
            ERR_clear_error()
            throw .rejected
        }
        self.rawRepresentation = rawRepresentation
        self.key = EVPKey(pointer)
    }

    /// True only when `signature` is this key's valid 64-byte signature of `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        guard signature.count == Ed25519.signatureByteCount else { return false }
        guard let context = EVP_MD_CTX_new() else { fatalError("OpenSSL could not allocate a verifying context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key.pointer) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = EVP_DigestVerify(context, signature, signature.count, message, message.count)
        if result != 1 {
            // A bad signature may leave an entry on this thread's error queue; drop it so it
            // is not reported later against an unrelated call.
            ERR_clear_error()
        }
        return result == 1
    }

    /// Keys are equal when their raw bytes are; the OpenSSL handle is a cache, not identity.
    public static func == (lhs: Ed25519PublicKey, rhs: Ed25519PublicKey) -> Bool {
        lhs.rawRepresentation == rhs.rawRepresentation
    }

    /// Hashes the raw bytes, consistently with `==`.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(rawRepresentation)
    }
}
