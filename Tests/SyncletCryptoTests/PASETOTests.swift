import Foundation
@testable import SyncletCrypto
import Testing

/// The v4.public vectors all use this key pair (4-S-1 … 4-S-3, 4-F-1).
private let vectorPublicKeyHex = "1eb9dbbbbc047c03fd70604e0071f0987e16b28b757225c11f00415d0e20b1a2"
private let vectorSeedHex = "b4cbfb43df4ce210727d953e4a713307fa19bb7d9f85041438d9e11b942a3774"

private func utf8(_ text: String) -> [UInt8] { Array(text.utf8) }

private func loadV4() throws -> [PASETOVector] {
    try TestVectors.load("v4", as: VectorFile<PASETOVector>.self).tests
}

/// A token from the official vectors: 4-S-3 has a footer and an implicit assertion.
private func officialSignedToken() throws -> (token: String, key: Ed25519PublicKey, implicit: [UInt8]) {
    let vectors = try loadV4()
    let vector = try #require(vectors.first { $0.name == "4-S-3" })
    let publicKeyHex = try #require(vector.publicKey)
    let key = try Ed25519PublicKey(rawRepresentation: Hex.bytes(publicKeyHex))
    return (vector.token, key, utf8(vector.implicitAssertion))
}

@Suite("PASETO v4.public official vectors")
struct PASETOVectorTests {
    @Test("every v4.public vector signs to exactly its published token and verifies back to its payload")
    func publicVectors() throws {
        let vectors = try loadV4()
        var publicRun = 0
        var localSkipped = 0
        for vector in vectors where !vector.expectFail {
            guard vector.token.hasPrefix("v4.public.") else {
                // v4.local is symmetric encryption, which we do not implement.
                #expect(vector.token.hasPrefix("v4.local."), "\(vector.name)")
                localSkipped += 1
                continue
            }
            let seedHex = try #require(vector.secretKeySeed, "\(vector.name)")
            let publicKeyHex = try #require(vector.publicKey, "\(vector.name)")
            let privateKey = try Ed25519PrivateKey(seed: Hex.bytes(seedHex))
            let publicKey = try Ed25519PublicKey(rawRepresentation: Hex.bytes(publicKeyHex))
            #expect(privateKey.publicKey == publicKey, "\(vector.name)")
            if let secretKey = vector.secretKey {
                #expect(Hex.bytes(secretKey) == privateKey.seed + publicKey.rawRepresentation, "\(vector.name)")
            }

            let payloadText = try #require(vector.payload, "\(vector.name)")
            let payload = utf8(payloadText)
            let footer = utf8(vector.footer)
            let implicit = utf8(vector.implicitAssertion)
            let token = PASETO.sign(message: payload, footer: footer, implicit: implicit, key: privateKey)
            #expect(token == vector.token, "\(vector.name)")

            let verified = try PASETO.verify(vector.token, key: publicKey, implicit: implicit)
            #expect(verified.message == payload, "\(vector.name)")
            #expect(verified.footer == footer, "\(vector.name)")
            #expect(try PASETO.unverifiedFooter(vector.token) == footer, "\(vector.name)")
            publicRun += 1
        }
        let publicCount = vectors.filter { !$0.expectFail && $0.token.hasPrefix("v4.public.") }.count
        #expect(publicCount == 3)
        #expect(publicRun == publicCount)
        #expect(localSkipped == vectors.filter { !$0.expectFail && $0.token.hasPrefix("v4.local.") }.count)
        #expect(publicRun + localSkipped == vectors.filter { !$0.expectFail }.count)
    }

