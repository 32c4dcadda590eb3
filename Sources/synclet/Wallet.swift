import ArgumentParser
import Foundation
import Licensing
import SyncletClient
import SyncletCore
import Usage

/// `synclet wallet`: the prepaid credit licenses are paid from.
struct Wallet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your wallet: balance and latest movements (licensee key).",
        discussion: """
            Credit arrives from the payment provider or as operator credit; each license you buy
            takes its flat price. The operator sees a licensee's wallet with --party pty_….

            With --spend YYYY-MM: what you spent in that month against your monthly cap, by
            license and by platform (your own wallet only).

            Examples:
              synclet wallet
              synclet wallet --spend 2026-11
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Operator: this licensee's wallet (pty_…).") var party: String?
    @Option(help: "Your spending in a month (YYYY-MM): against your cap, by license and by platform.") var spend: String?

    func validate() throws {
        if let party, PartyID(party) == nil { throw ValidationError("--party \(party) is not a party id (pty_…).") }
        if let spend {
            _ = try PeriodText.parse(spend, name: "--spend")
            guard party == nil else {
                throw ValidationError("--spend shows your own wallet's spending (licensee key); leave out --party.")
            }
        }
    }

    func run() async throws {
        let partyID = party.flatMap { PartyID($0) }
        let client = try connection.client()
        if let spend {
            let period = try PeriodText.parse(spend, name: "--spend")
            try await reportingErrors {
                let report = try await client.spend(period: period)
                if connection.json { try Output.json(report); return }
                print(Self.spendText(report))
            }
            return
        }
        try await reportingErrors {
            let wallet: Wire.Wallet
            if let partyID {
                wallet = try await client.wallet(of: partyID)
            } else {
                wallet = try await client.wallet()
            }
            if connection.json { try Output.json(wallet); return }
            print("Wallet of \(wallet.partyID): \(Money(micros: wallet.balanceMicros).decimal) \(wallet.currency)")
            guard !wallet.movements.isEmpty else {
                print("No movements yet. Credit arrives from the payment provider or from the operator (synclet admin credit).")
                return
            }
            let rows = wallet.movements.map { movement -> [String] in
                let amount = Money(micros: movement.amountMicros).decimal
                return [movement.at.rfc3339, movement.amountMicros > 0 ? "+" + amount : amount, movement.reason, movement.cause]
            }
            print(TextTable.render(header: ["WHEN", "AMOUNT", "REASON", "CAUSE"], rows: rows))
        }
    }

    static func spendText(_ report: WalletSpend) -> String {
        let spent = Money(micros: report.spentMicros).decimal
        var out = [String]()
        if let cap = report.capMicros {
            let left = Money(micros: max(0, cap - report.spentMicros)).decimal
            out.append("Spent in \(report.period) by \(report.partyID): \(spent) of a \(Money(micros: cap).decimal) monthly cap (\(left) left).")
        } else {
            out.append("Spent in \(report.period) by \(report.partyID): \(spent) (no monthly cap).")
        }
        guard !report.byLicense.isEmpty || !report.byPlatform.isEmpty else {
            out.append("Nothing spent in \(report.period).")
            return out.joined(separator: "\n")
        }
        if !report.byLicense.isEmpty {
            let rows: [[String]] = report.byLicense.map { [$0.licenseID.rawValue, $0.code, Money(micros: $0.spentMicros).decimal] }
            let (header, aligned) = StatementText.rightAligned(header: ["LICENSE", "CODE", "SPENT"], rows: rows, columns: [2])
            out += ["", "By license:", TextTable.render(header: header, rows: aligned)]
        }
        if !report.byPlatform.isEmpty {
            let rows: [[String]] = report.byPlatform.map { [$0.platform, Money(micros: $0.spentMicros).decimal] }
            let (header, aligned) = StatementText.rightAligned(header: ["PLATFORM", "SPENT"], rows: rows, columns: [1])
            out += ["", "By platform:", TextTable.render(header: header, rows: aligned)]
        }
        return out.joined(separator: "\n")
    }
}
