import Foundation

/// Official test vectors copied verbatim into `Vectors/` (public data):
/// - `v4.json`: paseto-standard/test-vectors, v4.json at commit d26d2dd8d45d316a581032205cd131ab5c326aa9
///   (payloads as strings, with the 4-F-* expect-fail vectors).
/// - `k4.pid.json`: paseto-standard/test-vectors, PASERK/k4.pid.json at ec2298cf7f4779577eaf8cb4b89d60e0cc12bf9c
///   (its second fail vector spells the flag `expectfail`; read both spellings).
/// - `k4.public.json`, `k4.secret.json`: the copies of paseto-standard/test-vectors kept in dajiaji/pyseto
///   tests/vectors/PASERK (commits aa72d18076139ab4d7b3407320a7c0e031d11e14 and
///   93b3032651dc1c639f5e0d60af1dc0284d056b9b), the upstream files not being readable here.
enum TestVectors {
    struct Missing: Error, CustomStringConvertible {
        let name: String
        var description: String { "test vector file Vectors/\(name).json is not in the test bundle" }
    }

    /// Decodes `Vectors/<name>.json` from the test bundle.
    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Vectors") else {
            throw Missing(name: name)
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

/// A file of vectors: `{ "name": …, "tests": [ … ] }`.
struct VectorFile<Vector: Decodable>: Decodable {
    let name: String
    let tests: [Vector]
}

/// One entry of v4.json. Local vectors carry `key`/`nonce`, public ones `public-key`/`secret-key`;
/// `payload` is null in expect-fail vectors.
struct PASETOVector: Decodable {
    let name: String
    let expectFail: Bool
    let token: String
    let payload: String?
    let footer: String
    let implicitAssertion: String
    let publicKey: String?
    let secretKey: String?
    let secretKeySeed: String?

    enum CodingKeys: String, CodingKey {
        case name, token, payload, footer
        case expectFail = "expect-fail"
        case implicitAssertion = "implicit-assertion"
        case publicKey = "public-key"
        case secretKey = "secret-key"
        case secretKeySeed = "secret-key-seed"
    }
}

/// One entry of a PASERK vector file (k4.public, k4.secret, k4.pid).
struct PASERKVector: Decodable {
    let name: String
    let expectFail: Bool
    let key: String?
    let paserk: String?
    let secretKeySeed: String?
    let publicKey: String?

    enum CodingKeys: String, CodingKey {
        case name, key, paserk
        case expectFail = "expect-fail"
        case expectFailMisspelled = "expectfail"
        case secretKeySeed = "secret-key-seed"
        case publicKey = "public-key"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        // Older files have no flag at all (every vector passes); one official file misspells it.
        let flag = try container.decodeIfPresent(Bool.self, forKey: .expectFail)
        let misspelled = try container.decodeIfPresent(Bool.self, forKey: .expectFailMisspelled)
        expectFail = flag ?? misspelled ?? false
        key = try container.decodeIfPresent(String.self, forKey: .key)
        paserk = try container.decodeIfPresent(String.self, forKey: .paserk)
        secretKeySeed = try container.decodeIfPresent(String.self, forKey: .secretKeySeed)
        publicKey = try container.decodeIfPresent(String.self, forKey: .publicKey)
    }
}

/// Bytes from lower- or upper-case hex; traps on odd length or a non-hex digit so that a
/// vector cannot be silently misread.
enum Hex {
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        precondition(digits.count % 2 == 0, "odd-length hex")
        return stride(from: 0, to: digits.count, by: 2).map { index in
            guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else {
                preconditionFailure("not hex: \(hex)")
            }
            return byte
        }
    }
}
