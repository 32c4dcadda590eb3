#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encodes `Encodable` values straight into UTF-8 bytes: object keys sorted, slashes not
/// escaped — byte for byte what Foundation's `JSONEncoder` writes with
/// `[.sortedKeys, .withoutEscapingSlashes]` (a property test holds the two together), at a
/// fraction of its cost. Every API answer goes through it, so list pages and public
/// verification cost little more than their SQL.
///
/// Values are written as they are encoded, with no intermediate tree. Each object's members
/// are written in the order the type encodes them and re-ordered in place, by key, when
/// the object ends. A value this writer does not handle the way Foundation does (`Data`,
/// `URL`, `Decimal`, or a container written to after a sibling was started) is handed to
/// Foundation's encoder instead, so the output never differs.
public enum JSONWriter {
    /// The JSON bytes of `value`.
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let writable = value as? any JSONWritable {
            var output = JSONOutput()
            try writable.writeJSON(to: &output)
            return output.bytes
        }
        let encoder = ByteEncoder()
        do {
            try encoder.encodeTopLevel(value)
            return encoder.bytes
        } catch is Unsupported {
            return try Array(foundationEncoder.encode(value))
        }
    }

    /// The JSON of `value` as a string.
    public static func string<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encode(value), as: UTF8.self)
    }

    /// Foundation's encoder with the same output settings, for the values this one hands over.
    static var foundationEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// Thrown inside when a value needs Foundation's special handling.
    struct Unsupported: Error {}

    // MARK: Scalars, shared with the parser's tests

    /// Appends `text` as a JSON string literal: `"` and `\` escaped, control characters as
    /// `\b \f \n \r \t` or `\u00xx`, everything else (slashes, non-ASCII) as it is.
    static func appendString(_ text: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                if runStart < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
                runStart = index + 1
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
    static let trueBytes: [UInt8] = Array("true".utf8)
    static let falseBytes: [UInt8] = Array("false".utf8)

    /// Appends a signed integer in decimal.
    static func appendInteger<I: BinaryInteger>(_ value: I, to bytes: inout [UInt8]) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let start = bytes.count
        while magnitude > 0 {
            let (quotient, remainder) = magnitude.quotientAndRemainder(dividingBy: 10)
            bytes.append(UInt8(ascii: "0") + UInt8(remainder))
            magnitude = quotient
        }
        bytes[start...].reverse()
    }

    /// Appends a finite floating-point number as Foundation writes it: the shortest text
    /// that reads back the same, without a trailing `.0`.
    static func appendFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F, to bytes: inout [UInt8]) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "Unable to encode \(value) directly in JSON."))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        bytes.append(contentsOf: text.utf8)
    }
}

/// Names an open container: its place on the stack and its serial number.
private struct FrameRef {
    let index: Int
    let serial: Int
    static let invalid = FrameRef(index: Int.max, serial: -1)
}

/// The encoder behind `JSONWriter`: one byte buffer and a stack of open containers.
private final class ByteEncoder: Encoder {
    // The encoder is used by one caller at a time, start to finish: the runtime's
    // exclusivity checks on every append cost a tenth of the time and guard nothing here.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// An open object or array.
    struct Frame {
        enum Kind { case object, array, single }
        let kind: Kind
        /// Unique per frame, so a stale container can never write into a later one.
        let serial: Int
        /// The offset just after `{` or `[`.
        let contentStart: Int
        /// Objects: each member's key and the offset where its `"key":` starts.
        var members: [Member] = []
        var count = 0
        /// Whether the members arrived in key order (then nothing moves at the end).
        var sorted = true
    }

    @exclusivity(unchecked) var frames: [Frame] = []
    @exclusivity(unchecked) var nextSerial = 0
    /// Containers of the value being encoded start at this depth.
    @exclusivity(unchecked) var valueDepth = 0

    init() {
        bytes.reserveCapacity(1024)
        frames.reserveCapacity(8)
    }

    func encodeTopLevel<T: Encodable>(_ value: T) throws {
        try encodeValue(value)
    }

    // MARK: Values

    /// Writes one value at the current position, closing every container it opens.
    func encodeValue<T: Encodable>(_ value: T) throws {
        if let done = try encodeScalar(value), done { return }
        if let writable = value as? any JSONWritable {
            var output = JSONOutput(capacity: 0)
            swap(&output.bytes, &bytes)
            defer { swap(&output.bytes, &bytes) }
            try writable.writeJSON(to: &output)
            return
        }
        let depth = frames.count
        let saved = valueDepth
        valueDepth = depth
        try value.encode(to: self)
        valueDepth = saved
        while frames.count > depth { close(frames.count - 1) }
    }

