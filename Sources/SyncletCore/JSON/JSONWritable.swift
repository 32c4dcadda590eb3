/// A type that writes its own JSON: exactly the bytes its `Encodable` conformance gives
/// through `JSONWriter` (and Foundation's sorted encoder), several times faster. Kept for
/// the answers sent most: list pages of assets and licenses, verifications. A property
/// test holds each writer to the `Encodable` form for random values, and to the number of
/// stored properties, so a field added to the type but not to its writer fails the test.
public protocol JSONWritable: Encodable {
    func writeJSON(to output: inout JSONOutput) throws
}

/// The bytes being written, with helpers that append JSON values.
public struct JSONOutput {
    public var bytes: [UInt8]

    public init(capacity: Int = 1024) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes an object; `body` adds its members, which must come in key order (byte order
    /// of the keys, as `.sortedKeys` writes them). Optional members that are `nil` are left
    /// out, as `encodeIfPresent` does.
    public mutating func object(_ body: (inout Members) throws -> Void) rethrows {
        bytes.append(UInt8(ascii: "{"))
        var members = Members(output: self)
        bytes = []  // the members own the buffer while they write
        try body(&members)
        self = members.output
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func string(_ text: String) {
        JSONWriter.appendString(text, to: &bytes)
    }

    public mutating func value<T: Encodable>(_ value: T) throws {
        if let writable = value as? any JSONWritable {
            try writable.writeJSON(to: &self)
        } else {
            bytes.append(contentsOf: try JSONWriter.encode(value))
        }
    }

    public mutating func array<T: Encodable>(_ values: [T]) throws {
        bytes.append(UInt8(ascii: "["))
        for (index, element) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            try value(element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// The members of one object.
    public struct Members {
        fileprivate var output: JSONOutput
        private var count = 0
        #if DEBUG
        private var lastKey: [UInt8] = []
        #endif

        fileprivate init(output: JSONOutput) { self.output = output }

        private mutating func key(_ key: StaticString) {
            if count > 0 { output.bytes.append(UInt8(ascii: ",")) }
            count += 1
            output.bytes.append(UInt8(ascii: "\""))
            key.withUTF8Buffer { output.bytes.append(contentsOf: $0) }
            output.bytes.append(UInt8(ascii: "\""))
            output.bytes.append(UInt8(ascii: ":"))
            #if DEBUG
            let bytes = key.withUTF8Buffer { Array($0) }
            precondition(count == 1 || lastKey.lexicographicallyPrecedes(bytes), "JSONWritable members out of order at \(key)")
            lastKey = bytes
            #endif
        }

        public mutating func add(_ name: StaticString, _ value: String) {
            key(name)
            output.string(value)
        }

        public mutating func add(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            add(name, value)
        }

        public mutating func add(_ name: StaticString, _ value: Int64) {
            key(name)
            JSONWriter.appendInteger(value, to: &output.bytes)
        }

        public mutating func add(_ name: StaticString, _ value: Int64?) {
            guard let value else { return }
            add(name, value)
        }

        public mutating func add(_ name: StaticString, _ value: Int) {
            key(name)
            JSONWriter.appendInteger(value, to: &output.bytes)
        }

        public mutating func add(_ name: StaticString, _ value: Int?) {
            guard let value else { return }
            add(name, value)
        }

        public mutating func add(_ name: StaticString, _ value: Double) throws {
            key(name)
            try JSONWriter.appendFloat(value, to: &output.bytes)
        }

        public mutating func add(_ name: StaticString, _ value: Double?) throws {
            guard let value else { return }
            try add(name, value)
        }

        public mutating func add(_ name: StaticString, _ value: Bool) {
            key(name)
            output.bytes.append(contentsOf: value ? JSONWriter.trueBytes : JSONWriter.falseBytes)
        }

        public mutating func add(_ name: StaticString, _ value: Bool?) {
            guard let value else { return }
            add(name, value)
        }

        public mutating func add(_ name: StaticString, _ value: Timestamp) {
            key(name)
            output.bytes.append(UInt8(ascii: "\""))
            value.appendRFC3339(to: &output.bytes)
            output.bytes.append(UInt8(ascii: "\""))
        }

        public mutating func add(_ name: StaticString, _ value: Timestamp?) {
            guard let value else { return }
            add(name, value)
        }

        public mutating func add<Kind>(_ name: StaticString, _ value: Identifier<Kind>) {
            add(name, value.rawValue)
        }

        public mutating func add<Kind>(_ name: StaticString, _ value: Identifier<Kind>?) {
            guard let value else { return }
            add(name, value.rawValue)
        }

        /// A string enum, written as its raw value.
        public mutating func add<E: RawRepresentable & Encodable>(_ name: StaticString, raw value: E) where E.RawValue == String {
            add(name, value.rawValue)
        }

        public mutating func add<E: RawRepresentable & Encodable>(_ name: StaticString, raw value: E?) where E.RawValue == String {
            guard let value else { return }
            add(name, value.rawValue)
        }

        public mutating func add(_ name: StaticString, _ values: [String]) {
            key(name)
            output.bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.bytes.append(UInt8(ascii: ",")) }
                output.string(value)
            }
            output.bytes.append(UInt8(ascii: "]"))
        }

        public mutating func add(_ name: StaticString, _ values: [String]?) {
            guard let values else { return }
            add(name, values)
        }

        /// Any other value: its own writer when it has one, else the generic writer.
        public mutating func add<T: Encodable>(_ name: StaticString, value: T) throws {
            key(name)
            try output.value(value)
        }

        public mutating func add<T: Encodable>(_ name: StaticString, value: T?) throws {
            guard let value else { return }
            try add(name, value: value)
        }

        public mutating func add<T: Encodable>(_ name: StaticString, array: [T]) throws {
            key(name)
            try output.array(array)
        }

        public mutating func add<T: Encodable>(_ name: StaticString, array: [T]?) throws {
            guard let array else { return }
            try add(name, array: array)
        }
    }
}
