/// RFC 8259 asks that member names in an object be unique, and parsers disagree on which of
/// two equal names wins. Request bodies with a repeated name are refused instead, so the
/// schema check, the decoder and anything in front of the server all see the same thing.
enum JSONMembers {
    /// The first member name that appears twice in one object (compared as written). Run it
    /// on bytes that already parsed as JSON.
    static func firstDuplicate(in bytes: some Collection<UInt8>) -> String? {
        let bytes = Array(bytes)
        var objects = [Set<ArraySlice<UInt8>>?]()  // one entry per open container; nil for arrays
        var expectingName = false
        var index = 0
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "{"):
                objects.append([])
                expectingName = true
            case UInt8(ascii: "["):
                objects.append(nil)
                expectingName = false
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if !objects.isEmpty { objects.removeLast() }
                expectingName = false
            case UInt8(ascii: ","):
                expectingName = objects.last.map { $0 != nil } ?? false
            case UInt8(ascii: "\""):
                let start = index + 1
                index = start
                while index < bytes.count, bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                if expectingName, !objects.isEmpty, objects[objects.count - 1] != nil {
                    let name = bytes[start..<min(index, bytes.count)]
                    if !objects[objects.count - 1]!.insert(name).inserted { return String(decoding: name, as: UTF8.self) }
                }
                expectingName = false
            default:
                break
            }
            index += 1
        }
        return nil
    }

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
