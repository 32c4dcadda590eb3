import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore
import Usage

/// `synclet earnings [--follow]`: a composer's running totals for the current month, live.
struct Earnings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your earnings this month: usage, license sales and closing balance, live (composer key).",
        discussion: """
            Without --follow, prints the current totals and exits. With --follow, keeps printing
            a line for every booking that touches you until Ctrl-C; with --json, one JSON object
            per line. If the connection drops, it reconnects (up to \(Earnings.reconnectAttemptCountMax)
            attempts in a row); the first update after a reconnect carries the current totals.

            Examples:
              synclet earnings
              synclet earnings --follow
            """)

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Keep printing each update until Ctrl-C.") var follow = false

    /// Reconnections in a row without an update before giving up.
    static let reconnectAttemptCountMax = 5
    /// The longest wait between reconnections.
    static let reconnectDelaySecondsMax = 30

    func run() async throws {
        let client = try connection.client()
        try await reportingErrors {
            if follow {
                try await followUpdates(client)
            } else {
                try await printCurrent(client)
            }
        }
    }

    /// The totals the stream opens with, then the connection is closed.
    func printCurrent(_ client: SyncletClient) async throws {
        for try await update in client.earningsStream() {
            if connection.json {
                try Output.json(update)
            } else {
                print(Self.detail(update))
            }
            return
        }
        throw ClientError(status: nil, problem: nil,
                          message: "The server closed the earnings stream before sending your totals. Check it is a Synclet server of the same version and try again.")
    }

    /// Every update as it comes; reconnects after a dropped connection or a server error.
    func followUpdates(_ client: SyncletClient) async throws {
        var attempts = 0
        while true {
            var lastError: ClientError? = nil
            do {
                for try await update in client.earningsStream() {
                    attempts = 0
                    try emit(update)
                }
            } catch let error as ClientError where error.status == nil || (error.status ?? 0) >= 500 {
                lastError = error
            }
            attempts += 1
            let reason = lastError?.description ?? "The server closed the earnings stream."
            guard attempts < Self.reconnectAttemptCountMax else {
                throw lastError ?? ClientError(status: nil, problem: nil,
                                               message: "\(reason) Check the server is running, then run `synclet earnings --follow` again.")
            }
            let delay = min(1 << attempts, Self.reconnectDelaySecondsMax)
            Output.note("\(reason) Reconnecting in \(delay) s (attempt \(attempts + 1) of \(Self.reconnectAttemptCountMax)).")
            try await Task.sleep(for: .seconds(delay))
        }
    }

    /// One line per update, written at once (not held in a pipe's buffer).
    func emit(_ update: EarningsUpdate) throws {
        let text: String
        if connection.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            text = String(decoding: try encoder.encode(update), as: UTF8.self)
        } else {
            text = Self.line(update)
        }
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func line(_ update: EarningsUpdate) -> String {
        "\(update.at.rfc3339)  \(update.period)  usage \(Money(micros: update.usageMicros).decimal)"
            + "  license sales \(Money(micros: update.licenseSalesMicros).decimal)"
            + "  closing balance \(Money(micros: update.closingBalanceMicros).decimal)  \(update.lineCount) lines"
    }

    static func detail(_ update: EarningsUpdate) -> String {
        (["Earnings of \(update.partyID) in \(update.period), at \(update.at.rfc3339):"]
            + StatementText.labelled([("usage", Money(micros: update.usageMicros).decimal),
                                      ("license sales", Money(micros: update.licenseSalesMicros).decimal),
                                      ("closing balance", Money(micros: update.closingBalanceMicros).decimal),
                                      ("statement lines", String(update.lineCount))]))
            .joined(separator: "\n")
    }
}
