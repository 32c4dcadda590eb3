import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore
import Usage

/// `synclet statements show|export|events`: what a composer earned in a month.
struct Statements: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your monthly statements: show, export, and trace a line to its events (composer key; operator with --party).",
        discussion: """
            A statement is current to the last acknowledged usage event while its month is open;
            when the operator closes the month it is sealed and carries its SHA-256.

            Examples:
              synclet statements show --period 2026-11
              synclet statements export --period 2026-11 --format csv --output statement-2026-11.csv
              synclet statements events --period 2026-11 --line 3
            """,
        subcommands: [Show.self, Export.self, Events.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a month's statement: opening balance, lines, usage, license sales, payouts, closing balance.",
            discussion: "Example: synclet statements show --period 2026-11")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: StatementTarget

        func run() async throws {
            let (period, party) = try target.resolved()
            let client = try connection.client()
            try await reportingErrors {
                let statement = try await client.statement(period: period, party: party)
                if connection.json { try Output.json(statement); return }
                print(StatementText.render(statement))
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save a month's statement as CSV, JSON, TSV (DSR-like) or HTML.",
            discussion: "Example: synclet statements export --period 2026-11 --format html --output statement.html")
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: StatementTarget
        @Option(help: "csv, json, tsv, html, or sealed (a closed period's exact sealed bytes; sha256sum gives its seal).") var format: StatementFormat = .csv
        @Option(name: .shortAndLong, help: "Where to write it (default: statement-PERIOD.FORMAT).") var output: String?

        func run() async throws {
            let (period, party) = try target.resolved()
            let client = try connection.client()
            let path = output ?? "statement-\(period)\(party.map { "-\($0)" } ?? "").\(format == .sealed ? "sealed.json" : format.rawValue)"
            try await reportingErrors {
                let counter = ByteCounter()
                let bar = ProgressBar(label: (path as NSString).lastPathComponent)
                // The download does not learn the size ahead, so the bar fills at the end.
                let result = try await client.exportStatement(period: period, party: party, format: format, to: path) { count in
                    let done = counter.add(count)
                    bar.update(done: done, total: done + 1)
                }
                bar.update(done: result.byteCount, total: result.byteCount)
                if connection.json {
                    try Output.json(["path": path, "byte_count": String(result.byteCount), "format": format.rawValue,
                                     "period": period.description])
                } else {
                    print("Saved the \(period) statement as \(format.rawValue.uppercased()) to \(path) (\(ProgressBar.bytes(result.byteCount))).")
                }
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the usage events behind one statement line, with their licenses and terms hashes.",
            discussion: """
                N is the line's number (#) in `synclet statements show`. Every page is followed,
                up to \(Events.pageCountMax) pages a run; the command prints how to continue after that.

                Example: synclet statements events --period 2026-11 --line 3
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var target: StatementTarget
        @Option(help: "The line's number (#) in `synclet statements show`.") var line: Int
        @Option(help: "Events per page (1-500).") var limit: Int = 500
        @Option(help: "Continue from a next_cursor.") var cursor: String?

        /// Pages one run follows, so a huge line cannot hold the terminal (or memory) forever.
        static let pageCountMax = 200

        func validate() throws {
            guard line >= 1 else { throw ValidationError("--line must be 1 or more: the line's number (#) in `synclet statements show`.") }
            guard (1...500).contains(limit) else { throw ValidationError("--limit must be from 1 to 500.") }
        }

        func run() async throws {
            let (period, party) = try target.resolved()
            let client = try connection.client()
            try await reportingErrors {
                var items = [StatementLineEvent]()
                var cursor = self.cursor
                var pages = 0
                repeat {
                    let page = try await client.lineEvents(period: period, n: line, party: party, cursor: cursor, limit: limit)
                    items += page.items
                    cursor = page.nextCursor
                    pages += 1
                } while cursor != nil && pages < Self.pageCountMax
                if connection.json {
                    try Output.json(Wire.Page(items: items, nextCursor: cursor))
                    return
                }
                if items.isEmpty {
                    print("No accepted events behind line \(line) of \(period).")
                } else {
                    print(StatementText.events(items))
                }
                if let cursor {
                    let partyFlag = party.map { " --party \($0)" } ?? ""
                    print("Stopped after \(items.count) events. More: synclet statements events --period \(period)\(partyFlag) --line \(line) --cursor \(cursor)")
                }
            }
        }
    }
}

extension StatementFormat: ExpressibleByArgument {}

/// Which statement: the month, and for the operator the composer.
struct StatementTarget: ParsableArguments {
    @Option(help: "The month, YYYY-MM (e.g. 2026-11).") var period: String
    @Option(help: "Operator: this composer's statement (pty_…).") var party: String?

    func validate() throws { _ = try resolved() }

    func resolved() throws -> (Period, PartyID?) {
        let month = try PeriodText.parse(period, name: "--period")
        guard let party else { return (month, nil) }
        guard let id = PartyID(party) else {
            throw ValidationError("--party \(party) is not a party id (pty_…). `synclet admin parties` lists them.")
        }
        return (month, id)
    }
}

/// Months as the API takes them, `YYYY-MM`, checked before anything is sent.
enum PeriodText {
    static func parse(_ text: String, name: String) throws -> Period {
        guard let period = Period(text) else {
            throw ValidationError("\(name) must be a month written YYYY-MM, such as 2026-11 (got \"\(text)\").")
        }
        return period
    }
}

/// How statements and their events read on a terminal.
enum StatementText {
    static func render(_ statement: Usage.Statement) -> String {
        let summary = amountRows([("opening balance", statement.openingBalanceMicros), ("usage", statement.usageMicros),
                                  ("license sales", statement.licenseSalesMicros), ("payouts", statement.payoutsMicros),
                                  ("closing balance", statement.closingBalanceMicros)])
        var out = ["Statement \(statement.period) (\(statement.timeZone ?? "UTC") month) of \(statement.partyName) (\(statement.partyID)), amounts in \(statement.currency)"]
        out.append(summary[0])
        out.append("")
        if statement.lines.isEmpty {
            out.append("No usage lines in \(statement.period) yet.")
        } else {
            out.append(lineTable(statement.lines))
        }
        out.append("")
        out += summary.dropFirst()
        if let sha256 = statement.sealedSHA256 {
            out.append("sealed, sha256 \(sha256)")
        } else {
            out.append("open: current to \(statement.generatedAt.rfc3339); sealed when the operator closes \(statement.period)")
        }
        return out.joined(separator: "\n")
    }

    /// The lines as a table, numbered as `statements events --line` takes them.
    static func lineTable(_ lines: [Usage.Statement.Line]) -> String {
        let header = ["#", "ASSET", "TITLE", "TEMPLATE", "PLATFORM", "KIND", "QUANTITY", "GROSS", "FEE", "SHARE"]
        let rows: [[String]] = lines.enumerated().map { index, line in
            [String(index + 1), line.assetID, line.assetTitle, line.template, line.platform, line.kind, String(line.quantity),
             Money(micros: line.grossMicros).decimal, Money(micros: line.feeMicros).decimal, Money(micros: line.shareMicros).decimal]
        }
        let (alignedHeader, alignedRows) = rightAligned(header: header, rows: rows, columns: [0, 6, 7, 8, 9])
        return TextTable.render(header: alignedHeader, rows: alignedRows)
    }

    static func events(_ events: [StatementLineEvent]) -> String {
        let header = ["EVENT", "QUANTITY", "CHARGED", "LICENSE", "CHANNEL", "VIDEO", "OCCURRED", "TERMS SHA256"]
        let rows: [[String]] = events.map { event in
            [event.eventID + (event.reverses.map { " (reverses \($0))" } ?? ""), String(event.quantity),
             Money(micros: event.chargedMicros).decimal, event.licenseID.rawValue,
             event.channelID ?? "-", event.videoID ?? "-", event.occurredAt.rfc3339, event.termsSHA256]
        }
        let (alignedHeader, alignedRows) = rightAligned(header: header, rows: rows, columns: [1, 2])
        return TextTable.render(header: alignedHeader, rows: alignedRows)
    }

    /// `  label            12.000000`, labels and amounts aligned among themselves.
    static func amountRows(_ items: [(String, Int64)]) -> [String] {
        labelled(items.map { ($0.0, Money(micros: $0.1).decimal) })
    }

    /// Labels padded to the longest, values right-aligned to the widest.
    static func labelled(_ items: [(String, String)]) -> [String] {
        let labelWidth = items.map { $0.0.count }.max() ?? 0
        let valueWidth = items.map { $0.1.count }.max() ?? 0
        return items.map { label, value in
            "  " + label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) + "  "
                + String(repeating: " ", count: valueWidth - value.count) + value
        }
    }

    /// Pads the cells of the numeric `columns` on the left, so their digits line up.
    static func rightAligned(header: [String], rows: [[String]], columns: Set<Int>) -> ([String], [[String]]) {
        let all = [header] + rows
        var widths = [Int: Int]()
        for column in columns { widths[column] = all.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        let padded: [[String]] = all.map { cells in
            cells.enumerated().map { column, cell in
                guard let width = widths[column] else { return cell }
                return String(repeating: " ", count: max(0, width - cell.count)) + cell
            }
        }
        return (padded[0], Array(padded.dropFirst()))
    }
}