    /// Scalars and the types Foundation treats specially, without a trip through `encode(to:)`.
    /// (Metatype comparisons, not dynamic casts: this runs for every value.)
    @inline(__always)
    func encodeScalar<T: Encodable>(_ value: T) throws -> Bool? {
        if T.self == String.self {
            JSONWriter.appendString(unsafeBitCast(value, to: String.self), to: &bytes)
        } else if T.self == Int.self {
            JSONWriter.appendInteger(unsafeBitCast(value, to: Int.self), to: &bytes)
        } else if T.self == Int64.self {
            JSONWriter.appendInteger(unsafeBitCast(value, to: Int64.self), to: &bytes)
        } else if T.self == Bool.self {
            bytes.append(contentsOf: unsafeBitCast(value, to: Bool.self) ? Self.trueBytes : Self.falseBytes)
        } else if T.self == Double.self {
            try JSONWriter.appendFloat(unsafeBitCast(value, to: Double.self), to: &bytes)
        } else if T.self == Timestamp.self {
            bytes.append(UInt8(ascii: "\""))
            unsafeBitCast(value, to: Timestamp.self).appendRFC3339(to: &bytes)
            bytes.append(UInt8(ascii: "\""))
        } else if T.self == Data.self || T.self == URL.self || T.self == Decimal.self || T.self == Date.self {
            throw JSONWriter.Unsupported()
        } else {
            return nil
        }
        return true
    }

    static let trueBytes: [UInt8] = Array("true".utf8)
    static let falseBytes: [UInt8] = Array("false".utf8)
    static let nullBytes: [UInt8] = Array("null".utf8)

