/// Crockford's base32: no I, L, O or U, so codes survive being read aloud or retyped.
public enum Crockford {
    public static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    public static let lowercaseAlphabet = Set("0123456789abcdefghjkmnpqrstvwxyz")

    /// Whether `byte` is a lower-case Crockford digit (no i, l, o, u).
    @inlinable
    public static func isLowercaseDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "a")...UInt8(ascii: "z"):
            byte != UInt8(ascii: "i") && byte != UInt8(ascii: "l") && byte != UInt8(ascii: "o") && byte != UInt8(ascii: "u")
        default: false
        }
    }

    /// Encodes bytes most-significant bit first; the first character takes the leftover
    /// high bits so that 16 bytes give 26 characters.
    public static func encode(_ bytes: [UInt8]) -> String {
        let bitCount = bytes.count * 8
        let characterCount = (bitCount + 4) / 5
        let padding = characterCount * 5 - bitCount
        var output = [Character]()
        output.reserveCapacity(characterCount)
        var accumulator: UInt32 = 0
        var accumulated = padding  // leading zero bits so the final group ends on a byte
        for byte in bytes {
            accumulator = (accumulator << 8) | UInt32(byte)
            accumulated += 8
            while accumulated >= 5 {
                accumulated -= 5
                output.append(alphabet[Int((accumulator >> UInt32(accumulated)) & 0x1F)])
            }
            accumulator &= (1 << UInt32(accumulated)) - 1
        }
        return String(output)
    }
}
