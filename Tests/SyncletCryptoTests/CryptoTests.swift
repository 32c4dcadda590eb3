import SyncletCrypto
import Testing

/// Bytes from a hex string written in a test; traps on a typo so vectors cannot be silently wrong.
private func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0)
    return stride(from: 0, to: digits.count, by: 2).map { index in
        UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)!
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test("the digest of the empty message is the FIPS 180-2 value")
    func emptyMessage() {
        #expect(SHA256Hasher.digest([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("the digest of \"abc\" is the FIPS 180-2 value")
    func abc() {
        let digest = SHA256Hasher.digest(Array("abc".utf8))
        #expect(digest.count == 32)
        #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(digest == bytes(hex: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
    }

    @Test("the digest of the 448-bit FIPS message is the published value")
    func twoBlockMessage() {
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(SHA256Hasher.digest(message).hex == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("a million 'a's fed in 1000 pieces give the FIPS value")
    func millionAs() {
        let hasher = SHA256Hasher()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000)
        for _ in 0..<1_000 { hasher.update(piece) }
        #expect(hasher.finalize().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("updating in uneven pieces, empty ones included, equals the one-shot digest")
    func streamingEqualsOneShot() {
        let message = (0..<1_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let oneShot = SHA256Hasher.digest(message)
        for cuts in [[0], [1], [63, 64, 65], [0, 0, 500], [1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233], [999]] {
            let hasher = SHA256Hasher()
            var start = 0
            for cut in cuts {
                let end = min(message.count, start + cut)
                hasher.update(message[start..<end])
                start = end
            }
            hasher.update(message[start...])
            #expect(hasher.finalize() == oneShot, "cuts \(cuts)")
        }
    }

    @Test("updating through a raw buffer equals updating through a sequence")
    func rawBufferUpdate() {
        let message = Array("The quick brown fox jumps over the lazy dog".utf8)
        let hasher = SHA256Hasher()
        message.withUnsafeBytes { hasher.update($0) }
        #expect(hasher.finalize().hex == "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592")
    }

    @Test("different messages give different digests")
    func differentMessages() {
        #expect(SHA256Hasher.digest(Array("abc".utf8)) != SHA256Hasher.digest(Array("abd".utf8)))
    }
}

@Suite("HMAC-SHA256")
struct HMACTests {
    @Test("RFC 4231 test case 1")
    func rfc4231Case1() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        let mac = HMACSHA256.authenticate(Array("Hi There".utf8), key: key)
        #expect(mac.hex == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }

    @Test("RFC 4231 test case 2")
    func rfc4231Case2() {
        let mac = HMACSHA256.authenticate(Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(mac.hex == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test("an empty message is authenticated too")
    func emptyMessage() {
        let mac = HMACSHA256.authenticate([], key: Array("key".utf8))
        #expect(mac.hex == "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0")
    }

    @Test("a different key gives a different tag")
    func keyMatters() {
        let message = Array("Hi There".utf8)
        #expect(HMACSHA256.authenticate(message, key: [1]) != HMACSHA256.authenticate(message, key: [2]))
        #expect(HMACSHA256.authenticate(message, key: [1]).count == 32)
    }
}

@Suite("SecureBytes")
struct SecureBytesTests {
    @Test("constantTimeEqual is true for equal bytes")
    func equal() {
        #expect(SecureBytes.constantTimeEqual([1, 2, 3, 4], [1, 2, 3, 4]))
        #expect(SecureBytes.constantTimeEqual([], []))
    }

    @Test("constantTimeEqual is false when any byte differs")
    func differentBytes() {
        #expect(!SecureBytes.constantTimeEqual([1, 2, 3, 4], [1, 2, 3, 5]))
        #expect(!SecureBytes.constantTimeEqual([0, 2, 3, 4], [1, 2, 3, 4]))
        #expect(!SecureBytes.constantTimeEqual([1, 2, 0xFF, 4], [1, 2, 0xFE, 4]))
    }

    @Test("constantTimeEqual is false for different lengths, even when one is a prefix of the other")
    func differentLengths() {
        #expect(!SecureBytes.constantTimeEqual([1, 2, 3], [1, 2, 3, 4]))
        #expect(!SecureBytes.constantTimeEqual([1, 2, 3, 4], [1, 2, 3]))
        #expect(!SecureBytes.constantTimeEqual([], [0]))
    }

    @Test("random gives the number of bytes asked for, and two calls differ")
    func random() {
        for count in [1, 8, 32, 100] {
            #expect(SecureBytes.random(count: count).count == count)
        }
        let first = SecureBytes.random(count: 32)
        let second = SecureBytes.random(count: 32)
        #expect(first != second)
    }

    @Test("SecureRandom gives different values on successive calls")
    func secureRandom() {
        var random = SecureRandom()
        let values = (0..<8).map { _ in random.next() }
        #expect(Set(values).count == 8)
    }

    @Test("hex is lower-case, two digits a byte, leading zeros kept")
    func hex() {
        let empty: [UInt8] = []
        let zero: [UInt8] = [0x00]
        let mixed: [UInt8] = [0x00, 0x0f, 0xa5, 0xff]
        let beef: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
        let all: [UInt8] = Array(0...255)
        #expect(empty.hex == "")
        #expect(zero.hex == "00")
        #expect(mixed.hex == "000fa5ff")
        #expect(beef.hex == "deadbeef")
        #expect(all.hex.count == 512)
        #expect(all.hex.hasPrefix("000102"))
        #expect(all.hex.hasSuffix("fdfeff"))
    }
}