    // MARK: Containers

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, frame: openOrReuse(.object)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedContainer(encoder: self, frame: openOrReuse(.array))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(encoder: self, frame: openOrReuse(.single))
    }

    /// The container of the value being encoded: a new one, or the same one again when
    /// `encode(to:)` asks twice (as a class and its superclass may).
    func openOrReuse(_ kind: Frame.Kind) -> FrameRef {
        if frames.count > valueDepth, frames[valueDepth].kind == kind {
            return FrameRef(index: valueDepth, serial: frames[valueDepth].serial)
        }
        return open(kind)
    }

    func open(_ kind: Frame.Kind) -> FrameRef {
        switch kind {
        case .object: bytes.append(UInt8(ascii: "{"))
        case .array: bytes.append(UInt8(ascii: "["))
        case .single: break
        }
        nextSerial += 1
        frames.append(Frame(kind: kind, serial: nextSerial, contentStart: bytes.count))
        return FrameRef(index: frames.count - 1, serial: nextSerial)
    }

    /// Before a container writes, every container opened after it must be finished (they
    /// are its nested values). Writing to one already finished is an interleaving that
    /// only Foundation's tree handles.
    @inline(__always)
    func prepareWrite(_ ref: FrameRef) throws -> Int {
        let frame = ref.index
        guard frame < frames.count, frames[frame].serial == ref.serial else { throw JSONWriter.Unsupported() }
        while frames.count > frame + 1 { close(frames.count - 1) }
        return frame
    }

    /// Ends a container: `}` or `]`, with an object's members put in key order first.
    func close(_ index: Int) {
        precondition(index == frames.count - 1, "containers close innermost first")
        let frame = frames.removeLast()
        switch frame.kind {
        case .single:
            if frame.count == 0 { bytes.append(contentsOf: Self.nullBytes) }
        case .array:
            bytes.append(UInt8(ascii: "]"))
        case .object:
            if !frame.sorted { reorder(frame) }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    /// Rewrites an object's members in key order (the keys are compared by their UTF-8
    /// bytes, as Foundation orders them). Sorts positions, not the members themselves.
    func reorder(_ frame: Frame) {
        let end = bytes.count
        let members = frame.members
        var order = Array(members.indices)
        // Insertion sort: objects are small, and their keys arrive mostly in order.
        for next in 1..<order.count {
            let moving = order[next]
            var place = next
            while place > 0, Self.precedes(members[moving], members[order[place - 1]]) {
                order[place] = order[place - 1]
                place -= 1
            }
            order[place] = moving
        }
        let original = Array(bytes[frame.contentStart..<end])
        bytes.removeSubrange(frame.contentStart..<end)
        for (position, index) in order.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: ",")) }
            let start = members[index].start - frame.contentStart
            let stop = (index + 1 < members.count ? members[index + 1].start - 1 : end) - frame.contentStart  // minus the comma
            bytes.append(contentsOf: original[start..<stop])
        }
    }

    /// A member's key, with its first eight bytes packed big-endian so that most
    /// comparisons are one integer comparison.
    struct Member {
        let key: String
        let prefix: UInt64
        let start: Int

        init(key: String, start: Int) {
            self.key = key
            self.start = start
            var prefix: UInt64 = 0
            var taken = 0
            for byte in key.utf8 {
                prefix = prefix << 8 | UInt64(byte)
                taken += 1
                if taken == 8 { break }
            }
            self.prefix = taken == 8 ? prefix : prefix << (8 * UInt64(8 - taken))
        }
    }

    /// Byte order of the keys (Foundation's order for `.sortedKeys`).
    static func precedes(_ a: Member, _ b: Member) -> Bool {
        if a.prefix != b.prefix { return a.prefix < b.prefix }
        return a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
    }

    /// Starts a member of the object `frame`: comma, key, colon.
    func beginMember(_ ref: FrameRef, key: String) throws {
        let frame = try prepareWrite(ref)
        if frames[frame].count > 0 {
            bytes.append(UInt8(ascii: ","))
        }
        let member = Member(key: key, start: bytes.count)
        if let last = frames[frame].members.last, !Self.precedes(last, member) {
            frames[frame].sorted = false
            if last.key == key { throw JSONWriter.Unsupported() }  // the same key twice: Foundation keeps the last
        }
        frames[frame].members.append(member)
        frames[frame].count += 1
        JSONWriter.appendString(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Starts an element of the array `frame`: a comma after the first.
    func beginElement(_ ref: FrameRef) throws {
        let frame = try prepareWrite(ref)
        if frames[frame].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[frame].count += 1
    }

    /// Starts the one value of a single-value container.
    func beginSingle(_ ref: FrameRef) throws {
        let frame = try prepareWrite(ref)
        guard frames[frame].count == 0 else { throw JSONWriter.Unsupported() }
        frames[frame].count = 1
    }

    func encodeNil() { bytes.append(contentsOf: Self.nullBytes) }
    func encodeBool(_ value: Bool) { bytes.append(contentsOf: value ? Self.trueBytes : Self.falseBytes) }
    func encodeString(_ value: String) { JSONWriter.appendString(value, to: &bytes) }
    func encodeInteger<I: BinaryInteger>(_ value: I) { JSONWriter.appendInteger(value, to: &bytes) }
    func encodeFloat<F: BinaryFloatingPoint & LosslessStringConvertible>(_ value: F) throws { try JSONWriter.appendFloat(value, to: &bytes) }

    /// A nested container handed out by `nestedContainer` or `superEncoder`: it becomes
    /// the value of the member or element just begun.
    func nestedFrame(_ kind: Frame.Kind) -> FrameRef {
        open(kind)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: ByteEncoder
    let frame: FrameRef
    var codingPath: [any CodingKey] { [] }

    func encodeNil(forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeNil() }
    func encode(_ value: Bool, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeBool(value) }
    func encode(_ value: String, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeString(value) }
    func encode(_ value: Double, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); try encoder.encodeFloat(value) }
    func encode(_ value: Float, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); try encoder.encodeFloat(value) }
    func encode(_ value: Int, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: Int8, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: Int16, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: Int32, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: Int64, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: UInt, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: UInt8, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: UInt16, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: UInt32, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode(_ value: UInt64, forKey key: Key) throws { try encoder.beginMember(frame, key: key.stringValue); encoder.encodeInteger(value) }
    func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encoder.beginMember(frame, key: key.stringValue)
        try encoder.encodeValue(value)
    }

    // Foundation leaves out absent optionals (`encodeIfPresent`); the defaults already do.

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        // A failure here surfaces on the nested container's first write.
        if (try? encoder.beginMember(frame, key: key.stringValue)) == nil {
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, frame: .invalid))
        }
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, frame: encoder.nestedFrame(.object)))
    }

    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        if (try? encoder.beginMember(frame, key: key.stringValue)) == nil {
            return UnkeyedContainer(encoder: encoder, frame: .invalid)
        }
        return UnkeyedContainer(encoder: encoder, frame: encoder.nestedFrame(.array))
    }

    func superEncoder() -> any Encoder { UnsupportedEncoder() }
    func superEncoder(forKey key: Key) -> any Encoder { UnsupportedEncoder() }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: ByteEncoder
    let frame: FrameRef
    var codingPath: [any CodingKey] { [] }
    var count: Int {
        frame.index < encoder.frames.count && encoder.frames[frame.index].serial == frame.serial ? encoder.frames[frame.index].count : 0
    }

    func encodeNil() throws { try encoder.beginElement(frame); encoder.encodeNil() }
    func encode(_ value: Bool) throws { try encoder.beginElement(frame); encoder.encodeBool(value) }
    func encode(_ value: String) throws { try encoder.beginElement(frame); encoder.encodeString(value) }
    func encode(_ value: Double) throws { try encoder.beginElement(frame); try encoder.encodeFloat(value) }
    func encode(_ value: Float) throws { try encoder.beginElement(frame); try encoder.encodeFloat(value) }
    func encode(_ value: Int) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: Int8) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: Int16) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: Int32) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: Int64) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt8) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt16) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt32) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt64) throws { try encoder.beginElement(frame); encoder.encodeInteger(value) }
    func encode<T: Encodable>(_ value: T) throws {
        try encoder.beginElement(frame)
        try encoder.encodeValue(value)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        if (try? encoder.beginElement(frame)) == nil {
            return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, frame: .invalid))
        }
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(encoder: encoder, frame: encoder.nestedFrame(.object)))
    }

    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        if (try? encoder.beginElement(frame)) == nil { return UnkeyedContainer(encoder: encoder, frame: .invalid) }
        return UnkeyedContainer(encoder: encoder, frame: encoder.nestedFrame(.array))
    }

    func superEncoder() -> any Encoder { UnsupportedEncoder() }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: ByteEncoder
    let frame: FrameRef
    var codingPath: [any CodingKey] { [] }

    func encodeNil() throws { try encoder.beginSingle(frame); encoder.encodeNil() }
    func encode(_ value: Bool) throws { try encoder.beginSingle(frame); encoder.encodeBool(value) }
    func encode(_ value: String) throws { try encoder.beginSingle(frame); encoder.encodeString(value) }
    func encode(_ value: Double) throws { try encoder.beginSingle(frame); try encoder.encodeFloat(value) }
    func encode(_ value: Float) throws { try encoder.beginSingle(frame); try encoder.encodeFloat(value) }
    func encode(_ value: Int) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: Int8) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: Int16) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: Int32) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: Int64) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt8) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt16) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt32) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode(_ value: UInt64) throws { try encoder.beginSingle(frame); encoder.encodeInteger(value) }
    func encode<T: Encodable>(_ value: T) throws {
        try encoder.beginSingle(frame)
        try encoder.encodeValue(value)
    }
}

