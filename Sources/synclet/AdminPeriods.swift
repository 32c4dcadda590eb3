import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore
import Usage

/// The operator's month-end: close a period, fetch its payout batch.
extension Admin {
    struct ClosePeriod: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "close-period",
            abstract: "Close a month: seal every composer's statement, pay out balances over the threshold, carry smaller ones forward.",
            discussion: """
                A month can be closed once it is over, and only once: its statements are then sealed
                with their SHA-256 and never change.

                Example: synclet admin close-period 2026-11
                Then:    synclet admin payouts 2026-11 --output payouts-2026-11.csv
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The month, YYYY-MM (e.g. 2026-11).") var period: String

        func validate() throws { _ = try PeriodText.parse(period, name: "PERIOD") }

        func run() async throws {
            let month = try PeriodText.parse(period, name: "PERIOD")
            let client = try connection.client()
            try await reportingErrors {
                let result = try await client.closePeriod(month)
                if connection.json { try Output.json(result); return }
                print("Closed \(result.period): \(result.sealedStatements) statements sealed.")
                if result.payouts.isEmpty {
                    print("No payouts: no balance reached the payout threshold.")
                } else {
                    let total = result.payouts.reduce(Int64(0)) { $0 + $1.amountMicros }
                    print("Payouts: \(result.payouts.count), \(Money(micros: total).decimal) in all.")
                    let rows: [[String]] = result.payouts.map { [$0.partyID, Money(micros: $0.amountMicros).decimal, $0.reference] }
                    let (header, aligned) = StatementText.rightAligned(header: ["PARTY", "AMOUNT", "REFERENCE"], rows: rows, columns: [1])
                    print(TextTable.render(header: header, rows: aligned))
                }
                print("Carried forward: \(result.carriedForwardParties) balances under the payout threshold.")
                if !result.payouts.isEmpty {
                    print("Payout batch for finance: synclet admin payouts \(result.period) --output payouts-\(result.period).csv")
                }
            }
        }
    }

    struct Payouts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Save a closed month's payout batch as CSV for finance: party, amount, currency, reference.",
            discussion: """
                Example: synclet admin payouts 2026-11 --output payouts-2026-11.csv
                To standard output (nothing else is printed there): synclet admin payouts 2026-11 -o -
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The month, YYYY-MM (closed with `synclet admin close-period`).") var period: String
        @Option(name: .shortAndLong, help: "Where to write the CSV (default: payouts-PERIOD.csv; - for standard output).") var output: String?

        func validate() throws { _ = try PeriodText.parse(period, name: "PERIOD") }

        func run() async throws {
            let month = try PeriodText.parse(period, name: "PERIOD")
            let client = try connection.client()
            let path = output ?? "payouts-\(month).csv"
            let toStandardOutput = path == "-"
            try await reportingErrors {
                let result: (status: Int, byteCount: Int64)
                do {
                    if toStandardOutput {
                        result = try await client.payoutCSV(period: month) { bytes in FileHandle.standardOutput.write(Data(bytes)) }
                    } else {
                        result = try await client.payoutCSV(period: month, to: path)
                    }
                } catch let error as ClientError where error.status == 404 {
                    throw ClientError(status: 404, problem: nil,
                                      message: "There is no payout batch for \(month) yet: close the month first with `synclet admin close-period \(month)`.")
                }
                // The CSV is the whole of standard output, for a pipe or a redirect.
                if toStandardOutput { return }
                if connection.json {
                    try Output.json(["path": path, "byte_count": String(result.byteCount), "period": month.description])
                } else {
                    print("Saved the \(month) payout batch to \(path) (\(ProgressBar.bytes(result.byteCount))).")
                }
            }
        }
    }
}
