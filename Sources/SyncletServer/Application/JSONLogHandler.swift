import Foundation
import Logging
import SyncletCore

/// One JSON object per line (`--log-format json`): time, level, label, message, the
/// source, and every metadata key at the top level (request_id, route, status, …), so a
/// log shipper needs no parser of its own. Lines are written whole, one at a time.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// Writes to standard error through the `LogWriter`, never blocking the caller.
    public init(label: String) {
        self.init(label: label) { line in LogWriter.standardError.write(line) }
    }

    /// Writes each line to `write` (tests capture them).
    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var fields = self.metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let explicit { fields.merge(explicit) { _, new in new } }
        var object: [String: JSONValue] = fields.mapValues(Self.json)
        object["time"] = .string(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)))
        object["level"] = .string(level.rawValue)
        object["label"] = .string(label)
        object["message"] = .string(message.description)
        object["source"] = .string(source)
        guard let line = try? JSONWriter.string(JSONValue.object(object)) else { return }
        write(line + "\n")
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let convertible): .string(convertible.description)
        case .array(let values): .array(values.map(json))
        case .dictionary(let values): .object(values.mapValues(json))
        }
    }
}
