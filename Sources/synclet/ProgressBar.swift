import Foundation

/// A one-line progress bar on standard error: bytes, percent, rate and time left. Redraws
/// at most ten times a second, and only on a terminal (scripts get quiet stderr).
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private var lastDraw: Date = .distantPast
    private let start = Date()
    private var startBytes: Int64?
    private let enabled: Bool

    init(label: String, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.enabled = enabled
    }

    func update(done: Int64, total: Int64) {
        guard enabled else { return }
        lock.withLock {
            if startBytes == nil { startBytes = done }
            let now = Date()
            guard done >= total || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            let fraction = total > 0 ? Double(done) / Double(total) : 1
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let elapsed = max(now.timeIntervalSince(start), 0.001)
            let rate = Double(done - (startBytes ?? 0)) / elapsed
            let left = rate > 0 ? Double(total - done) / rate : 0
            let line = "\r\(label) \(bar) \(Int(fraction * 100))% \(Self.bytes(done))/\(Self.bytes(total)) \(Self.bytes(Int64(rate)))/s \(done >= total ? "done   " : "\(Int(left))s left")"
            FileHandle.standardError.write(Data(line.utf8))
            if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
        }
    }

    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f %@", value, units[unit])
    }
}
