/// One Server-Sent Event as dispatched: its type (`event:`), its data (the `data:` lines
/// joined by newlines) and the last event id seen.
public struct ServerSentEvent: Sendable, Equatable {
    public var type: String
    public var data: String
    public var id: String?

    public init(type: String, data: String, id: String? = nil) {
        self.type = type
        self.data = data
        self.id = id
    }
}

/// Reads the `text/event-stream` format one line at a time (WHATWG HTML, "Server-sent
/// events"): `event:` names the next event, `data:` lines accumulate, a blank line
/// dispatches, lines that start with `:` are comments (keep-alives). Pure, so a test can
/// feed it lines and check the exact events.
public struct ServerSentEventParser: Sendable {
    private var eventType = ""
    private var dataLines: [String] = []
    private var lastEventID: String?

    public init() {}

    /// Takes one line without its line ending; returns the event a blank line dispatches.
    public mutating func feed(_ line: String) -> ServerSentEvent? {
        if line.isEmpty { return dispatch() }
        if line.hasPrefix(":") { return nil }
        let field: Substring
        var value: Substring
        if let colon = line.firstIndex(of: ":") {
            field = line[..<colon]
            value = line[line.index(after: colon)...]
            if value.hasPrefix(" ") { value = value.dropFirst() }
        } else {
            field = Substring(line)
            value = ""
        }
        switch field {
        case "event": eventType = String(value)
        case "data": dataLines.append(String(value))
        case "id": if !value.contains("\0") { lastEventID = String(value) }
        default: break  // `retry` and unknown fields: nothing for us to do
        }
        return nil
    }

    /// A blank line: the event gathered so far, if it has data; either way a fresh start.
    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            eventType = ""
            dataLines = []
        }
        guard !dataLines.isEmpty else { return nil }
        return ServerSentEvent(type: eventType.isEmpty ? "message" : eventType, data: dataLines.joined(separator: "\n"), id: lastEventID)
    }
}

/// Splits a byte stream into lines ended by LF or CRLF, whatever the chunk boundaries.
/// A line longer than `lineByteCountMax` is an error, so a broken stream cannot grow the
/// buffer without bound.
public struct LineSplitter: Sendable {
    public let lineByteCountMax: Int
    private var pending: [UInt8] = []

    public struct LineTooLong: Error, CustomStringConvertible {
        public let lineByteCountMax: Int
        public var description: String { "a line of the stream is longer than \(lineByteCountMax) bytes" }
    }

    public init(lineByteCountMax: Int) {
        precondition(lineByteCountMax > 0)
        self.lineByteCountMax = lineByteCountMax
    }

    /// Appends bytes; returns every line they complete, without its line ending.
    public mutating func append(_ bytes: some Sequence<UInt8>) throws -> [String] {
        var lines: [String] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if pending.last == UInt8(ascii: "\r") { pending.removeLast() }
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
            } else {
                guard pending.count < lineByteCountMax else { throw LineTooLong(lineByteCountMax: lineByteCountMax) }
                pending.append(byte)
            }
        }
        return lines
    }
}
