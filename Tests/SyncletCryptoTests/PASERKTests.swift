import Foundation
import SyncletCrypto
import Testing

private func loadPASERK(_ name: String) throws -> [PASERKVector] {
    try TestVectors.load(name, as: VectorFile<PASERKVector>.self).tests
}

@Suite("PASERK official vectors")
struct PASERKVectorTests {
    @Test("every k4.public vector serializes to its PASERK and parses back to its key; expect-fail ones are refused")
    func publicVectors() throws {
        let vectors = try loadPASERK("k4.public")
        #expect(vectors.count >= 3)
        for vector in vectors {
            if vector.expectFail {
                if let paserk = vector.paserk {
                    #expect(throws: PASERKError.self, "\(vector.name)") { try PASERK.parsePublicKey(paserk) }
                }
                if let keyHex = vector.key {
                    #expect(throws: Ed25519Error.self, "\(vector.name)") { try Ed25519PublicKey(rawRepresentation: Hex.bytes(keyHex)) }
                }
                continue
            }
            let keyHex = try #require(vector.key, "\(vector.name)")
            let paserk = try #require(vector.paserk, "\(vector.name)")
            let key = try Ed25519PublicKey(rawRepresentation: Hex.bytes(keyHex))
            #expect(PASERK.publicKey(key) == paserk, "\(vector.name)")
            #expect(try PASERK.parsePublicKey(paserk) == key, "\(vector.name)")
            #expect(try PASERK.parsePublicKey(paserk).rawRepresentation == Hex.bytes(keyHex), "\(vector.name)")
        }
    }

    @Test("every k4.secret vector's seed gives its public key and PASERK, and the PASERK parses back to the seed")
    func secretVectors() throws {
        let vectors = try loadPASERK("k4.secret")
        #expect(vectors.count >= 3)
        for vector in vectors {
            if vector.expectFail {
                if let paserk = vector.paserk {
                    #expect(throws: PASERKError.self, "\(vector.name)") { try PASERK.parseSecretKey(paserk) }
                }
                continue
            }
            let seedHex = try #require(vector.secretKeySeed, "\(vector.name)")
            let publicKeyHex = try #require(vector.publicKey, "\(vector.name)")
            let keyHex = try #require(vector.key, "\(vector.name)")
            let paserk = try #require(vector.paserk, "\(vector.name)")

            let key = try Ed25519PrivateKey(seed: Hex.bytes(seedHex))
            #expect(key.publicKey.rawRepresentation == Hex.bytes(publicKeyHex), "\(vector.name)")
            #expect(key.seed + key.publicKey.rawRepresentation == Hex.bytes(keyHex), "\(vector.name)")
            #expect(PASERK.secretKey(key) == paserk, "\(vector.name)")

            let parsed = try PASERK.parseSecretKey(paserk)
            #expect(parsed.seed == Hex.bytes(seedHex), "\(vector.name)")
            #expect(parsed.publicKey == key.publicKey, "\(vector.name)")
        }
    }

    @Test("every k4.pid vector's public key has its id; the expect-fail keys (31 bytes, a P-384 key) are refused")
    func pidVectors() throws {
        let vectors = try loadPASERK("k4.pid")
        var passing = 0
        var failing = 0
        for vector in vectors {
            let keyHex = try #require(vector.key, "\(vector.name)")
            if vector.expectFail {
                #expect(throws: Ed25519Error.self, "\(vector.name)") { try Ed25519PublicKey(rawRepresentation: Hex.bytes(keyHex)) }
                failing += 1
                continue
            }
            let paserk = try #require(vector.paserk, "\(vector.name)")
            let key = try Ed25519PublicKey(rawRepresentation: Hex.bytes(keyHex))
            #expect(PASERK.publicKeyID(key) == paserk, "\(vector.name)")
            passing += 1
        }
        #expect(passing == 3)
        #expect(failing == 2)
    }
}

@Suite("PASERK refuses other types, versions and malformed text")
struct PASERKBadInputTests {
    /// From the official vectors and paserk types/*.md examples.
    static let k4Public = "k4.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8"
    static let k4Secret = "k4.secret.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8c5WpIyC_5kWKhS8VEYSZ05dYfuTF-ZdQFV4D9vLTcNQ"
    static let k4Local = "k4.local.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8"
    static let k3Public = "k3.public.A3BxcnN0dXZ3eHl6e3x9fn-AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2enw"
    static let k2Public = "k2.public.cHFyc3R1dnd4eXp7fH1-f4CBgoOEhYaHiImKi4yNjo8"
    static let k4PID = "k4.pid.9ShR3xc8-qVJ_di0tc9nx0IDIqbatdeM2mqLFBJsKRHs"

