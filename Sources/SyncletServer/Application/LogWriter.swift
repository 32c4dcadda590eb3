import Foundation
import Logging
import Synchronization

/// Writes log lines to standard error from a thread of its own.
///
/// A log call formats its line on the caller's thread (cheap) and queues it; it never
/// waits for the terminal, a pipe or a log shipper, so a stalled stderr cannot stall a
/// request. When `lineCountMax` lines are already waiting, new ones are dropped and
/// counted, and a line saying how many were lost is written as soon as there is room.
public final class LogWriter: Sendable {
    /// The process-wide writer to standard error.
    public static let standardError = LogWriter(fileDescriptor: 2)

    /// Lines waiting at most; past it new lines are dropped (and counted).
    public static let lineCountMax = 10_000

    private struct Queue {
        var lines: [String] = []
        var dropped = 0
        var writing = false
    }

    private let fileDescriptor: Int32
    private let queue = Mutex(Queue())
    private let wake = DispatchSemaphore(value: 0)
    private let drained = DispatchSemaphore(value: 0)

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        let thread = Thread { [self] in run() }
        thread.name = "synclet-log"
        thread.start()
    }

    /// Queues a whole line (with its newline). Wakes the writer only when it sleeps.
    public func write(_ line: String) {
        let shouldWake: Bool = queue.withLock { queue in
            guard queue.lines.count < Self.lineCountMax else {
                queue.dropped += 1
                return false
            }
            queue.lines.append(line)
            return queue.lines.count == 1 && !queue.writing
        }
        if shouldWake { wake.signal() }
    }

    /// Waits (at most `timeout`) until every queued line is written: at exit.
    public func flush(timeoutMilliseconds: Int = 2_000) {
        let deadline = DispatchTime.now() + .milliseconds(timeoutMilliseconds)
        while queue.withLock({ !$0.lines.isEmpty || $0.writing || $0.dropped > 0 }) {
            wake.signal()
            if drained.wait(timeout: deadline) == .timedOut { return }
        }
    }

    private func run() {
        // A reader of standard error that went away must fail a write with EPIPE here, never
        // end the process with SIGPIPE (before NIO ignores it process-wide, or if anything
        // restored it): the signal is blocked for this thread.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        while true {
            wake.wait()
            while true {
                let (lines, dropped): ([String], Int) = queue.withLock { queue in
                    defer {
                        queue.lines.removeAll(keepingCapacity: true)
                        queue.dropped = 0
                    }
                    queue.writing = !queue.lines.isEmpty || queue.dropped > 0
                    return (queue.lines, queue.dropped)
                }
                if lines.isEmpty && dropped == 0 { break }
                var text = lines.joined()
                if dropped > 0 { text += "\(Self.timestamp()) warning synclet: [SyncletServer] \(dropped) log lines were dropped: standard error was not keeping up\n" }
                writeAll(Array(text.utf8))
            }
            queue.withLock { $0.writing = false }
            drained.signal()
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    if errno == EPIPE { Self.discardPendingSIGPIPE() }
                    return  // stderr is gone: nothing better to do with a log line
                }
                offset += written
            }
        }
    }

    /// A SIGPIPE raised by this thread's write stays pending while blocked: take it, so it
    /// is never delivered later.
    private static func discardPendingSIGPIPE() {
        var pending = sigset_t()
        sigpending(&pending)
        guard sigismember(&pending, SIGPIPE) == 1 else { return }
        var only = sigset_t()
        sigemptyset(&only)
        sigaddset(&only, SIGPIPE)
        var zero = timespec(tv_sec: 0, tv_nsec: 0)
        _ = sigtimedwait(&only, nil, &zero)
    }

    /// Local time as the default swift-log handler writes it, e.g. 2026-12-07T17:26:41+0000.
    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The readable log format of `--log-format text` (the default), as swift-log's stream
/// handler writes it — `time level label: key=value … [source] message` — through the
/// `LogWriter`, never blocking the caller.
public struct TextLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let writer: LogWriter

    public init(label: String, writer: LogWriter = .standardError) {
        self.label = label
        self.writer = writer
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
        let pretty = fields.isEmpty ? "" : " " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        writer.write("\(LogWriter.timestamp()) \(level)\(label.isEmpty ? "" : " ")\(label):\(pretty) [\(source)] \(message)\n")
    }
}
