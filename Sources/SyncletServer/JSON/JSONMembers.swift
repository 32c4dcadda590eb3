/// Byte-level checks on JSON text that do not need a parse.
enum JSONMembers {
    /// Whether `line` holds exactly one JSON object and nothing after it (whitespace aside),
    /// judged by its brackets and strings alone. Lets a batch of NDJSON lines be decoded as
    /// one array and still map element n to line n: no line can end inside a string or
    /// hold two values.
    static func isSingleObject(_ line: some Collection<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        var closed = false
        var started = false
        for byte in line {
            if closed {
                guard byte == 32 || byte == 9 || byte == 13 else { return false }
                continue
            }
            if !started {
                if byte == 32 || byte == 9 || byte == 13 { continue }
                guard byte == UInt8(ascii: "{") else { return false }
                started = true
                depth = 1
                continue
            }
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { closed = true }
            default: break
            }
        }
        return closed
    }
}