    @Test("every expect-fail v4 vector is refused, for the reason its token shows")
    func expectFailVectors() throws {
        let vectors = try loadV4()
        let suiteKey = try Ed25519PublicKey(rawRepresentation: Hex.bytes(vectorPublicKeyHex))
        var refused = 0
        for vector in vectors where vector.expectFail {
            let key: Ed25519PublicKey
            if let hex = vector.publicKey {
                key = try Ed25519PublicKey(rawRepresentation: Hex.bytes(hex))
            } else {
                key = suiteKey
            }
            let implicit = utf8(vector.implicitAssertion)
            let expected: PASETOError = vector.token.hasPrefix("v4.public.") ? .badSignature : .wrongVersionOrPurpose
            #expect(throws: expected, "\(vector.name)") {
                try PASETO.verify(vector.token, key: key, implicit: implicit)
            }
            refused += 1
        }
        #expect(refused == vectors.filter(\.expectFail).count)
        #expect(refused == 4)
    }

    @Test("4-F-4 differs from 4-E-1 only in non-zero trailing bits, which strict base64url refuses")
    func nonCanonicalTrailingBits() throws {
        let vectors = try loadV4()
        let original = try #require(vectors.first { $0.name == "4-E-1" })
        let altered = try #require(vectors.first { $0.name == "4-F-4" })
        let originalBody = String(original.token.dropFirst("v4.local.".count))
        let alteredBody = String(altered.token.dropFirst("v4.local.".count))
        #expect(originalBody.dropLast() == alteredBody.dropLast())
        #expect(Base64URL.decode(originalBody) != nil)
        #expect(Base64URL.decode(alteredBody) == nil)
    }

    @Test("the vectors' key pair has the PASERK strings published beside them in panva/paseto")
    func vectorKeyPASERK() throws {
        let key = try Ed25519PrivateKey(seed: Hex.bytes(vectorSeedHex))
        #expect(PASERK.publicKey(key.publicKey) == "k4.public.Hrnbu7wEfAP9cGBOAHHwmH4Wsot1ciXBHwBBXQ4gsaI")
        #expect(PASERK.secretKey(key) == "k4.secret.tMv7Q99M4hByfZU-SnEzB_oZu32fhQQUONnhG5QqN3Qeudu7vAR8A_1wYE4AcfCYfhayi3VyJcEfAEFdDiCxog")
    }
}

@Suite("PASETO pre-authentication encoding")
struct PAETests {
    @Test("PAE of no pieces is eight zero bytes")
    func empty() {
        #expect(PASETO.pae([]) == [0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("PAE of one empty piece is LE64(1) then LE64(0)")
    func oneEmptyPiece() {
        #expect(PASETO.pae([[]]) == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("PAE of \"test\" is LE64(1), LE64(4), then the bytes")
    func onePiece() {
        let lengths: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]
        let expected = lengths + utf8("test")
        #expect(PASETO.pae([utf8("test")]) == expected)
    }

    @Test("PAE keeps piece boundaries: moving a byte between pieces changes the encoding")
    func boundaries() {
        #expect(PASETO.pae([utf8("ab"), utf8("c")]) != PASETO.pae([utf8("a"), utf8("bc")]))
        #expect(PASETO.pae([utf8("abc")]) != PASETO.pae([utf8("abc"), []]))
    }

    @Test("a piece of 256 bytes has its length written little-endian")
    func littleEndianLength() {
        let encoded = PASETO.pae([[UInt8](repeating: 7, count: 256)])
        #expect(Array(encoded.prefix(16)) == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0])
        #expect(encoded.count == 16 + 256)
    }
}

@Suite("PASETO v4.public sign and verify")
struct PASETORoundTripTests {
    @Test("messages of every length from 0 to 300 bytes, with and without footer and implicit assertion, round-trip")
    func roundTrips() throws {
        let key = Ed25519PrivateKey.generate()
        var random = SystemRandomNumberGenerator()
        for length in 0...300 {
            let message = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let footer = length % 3 == 0 ? [] : utf8("{\"kid\":\"\(length)\"}")
            let implicit = length % 2 == 0 ? [] : utf8("licence-\(length)")
            let token = PASETO.sign(message: message, footer: footer, implicit: implicit, key: key)
            #expect(token.hasPrefix("v4.public."))
            #expect(token.split(separator: ".", omittingEmptySubsequences: false).count == (footer.isEmpty ? 3 : 4))
            let verified = try PASETO.verify(token, key: key.publicKey, implicit: implicit)
            #expect(verified.message == message)
            #expect(verified.footer == footer)
        }
    }

