import ArgumentParser
import Foundation
import Licensing
import SyncletClient
import SyncletCore

/// The operator's money and license commands: credit, signing keys, revocation, drops.
extension Admin {
    struct Platforms: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the platforms a reporter may report usage for (replaces the list).",
            discussion: """
                A reporter's usage events count only for these platforms; an event for another
                is rejected. Give no platform to take them all away.

                Example: synclet admin platforms pty_… youtube tiktok
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The reporter (pty_…).") var party: String
        @Argument(help: "Platform names, e.g. youtube tiktok instagram.") var platforms: [String] = []

        func validate() throws {
            guard PartyID(party) != nil else { throw ValidationError("\(party) is not a party id (pty_…). `synclet admin parties` lists them.") }
        }

        func run() async throws {
            guard let partyID = PartyID(party) else { throw ValidationError("\(party) is not a party id (pty_…).") }
            let client = try connection.client()
            try await reportingErrors {
                let stored = try await client.setReporterPlatforms(partyID, platforms)
                if connection.json { try Output.json(["platforms": stored]); return }
                print(stored.isEmpty ? "\(partyID) may report for no platform." : "\(partyID) may report for: \(stored.joined(separator: ", ")).")
            }
        }
    }

    struct Credit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Credit a licensee's wallet.",
            discussion: """
                AMOUNT is in currency units with at most six decimals, e.g. 25 or 4.99.
                Every credit carries an idempotency key (yours, or a new UUID that is printed);
                running it again with the same --idempotency-key never credits twice.

                Example: synclet admin credit pty_… 25 --note "launch promotion"
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "The licensee (pty_…).") var party: String
        @Argument(help: "Amount in currency units, e.g. 25 or 4.99.") var amount: String
        @Option(help: "Why the credit is given.") var note: String?
        @Option(help: "The key of an earlier attempt, to retry it safely (default: a new UUID).") var idempotencyKey: String?

        func validate() throws {
            guard PartyID(party) != nil else { throw ValidationError("\(party) is not a party id (pty_…). `synclet admin parties` lists them.") }
            _ = try Self.micros(amount)
            try IdempotencyKeyText.validate(idempotencyKey)
        }

        /// A positive decimal amount in micro-units; anything else (signs, exponents, a seventh
        /// decimal, commas) is refused rather than guessed at.
        static func micros(_ text: String) throws -> Int64 {
            guard let money = Money(decimal: text), money.micros > 0 else {
                throw ValidationError("AMOUNT must be a positive number of currency units with at most six decimals, like 25 or 4.99 (got \"\(text)\").")
            }
            return money.micros
        }

        func run() async throws {
            guard let partyID = PartyID(party) else { throw ValidationError("\(party) is not a party id (pty_…).") }
            let amountMicros = try Self.micros(amount)
            let key = idempotencyKey ?? IdempotencyKeyText.make()
            let client = try connection.client()
            try await reportingErrors(retryKey: key) {
                let receipt = try await client.grant(party: partyID, amountMicros: amountMicros, note: note, idempotencyKey: key)
                if connection.json {
                    try Output.json(Granted(receipt: receipt, idempotencyKey: key))
                    return
                }
                print("Credited \(Self.decimal(receipt.amountMicros)) to \(receipt.partyID) (transfer \(receipt.transferID)); balance now \(Self.decimal(receipt.balanceMicros)).")
                print("Idempotency key: \(key) (a retry with it credits nothing again).")
            }
        }

        /// Micro-units sent as a string, shown as a decimal (or as sent, if not a number).
        static func decimal(_ microsText: String) -> String {
            Int64(microsText).map { Money(micros: $0).decimal } ?? microsText
        }

        struct Granted: Encodable {
            var receipt: Wire.GrantReceipt
            var idempotencyKey: String
            enum CodingKeys: String, CodingKey {
                case receipt
                case idempotencyKey = "idempotency_key"
            }
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Start a new license-signing key. Earlier keys stay published, so licenses they signed still verify.")
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let client = try connection.client()
            try await reportingErrors {
                let info = try await client.rotateSigningKey()
                if connection.json { try Output.json(info); return }
                print("New signing key \(info.kid), created \(info.createdAt). New licenses are signed with it.")
                print("Verifiers fetch it when they first meet a key it signed (or now: synclet verify KEY --refresh).")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a license (refund, fraud): its charge is reversed and verification shows it revoked.",
            discussion: "Example: synclet admin revoke lic_… --reason \"chargeback\"")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "License id (lic_…).") var license: String
        @Option(help: "Why, kept with the license.") var reason: String

        func validate() throws {
            _ = try parseLicenseID(license)
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ValidationError("--reason must say why the license is revoked (it is kept with the license).")
            }
        }

        func run() async throws {
            let licenseID = try parseLicenseID(license)
            let client = try connection.client()
            try await reportingErrors {
                let revoked = try await client.revokeLicense(licenseID, reason: reason.trimmingCharacters(in: .whitespacesAndNewlines))
                if connection.json { try Output.json(revoked); return }
                print("Revoked \(revoked.id) (\(revoked.code)) at \(revoked.revokedAt.map(\.rfc3339) ?? "-"); its charge was reversed.")
            }
        }
    }

    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open a limited drop: a fixed number of licenses of one template for one asset, on sale in a time window.",
            discussion: """
                Times are RFC 3339, e.g. 2026-12-01T18:00:00Z or 2026-12-01T19:00:00+01:00.
                Buyers add --drop drp_… to `synclet licenses buy`; a drop never sells more than --quantity.

                Example:
                  synclet admin drop ast_… --template social-clip --quantity 100 \\
                    --starts 2026-12-01T18:00:00Z --ends 2026-12-08T18:00:00Z
                """)
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "A published asset (ast_…).") var asset: String
        @Option(help: "The license template the drop sells.") var template: String
        @Option(help: "How many licenses are on sale.") var quantity: Int
        @Option(help: "When sales open (RFC 3339).") var starts: String
        @Option(help: "When sales close (RFC 3339).") var ends: String

        func validate() throws {
            _ = try request()
        }

        /// The request, or the argument error that stops it.
        func request() throws -> Wire.CreateDrop {
            let assetID = try parseAssetID(asset)
            let name = template.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw ValidationError("--template needs a template id; `synclet quote` lists them.") }
            guard quantity >= 1 else { throw ValidationError("--quantity must be 1 or more.") }
            let opens = try Self.time(starts, "--starts")
            let closes = try Self.time(ends, "--ends")
            guard opens < closes else { throw ValidationError("--ends (\(closes)) must be after --starts (\(opens)).") }
            return Wire.CreateDrop(assetID: assetID, template: name, quantity: quantity, startsAt: opens, endsAt: closes)
        }

        static func time(_ text: String, _ flag: String) throws -> Timestamp {
            guard let time = Timestamp(rfc3339: text) else {
                throw ValidationError("\(flag) \(text) is not an RFC 3339 time; write it like 2026-12-01T18:00:00Z.")
            }
            return time
        }

        func run() async throws {
            let creation = try self.request()
            let client = try connection.client()
            try await reportingErrors {
                let drop = try await client.createDrop(creation)
                if connection.json { try Output.json(drop); return }
                print("Drop \(drop.id): \(drop.quantity) \(drop.template) licenses of \(drop.assetID), \(drop.sold) sold, \(drop.remaining) left, from \(drop.startsAt) to \(drop.endsAt) (\(drop.state)).")
                print("Buyers: synclet licenses buy \(drop.assetID) --template \(drop.template) --drop \(drop.id) --platform … (the use flags)")
            }
        }
    }
}
