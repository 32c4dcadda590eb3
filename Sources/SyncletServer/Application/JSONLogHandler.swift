import Foundation
import Logging
import Synchronization

/// One JSON object per line (`--log-format json`): time, level, label, message, the
/// source, and every metadata key at the top level (request_id, route, status, …), so a
/// log shipper needs no parser of its own. Lines are written whole, one at a time.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// Writes to standard error, as the default handler does.
    public init(label: String) {
        self.init(label: label) { line in JSONLogHandler.standardError.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) } }
    }

    /// Writes each line to `write` (tests capture them).
    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    private static let standardError = Mutex(())

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var fields = self.metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { _, new in new } }
        if let explicit { fields.merge(explicit) { _, new in new } }
        var object: [String: Any] = fields.mapValues(Self.json)
        object["time"] = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        object["level"] = level.rawValue
        object["label"] = label
        object["message"] = message.description
        object["source"] = source
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let text): text
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): values.map(json)
        case .dictionary(let values): values.mapValues(json)
        }
    }
}