    @Test("signing is deterministic: the same inputs give the same token")
    func deterministic() {
        let key = Ed25519PrivateKey.generate()
        let first = PASETO.sign(message: utf8("hello"), footer: utf8("f"), key: key)
        let second = PASETO.sign(message: utf8("hello"), footer: utf8("f"), key: key)
        #expect(first == second)
    }

    @Test("unverifiedFooter reads the footer, and an empty one when the token has none")
    func unverifiedFooter() throws {
        let key = Ed25519PrivateKey.generate()
        let footer = utf8("{\"kid\":\"k4.pid.abc\"}")
        #expect(try PASETO.unverifiedFooter(PASETO.sign(message: utf8("m"), footer: footer, key: key)) == footer)
        #expect(try PASETO.unverifiedFooter(PASETO.sign(message: utf8("m"), key: key)) == [])
    }
}

@Suite("PASETO v4.public refuses bad tokens")
struct PASETOBadInputTests {
    @Test("changing any single character of an official token makes it fail")
    func everySingleCharacterChange() throws {
        let (token, key, implicit) = try officialSignedToken()
        _ = try PASETO.verify(token, key: key, implicit: implicit)
        let characters = Array(token)
        var tried = 0
        for index in characters.indices {
            for replacement in replacements(for: characters[index]) {
                var altered = characters
                altered[index] = replacement
                let alteredToken = String(altered)
                #expect(throws: PASETOError.self, "position \(index) → \(replacement)") {
                    try PASETO.verify(alteredToken, key: key, implicit: implicit)
                }
                tried += 1
            }
        }
        #expect(tried == 3 * characters.count)
    }

    /// Three different characters: one letter, one of the URL-safe symbols, and a separator or
    /// a padding character, so that every class of edit is tried at every position.
    private func replacements(for character: Character) -> [Character] {
        let letter: Character = character == "A" ? "B" : "A"
        let symbol: Character = character == "-" ? "_" : "-"
        let other: Character = character == "." ? "=" : "."
        return [letter, symbol, other]
    }

    @Test("a v4.local token is refused as the wrong version or purpose")
    func localToken() throws {
        let vectors = try loadV4()
        let local = try #require(vectors.first { $0.name == "4-E-1" })
        let key = Ed25519PrivateKey.generate().publicKey
        #expect(throws: PASETOError.wrongVersionOrPurpose) { try PASETO.verify(local.token, key: key) }
        #expect(throws: PASETOError.wrongVersionOrPurpose) { try PASETO.unverifiedFooter(local.token) }
    }