/// What `superEncoder` hands out: its first use sends the whole value to Foundation.
private struct UnsupportedEncoder: Encoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(UnsupportedKeyed<Key>())
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnsupportedUnkeyed() }
    func singleValueContainer() -> any SingleValueEncodingContainer { UnsupportedSingle() }
}

private struct UnsupportedKeyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    var codingPath: [any CodingKey] { [] }
    func encodeNil(forKey key: Key) throws { throw JSONWriter.Unsupported() }
    func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw JSONWriter.Unsupported() }
    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(UnsupportedKeyed<NestedKey>())
    }
    func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { UnsupportedUnkeyed() }
    func superEncoder() -> any Encoder { UnsupportedEncoder() }
    func superEncoder(forKey key: Key) -> any Encoder { UnsupportedEncoder() }
}

private struct UnsupportedUnkeyed: UnkeyedEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    var count: Int { 0 }
    func encodeNil() throws { throw JSONWriter.Unsupported() }
    func encode<T: Encodable>(_ value: T) throws { throw JSONWriter.Unsupported() }
    func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(UnsupportedKeyed<NestedKey>())
    }
    func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { UnsupportedUnkeyed() }
    func superEncoder() -> any Encoder { UnsupportedEncoder() }
}

private struct UnsupportedSingle: SingleValueEncodingContainer {
    var codingPath: [any CodingKey] { [] }
    func encodeNil() throws { throw JSONWriter.Unsupported() }
    func encode<T: Encodable>(_ value: T) throws { throw JSONWriter.Unsupported() }
}