    @Test("parsePublicKey refuses k4.secret, k4.local, k4.pid, k3.public and k2.public as the wrong version or type")
    func publicWrongType() {
        for text in [Self.k4Secret, Self.k4Local, Self.k4PID, Self.k3Public, Self.k2Public, "k4.secret-wrap.pie.abc"] {
            #expect(throws: PASERKError.wrongVersionOrType, "\(text)") { try PASERK.parsePublicKey(text) }
        }
    }

    @Test("parseSecretKey refuses k4.public, k4.local and k2.secret as the wrong version or type")
    func secretWrongType() {
        let k2Secret = "k2" + String(Self.k4Secret.dropFirst(2))
        for text in [Self.k4Public, Self.k4Local, k2Secret] {
            #expect(throws: PASERKError.wrongVersionOrType, "\(text)") { try PASERK.parseSecretKey(text) }
        }
    }

    @Test("text that is not a PASERK, or whose data is the wrong length, is malformed")
    func malformed() {
        let short = "k4.public." + Base64URL.encode([UInt8](repeating: 7, count: 31))
        let long = "k4.public." + Base64URL.encode([UInt8](repeating: 7, count: 33))
        for text in ["", "k4", "k4.public", "K4.PUBLIC.abc", "public.k4.abc", "k4.public.", short, long, String(repeating: "k", count: 1_000)] {
            #expect(throws: PASERKError.malformed, "\(text)") { try PASERK.parsePublicKey(text) }
        }
        let secretTooShort = "k4.secret." + Base64URL.encode([UInt8](repeating: 7, count: 32))
        #expect(throws: PASERKError.malformed) { try PASERK.parseSecretKey(secretTooShort) }
    }

    @Test("padding, the standard alphabet, a trailing dot and non-zero trailing bits are bad encodings")
    func badEncoding() {
        let nonCanonical = String(Self.k4Public.dropLast()) + "9"
        for text in [Self.k4Public + "=", Self.k4Public + ".", "k4.public.cHFyc3R1dnd4eXp7fH1+f4CBgoOEhYaHiImKi4yNjo8", nonCanonical] {
            #expect(throws: PASERKError.badEncoding, "\(text)") { try PASERK.parsePublicKey(text) }
        }
    }

    @Test("a k4.secret whose public half is not the seed's public key is refused")
    func mismatchedSecret() throws {
        let key = Ed25519PrivateKey.generate()
        let other = Ed25519PrivateKey.generate()
        let forged = "k4.secret." + Base64URL.encode(key.seed + other.publicKey.rawRepresentation)
        #expect(throws: PASERKError.invalidKey) { try PASERK.parseSecretKey(forged) }
        #expect(try PASERK.parseSecretKey(PASERK.secretKey(key)).seed == key.seed)
    }
}

@Suite("PASERK round trips and key ids")
struct PASERKRoundTripTests {
    @Test("generated keys round-trip through k4.public and k4.secret, and the parsed key signs like the original")
    func roundTrip() throws {
        for _ in 0..<20 {
            let key = Ed25519PrivateKey.generate()
            let publicText = PASERK.publicKey(key.publicKey)
            let secretText = PASERK.secretKey(key)
            #expect(publicText.count == "k4.public.".count + 43)
            #expect(secretText.count == "k4.secret.".count + 86)
            #expect(try PASERK.parsePublicKey(publicText) == key.publicKey)
            let parsed = try PASERK.parseSecretKey(secretText)
            let message = Array("licence".utf8)
            #expect(parsed.sign(message) == key.sign(message))
        }
    }

    @Test("a key id is k4.pid. and 44 characters, stable for a key and different between keys")
    func keyIDs() {
        let first = Ed25519PrivateKey.generate().publicKey
        let second = Ed25519PrivateKey.generate().publicKey
        let id = PASERK.publicKeyID(first)
        #expect(id.hasPrefix("k4.pid."))
        #expect(id.count == "k4.pid.".count + 44)
        #expect(PASERK.publicKeyID(first) == id)
        #expect(PASERK.publicKeyID(second) != id)
    }

    @Test("the official v4 vectors' key has the id pyseto computes for it")
    func vectorKeyID() throws {
        let key = try Ed25519PublicKey(rawRepresentation: Hex.bytes("1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2"))
        #expect(PASERK.publicKeyID(key) == "k4.pid.yh4-bJYjOYAG6CWy0zsfPmpKylxS7uAWrxqVmBN2KAiJ")
    }
}