    @Test("v3.public and v2.public tokens are refused as the wrong version or purpose, even with a valid v4 body")
    func otherVersions() throws {
        let key = Ed25519PrivateKey.generate()
        let token = PASETO.sign(message: utf8("{\"sub\":\"x\"}"), footer: utf8("f"), key: key)
        let body = String(token.dropFirst("v4.public.".count))
        for header in ["v3.public.", "v2.public.", "v1.public.", "v4.secret.", "v5.public.", "v4c.public."] {
            #expect(throws: PASETOError.wrongVersionOrPurpose, "\(header)") {
                try PASETO.verify(header + body, key: key.publicKey)
            }
        }
        let v2 = "v2.public.eyJleHAiOiIyMDM5LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwiZGF0YSI6InRoaXMgaXMgYSBzaWduZWQgbWVzc2FnZSJ9"
        #expect(throws: PASETOError.wrongVersionOrPurpose) { try PASETO.verify(v2, key: key.publicKey) }
    }

    @Test("text that is not a PASETO at all is malformed")
    func notAToken() {
        let key = Ed25519PrivateKey.generate().publicKey
        for text in ["", "v4", "v4.public", "hello", "V4.PUBLIC.abc", "v4..abc", ".public.abc", "v4.public.abc.def.ghi"] {
            #expect(throws: PASETOError.malformed, "\(text)") { try PASETO.verify(text, key: key) }
        }
    }

    @Test("a token signed by another key fails with badSignature")
    func wrongKey() {
        let signer = Ed25519PrivateKey.generate()
        let other = Ed25519PrivateKey.generate()
        let token = PASETO.sign(message: utf8("message"), key: signer)
        #expect(throws: PASETOError.badSignature) { try PASETO.verify(token, key: other.publicKey) }
    }

    @Test("an empty body, a body shorter than a signature, and a truncated token are refused")
    func truncated() throws {
        let key = Ed25519PrivateKey.generate()
        let token = PASETO.sign(message: utf8("a message long enough to truncate"), key: key)
        #expect(throws: PASETOError.malformed) { try PASETO.verify("v4.public.", key: key.publicKey) }
        // 84 characters decode to 63 bytes: one short of a signature.
        let short = "v4.public." + Base64URL.encode([UInt8](repeating: 1, count: 63))
        #expect(throws: PASETOError.malformed) { try PASETO.verify(short, key: key.publicKey) }
        let shortFromToken = String(token.prefix("v4.public.".count + 84))
        #expect(throws: PASETOError.malformed) { try PASETO.verify(shortFromToken, key: key.publicKey) }
        // Cutting anywhere in the body either breaks the encoding or the signature.
        let body = String(token.dropFirst("v4.public.".count))
        for cut in 1..<body.count {
            let cutToken = "v4.public." + String(body.dropLast(cut))
            #expect(throws: PASETOError.self, "cut \(cut)") { try PASETO.verify(cutToken, key: key.publicKey) }
        }
    }

    @Test("an empty message signs to a body that is only the signature, and verifies")
    func emptyMessage() throws {
        let key = Ed25519PrivateKey.generate()
        let token = PASETO.sign(message: [], key: key)
        #expect(try PASETO.verify(token, key: key.publicKey).message == [])
    }

    @Test("a tampered, added or removed footer fails with badSignature")
    func footerTampered() throws {
        let key = Ed25519PrivateKey.generate()
        let token = PASETO.sign(message: utf8("message"), footer: utf8("{\"kid\":\"a\"}"), key: key)
        let lastDot = try #require(token.lastIndex(of: "."))
        let withoutFooter = String(token[..<lastDot])
        let tampered = withoutFooter + "." + Base64URL.encode(utf8("{\"kid\":\"b\"}"))
        #expect(throws: PASETOError.badSignature) { try PASETO.verify(tampered, key: key.publicKey) }
        #expect(throws: PASETOError.badSignature) { try PASETO.verify(withoutFooter, key: key.publicKey) }

        let bare = PASETO.sign(message: utf8("message"), key: key)
        let added = bare + "." + Base64URL.encode(utf8("{\"kid\":\"a\"}"))
        #expect(throws: PASETOError.badSignature) { try PASETO.verify(added, key: key.publicKey) }
    }

    @Test("an implicit assertion that differs, is missing, or was not signed fails with badSignature")
    func implicitMismatch() throws {
        let key = Ed25519PrivateKey.generate()
        let token = PASETO.sign(message: utf8("message"), implicit: utf8("licence-1"), key: key)
        _ = try PASETO.verify(token, key: key.publicKey, implicit: utf8("licence-1"))
        #expect(throws: PASETOError.badSignature) { try PASETO.verify(token, key: key.publicKey, implicit: utf8("licence-2")) }
        #expect(throws: PASETOError.badSignature) { try PASETO.verify(token, key: key.publicKey) }
        let plain = PASETO.sign(message: utf8("message"), key: key)
        #expect(throws: PASETOError.badSignature) { try PASETO.verify(plain, key: key.publicKey, implicit: utf8("licence-1")) }
    }

    @Test("padding, standard-alphabet characters, an empty footer segment and extra segments are refused")
    func encodingStrictness() throws {
        let key = Ed25519PrivateKey.generate()
        let token = PASETO.sign(message: utf8("message!"), footer: utf8("footer"), key: key)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        #expect(parts.count == 4)
        let body = parts[2]
        let footer = parts[3]
        #expect(throws: PASETOError.badEncoding) { try PASETO.verify("v4.public.\(body)=.\(footer)", key: key.publicKey) }
        #expect(throws: PASETOError.badEncoding) { try PASETO.verify("v4.public.\(body).\(footer)=", key: key.publicKey) }
        let plusFirst = "v4.public.+" + String(body.dropFirst()) + "." + footer
        let slashLast = "v4.public." + String(body.dropLast()) + "/." + footer
        #expect(throws: PASETOError.badEncoding) { try PASETO.verify(plusFirst, key: key.publicKey) }
        #expect(throws: PASETOError.badEncoding) { try PASETO.verify(slashLast, key: key.publicKey) }
        #expect(throws: PASETOError.malformed) { try PASETO.verify("v4.public.\(body).", key: key.publicKey) }
        #expect(throws: PASETOError.malformed) { try PASETO.verify("v4.public.\(body).\(footer).\(footer)", key: key.publicKey) }
        #expect(throws: PASETOError.malformed) { try PASETO.unverifiedFooter("v4.public.\(body).") }
        #expect(throws: PASETOError.badEncoding) { try PASETO.unverifiedFooter("v4.public.\(body).\(footer)=") }
    }

    @Test("a token longer than tokenByteCountMax is refused before decoding")
    func tooLong() {
        let key = Ed25519PrivateKey.generate()
        let huge = "v4.public." + String(repeating: "A", count: PASETO.tokenByteCountMax)
        #expect(throws: PASETOError.malformed) { try PASETO.verify(huge, key: key.publicKey) }
    }
}

