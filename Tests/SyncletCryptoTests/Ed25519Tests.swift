import Foundation
import SyncletCrypto
import Testing

/// RFC 8032 §7.1 tests 1–3: seed, public key, message, signature (hex).
private let rfc8032Vectors: [(seed: String, publicKey: String, message: String, signature: String)] = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
     "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
     "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
     "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]

@Suite("Ed25519 through OpenSSL")
struct Ed25519Tests {
    @Test("RFC 8032 tests 1–3: the seed gives the published public key and signature, which verifies")
    func rfc8032() throws {
        for vector in rfc8032Vectors {
            let key = try Ed25519PrivateKey(seed: Hex.bytes(vector.seed))
            let message = Hex.bytes(vector.message)
            #expect(key.publicKey.rawRepresentation.hex == vector.publicKey)
            #expect(key.sign(message).hex == vector.signature)
            let publicKey = try Ed25519PublicKey(rawRepresentation: Hex.bytes(vector.publicKey))
            #expect(publicKey == key.publicKey)
            #expect(publicKey.isValidSignature(Hex.bytes(vector.signature), for: message))
        }
    }

    @Test("a signature fails after any single bit flip in it, and for another message or key")
    func tampering() throws {
        let key = try Ed25519PrivateKey(seed: Hex.bytes(rfc8032Vectors[2].seed))
        let message = Hex.bytes(rfc8032Vectors[2].message)
        let signature = key.sign(message)
        for bit in 0..<(signature.count * 8) {
            var flipped = signature
            flipped[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            #expect(!key.publicKey.isValidSignature(flipped, for: message), "bit \(bit)")
        }
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
        #expect(!Ed25519PrivateKey.generate().publicKey.isValidSignature(signature, for: message))
    }

    @Test("signatures of the wrong length are invalid rather than an error")
    func signatureLength() {
        let key = Ed25519PrivateKey.generate()
        let signature = key.sign([1, 2, 3])
        #expect(!key.publicKey.isValidSignature([], for: [1, 2, 3]))
        #expect(!key.publicKey.isValidSignature(Array(signature.prefix(63)), for: [1, 2, 3]))
        #expect(!key.publicKey.isValidSignature(signature + [0], for: [1, 2, 3]))
    }

    @Test("seeds and public keys of any length but 32 bytes are refused")
    func keyLengths() {
        for count in [0, 1, 31, 33, 64] {
            let bytes = [UInt8](repeating: 9, count: count)
            #expect(throws: Ed25519Error.wrongLength(expected: 32, actual: count)) { try Ed25519PrivateKey(seed: bytes) }
            #expect(throws: Ed25519Error.wrongLength(expected: 32, actual: count)) { try Ed25519PublicKey(rawRepresentation: bytes) }
        }
    }

    @Test("generated keys differ, sign deterministically, and keep their seed")
    func generated() throws {
        let first = Ed25519PrivateKey.generate()
        let second = Ed25519PrivateKey.generate()
        #expect(first.seed != second.seed)
        #expect(first.publicKey != second.publicKey)
        #expect(first.seed.count == 32)
        #expect(first.sign([7]) == first.sign([7]))
        let rebuilt = try Ed25519PrivateKey(seed: first.seed)
        #expect(rebuilt.publicKey == first.publicKey)
        #expect(rebuilt.sign([7]) == first.sign([7]))
    }

    @Test("describing a private key shows its public key, never its seed")
    func redactedDescription() throws {
        let key = try Ed25519PrivateKey(seed: Hex.bytes(rfc8032Vectors[0].seed))
        #expect(!String(describing: key).contains(rfc8032Vectors[0].seed))
        #expect(String(describing: key).contains(rfc8032Vectors[0].publicKey))
        #expect(!String(reflecting: key).contains(rfc8032Vectors[0].seed))
    }

    @Test("one key signs and verifies from many tasks at once with the same results")
    func concurrentUse() async throws {
        let key = try Ed25519PrivateKey(seed: Hex.bytes(rfc8032Vectors[1].seed))
        let message = Hex.bytes(rfc8032Vectors[1].message)
        let expected = Hex.bytes(rfc8032Vectors[1].signature)
        let results: [Bool] = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var allRight = true
                    for _ in 0..<50 {
                        let signature = key.sign(message)
                        allRight = allRight && signature == expected && key.publicKey.isValidSignature(signature, for: message)
                    }
                    return allRight
                }
            }
            var collected: [Bool] = []
            for await result in group { collected.append(result) }
            return collected
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 })
    }
}
