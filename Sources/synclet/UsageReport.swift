import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore
import Usage

/// `synclet usage report FILE`: a platform's or licensee's usage events, in one batch.
/// (Not named `Usage`: that is the module the event types come from.)
struct UsageCommands: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Report how licensed clips were used (licensee or reporter key).",
        subcommands: [Report.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report a batch of usage events from a file: NDJSON (one event per line) or a JSON array.",
            discussion: """
                Each event: {"event_id", "license" (lic_…, a SYN-… code or a key), "kind" (view, play,
                use or seconds), "quantity", "platform", "occurred_at" (RFC 3339), and optionally
                "channel_id", "video_id", "country", "reverses" (the event_id it takes back)}.
                A file holds at most \(SyncletClient.usageBatchEventCountMax) events and 8 MiB.

                Reporting the same file again is safe: events already booked come back as
                duplicates and are never charged twice. The command prints the counts and every
                event that was not accepted, with its line, reason and, for a flagged use, the
                limit it broke and a template that would cover it.

                Example: synclet usage report views-2026-11-21.ndjson
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "FILE.ndjson (one event per line) or FILE.json (an array of events).") var file: String

        /// How much of the file is read to tell NDJSON from a JSON array.
        static let sniffByteCountMax = 4096

        enum Layout { case ndjson, jsonArray }

        func validate() throws { _ = try Self.layout(of: file) }

        /// NDJSON starts with `{`, a JSON array with `[`; the content decides, not the name.
        static func layout(of path: String) throws -> Layout {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ValidationError("Cannot read \(path); check the path and that the file is readable.")
            }
            defer { try? handle.close() }
            let head = try? handle.read(upToCount: sniffByteCountMax)
            let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
            guard let first = head?.first(where: { !whitespace.contains($0) }) else {
                throw ValidationError("\(path) is empty; put one event per line in it (NDJSON) or a JSON array of events.")
            }
            switch first {
            case UInt8(ascii: "["): return .jsonArray
            case UInt8(ascii: "{"): return .ndjson
            default:
                throw ValidationError("\(path) is neither NDJSON (one {…} event per line) nor a JSON array of events ([{…}, …]).")
            }
        }

        func run() async throws {
            let layout = try Self.layout(of: file)
            let client = try connection.client()
            try await reportingErrors {
                let result: UsageBatchResult
                switch layout {
                case .ndjson: result = try await client.reportUsage(ndjsonFile: file)
                case .jsonArray: result = try await client.reportUsage(jsonFile: file)
                }
                if connection.json { try Output.json(result); return }
                print(UsageText.summary(result, file: file))
                let unaccepted = result.results.filter { $0.status != "accepted" }
                guard !unaccepted.isEmpty else { return }
                print("")
                print(UsageText.table(unaccepted, positionLabel: layout == .ndjson ? "LINE" : "EVENT #"))
                for hint in UsageText.hints(result) { Output.note(hint) }
            }
        }
    }
}

/// How usage results read on a terminal.
enum UsageText {
    static func summary(_ result: UsageBatchResult, file: String) -> String {
        let total = result.accepted + result.duplicate + result.flagged + result.rejected
        let charged = result.results.reduce(Int64(0)) { $0 + ($1.chargedMicros ?? 0) }
        return "Reported \(total) events from \(file): \(result.accepted) accepted, \(result.duplicate) duplicate, "
            + "\(result.flagged) flagged, \(result.rejected) rejected; charged \(Money(micros: charged).decimal)."
    }

    static func table(_ results: [UsageEventResult], positionLabel: String) -> String {
        let header = [positionLabel, "STATUS", "EVENT ID", "REASON", "LIMIT", "SUGGESTED TEMPLATE"]
        let rows: [[String]] = results.map { result in
            [String(result.line), result.status, result.eventID ?? "-", reason(result), result.limit ?? "-", result.suggestedTemplate ?? "-"]
        }
        let (alignedHeader, alignedRows) = StatementText.rightAligned(header: header, rows: rows, columns: [0])
        return TextTable.render(header: alignedHeader, rows: alignedRows)
    }

    static func reason(_ result: UsageEventResult) -> String {
        if let reason = result.reason { return reason }
        return result.status == "duplicate" ? "already reported; not charged again" : "-"
    }

    /// What to do about what was not accepted.
    static func hints(_ result: UsageBatchResult) -> [String] {
        var hints = [String]()
        if result.flagged > 0 {
            hints.append("Flagged events broke a limit of their license (LIMIT) and were not charged. A license under the suggested template covers such use: price it with `synclet quote`.")
        }
        if result.rejected > 0 {
            hints.append("Fix the rejected events and report them again (the whole file is fine: events already booked come back as duplicates and are never charged twice).")
        }
        return hints
    }
}