@Suite("Base64URL")
struct Base64URLTests {
    @Test("RFC 4648 test vectors encode without padding and decode back")
    func rfc4648() {
        let pairs = [("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy")]
        for (plain, encoded) in pairs {
            #expect(Base64URL.encode(utf8(plain)) == encoded)
            #expect(Base64URL.decode(encoded) == utf8(plain))
        }
    }

    @Test("the URL-safe alphabet uses - and _ where standard base64 uses + and /")
    func urlSafeAlphabet() {
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode([0xFB, 0xEF, 0xBE]) == "----")
        #expect(Base64URL.encode([0xFF, 0xFF, 0xFF]) == "____")
        #expect(Base64URL.decode("-_8") == [0xFB, 0xFF])
    }

    @Test("padding, standard characters, whitespace, a lone final character and non-zero trailing bits are refused")
    func strict() {
        for text in ["QQ==", "QQ=", "+/", "ab/c", "Zm9v Yg", "Zm9v\n", "Q", "Zm9vY", "QR", "QB", "Zm9=", "é"] {
            #expect(Base64URL.decode(text) == nil, "\(text)")
        }
        #expect(Base64URL.decode("QQ") == [0x41])
        #expect(Base64URL.decode("QUE") == [0x41, 0x41])
        #expect(Base64URL.decode("QUF") == nil)
    }

    @Test("random byte strings of every length up to 200 round-trip, and only their canonical text decodes")
    func roundTrip() {
        var random = SystemRandomNumberGenerator()
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let text = Base64URL.encode(bytes)
            #expect(text.count == (length * 4 + 2) / 3)
            #expect(Base64URL.decode(text) == bytes)
        }
    }

    @Test("of all two-character strings, exactly the 256 canonical ones decode")
    func exhaustiveTwoCharacters() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var decoded = Set<[UInt8]>()
        for first in alphabet {
            for second in alphabet {
                if let bytes = Base64URL.decode(String([first, second])) {
                    #expect(bytes.count == 1)
                    decoded.insert(bytes)
                }
            }
        }
        #expect(decoded.count == 256)
    }
}
