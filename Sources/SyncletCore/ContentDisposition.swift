/// A `Content-Disposition` header (RFC 6266) for a file name someone else chose: an
/// uploader's file name or an asset title.
///
/// The name is reduced to a safe base name first: whatever precedes the last `/` or `\`
/// goes (`../../etc/passwd` becomes `passwd`), as do control characters, quotes and
/// semicolons; a name of leading dots or nothing at all becomes `download`. The header
/// then carries it twice: `filename="…"` with every non-ASCII character as `_` (for old
/// clients) and `filename*=UTF-8''…` percent-encoded (RFC 8187), which clients that read
/// it prefer.
public enum ContentDisposition {
    /// Characters a base name keeps at most.
    public static let nameCharacterCountMax = 150

    public static func header(_ disposition: String = "attachment", filename: String) -> String {
        let name = safeBaseName(filename)
        let ascii = String(name.unicodeScalars.map { $0.isASCII ? Character($0) : "_" })
        return "\(disposition); filename=\"\(ascii)\"; filename*=UTF-8''\(percentEncoded(name))"
    }

    /// The last path component of `text`, without what a header or a file system would
    /// misread; never empty, never only dots.
    public static func safeBaseName(_ text: String) -> String {
        let last = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let kept = last.unicodeScalars.filter { scalar in
            !(scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value))
                && !"\"';:*?<>|".unicodeScalars.contains(scalar)
                && !(0x202A...0x202E).contains(scalar.value) && !(0x2066...0x2069).contains(scalar.value)  // bidi overrides
        }
        var name = String(String.UnicodeScalarView(kept)).trimmingEnds(" .")
        if name.count > nameCharacterCountMax { name = String(name.prefix(nameCharacterCountMax)) }
        return name.isEmpty ? "download" : name
    }

    /// RFC 8187 `value-chars`: attr-char stays, every other byte of the UTF-8 is `%XX`.
    static func percentEncoded(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case _ where "!#$&+-.^_`|~".utf8.contains(byte):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                result += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
            }
        }
        return result
    }
}

extension String {
    /// Without `characters` at either end.
    fileprivate func trimmingEnds(_ characters: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, characters.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, characters.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
