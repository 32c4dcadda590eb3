import ArgumentParser
import Foundation
import Licensing
import SyncletClient
import SyncletCore

/// `synclet wallet`: the prepaid credit licenses are paid from.
struct Wallet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your wallet: balance and latest movements (licensee key).",
        discussion: """
            Credit arrives from the payment provider or as operator credit; each license you buy
            takes its flat price. The operator sees a licensee's wallet with --party pty_….
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Operator: this licensee's wallet (pty_…).") var party: String?

    func validate() throws {
        if let party, PartyID(party) == nil { throw ValidationError("--party \(party) is not a party id (pty_…).") }
    }

    func run() async throws {
        let partyID = party.flatMap { PartyID($0) }
        let client = try connection.client()
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
}
