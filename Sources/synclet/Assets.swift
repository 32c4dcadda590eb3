import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore

/// `synclet assets list|show|download`.
struct Assets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your assets: list, show, download originals.",
        subcommands: [List.self, Show.self, Download.self, Publish.self, Withdraw.self, Edit.self, Splits.self, Bundle.self, Preview.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your assets, newest last.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Items per page (1-500).") var limit: Int = 50
        @Option(help: "Continue from a next_cursor.") var cursor: String?
        @Flag(help: "Follow every page to the end.") var all = false

        func run() async throws {
            let client = try connection.client()
            try await reportingErrors {
                let (items, next) = try await collectPages(from: cursor, all: all) { cursor in
                    try await client.assets(cursor: cursor, limit: limit)
                }
                if connection.json {
                    try Output.json(Wire.Page(items: items, nextCursor: next))
                    return
                }
                if items.isEmpty { print("No assets yet. Upload one with `synclet upload FILE --title …`.") }
                for asset in items { AssetsText.printLine(asset) }
                if let next { print("More: synclet assets list --cursor \(next)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one asset in full.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Asset id (ast_…).") var id: String

        func run() async throws {
            guard let assetID = AssetID(id) else { throw ValidationError("\(id) is not an asset id (ast_…).") }
            let client = try connection.client()
            try await reportingErrors {
                let asset = try await client.asset(assetID)
                if connection.json { try Output.json(asset) } else { AssetsText.printDetail(asset) }
            }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download an asset's original file.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Asset id (ast_…).") var id: String
        @Option(name: .shortAndLong, help: "Where to write the file (default: its original name).") var output: String?

        func run() async throws {
            guard let assetID = AssetID(id) else { throw ValidationError("\(id) is not an asset id (ast_…).") }
            let client = try connection.client()
            try await reportingErrors {
                let asset = try await client.asset(assetID)
                guard let file = asset.file, let audio = asset.audio else {
                    throw ClientError(status: nil, problem: nil, message: "\(asset.id) has no file of its own (a track made of stems); use `synclet assets bundle \(asset.id)`.")
                }
                let path = output ?? file.filename ?? "\(asset.id).\(audio.container)"
                let bar = ProgressBar(label: (path as NSString).lastPathComponent)
                let total = file.byteCount
                let counter = ByteCounter()
                let result = try await client.downloadOriginal(assetID, to: path) { count in
                    bar.update(done: counter.add(count), total: total)
                }
                if connection.json {
                    try Output.json(["path": path, "byte_count": String(result.byteCount), "sha256": file.sha256])
                } else {
                    print("Saved \(path) (\(ProgressBar.bytes(result.byteCount)), sha256 \(file.sha256)).")
                }
            }
        }
    }
}

final class ByteCounter: @unchecked Sendable {
    private var total: Int64 = 0
    private let lock = NSLock()
    func add(_ count: Int) -> Int64 { lock.withLock { total += Int64(count); return total } }
}

enum SyncletFormat {
    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
    }

    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds)
        return String(format: "%d:%02d.%01d", whole / 60, whole % 60, Int((seconds - Double(whole)) * 10))
    }
}

enum AssetsText {
    static func printLine(_ asset: Wire.Asset) {
        let key = asset.key.map { " \($0.name) (\($0.camelot))" } ?? ""
        let bpm = asset.bpm.map { " \(SyncletFormat.number($0)) BPM" } ?? ""
        let role = asset.role.map { " [\($0)]" } ?? ""
        let by = asset.composerName.map { " — \($0)" } ?? ""
        print("\(asset.id)  \(asset.kind.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))  \(asset.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(SyncletFormat.duration(asset.durationSeconds))  \(asset.title)\(role)\(bpm)\(key)\(by)")
    }

    static func printSummary(_ asset: Wire.Asset) {
        let audio = asset.audio.map { "\($0.container)/\($0.encoding), \($0.sampleRate) Hz, \($0.channels) ch, " } ?? ""
        print("Created \(asset.kind.rawValue) \(asset.id) \"\(asset.title)\": \(audio)\(SyncletFormat.duration(asset.durationSeconds)) (\(asset.status.rawValue)).")
    }

    static func printDetail(_ asset: Wire.Asset) {
        var lines = [
            "\(asset.title)  (\(asset.id))",
            "  kind       \(asset.kind.rawValue)\(asset.role.map { " (\($0))" } ?? "")\(asset.trackID.map { " of \($0)" } ?? "")",
            "  status     \(asset.status.rawValue)\(asset.publishedAt.map { " since \($0)" } ?? "")",
            "  composer   \(asset.composerName ?? "-") (\(asset.ownerID))",
            "  duration   \(SyncletFormat.duration(asset.durationSeconds))",
        ]
        if let audio = asset.audio {
            lines.append("  audio      \(audio.container)/\(audio.encoding), \(audio.sampleRate) Hz, \(audio.bitDepth.map { "\($0)-bit, " } ?? "")\(audio.channels) ch, \(audio.frames) frames")
        }
        if let file = asset.file {
            lines.append("  file       \(file.filename ?? "-"), \(ProgressBar.bytes(file.byteCount)), sha256 \(file.sha256)")
        }
        if let bpm = asset.bpm { lines.append("  bpm        \(SyncletFormat.number(bpm))") }
        if let key = asset.key { lines.append("  key        \(key.name) (\(key.camelot))") }
        for (label, list) in [("tags", asset.tags), ("moods", asset.moods), ("genres", asset.genres), ("instruments", asset.instruments)] where !list.isEmpty {
            lines.append("  \(label.padding(toLength: 10, withPad: " ", startingAt: 0)) \(list.joined(separator: ", "))")
        }
        if let vocals = asset.vocals { lines.append("  vocals     \(vocals ? "yes" : "no")") }
        if let isrc = asset.isrc { lines.append("  isrc       \(isrc)") }
        let preview = asset.preview
        lines.append("  preview    \(preview.status)\(preview.format.map { " (\($0))" } ?? ""), \(SyncletFormat.number(preview.startSeconds))s + \(SyncletFormat.number(preview.durationSeconds))s\(preview.watermark ? ", watermarked" : "")\(preview.detail.map { " — \($0)" } ?? "")")
        if let splits = asset.splits {
            lines.append("  splits\(asset.splitsInherited == true ? " (from the track)" : "")")
            for share in splits {
                lines.append("    \(share.partyID)  \(String(format: "%.2f", Double(share.basisPoints) / 100))%")
            }
        }
        if let stems = asset.stems {
            lines.append("  stems      \(stems.isEmpty ? "none" : "\(stems.count)")")
            for stem in stems {
                lines.append("    \(stem.id)  \(stem.title)\(stem.role.map { " (\($0))" } ?? ""), \(SyncletFormat.duration(stem.durationSeconds)), \(stem.status.rawValue)")
            }
        }
        if let attachments = asset.attachments, !attachments.isEmpty {
            lines.append("  texts      \(attachments.joined(separator: ", "))")
        }
        print(lines.joined(separator: "\n"))
    }
}
