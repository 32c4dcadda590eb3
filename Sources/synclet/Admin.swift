import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore
import SyncletServer

/// `synclet admin …`: the operator's commands (need an admin key).
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Operator commands: parties, API keys, wallet credit, licenses, signing keys, drops, period close and payouts (admin key required).",
        subcommands: [CreateParty.self, Parties.self, IssueKey.self, Keys.self, RevokeKey.self,
                      Credit.self, RotateKey.self, Revoke.self, Drop.self, ClosePeriod.self, Payouts.self, Platforms.self, RecoverKey.self])

    struct CreateParty: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a party and, unless --no-key, its first API key.",
            discussion: "Example: synclet admin create-party --kind composer --name \"Ada Lovelace\"")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "composer, licensee, reporter or admin.") var kind: PartyKind
        @Option(help: "Display name.") var name: String
        @Flag(name: .customLong("no-key"), help: "Do not issue a key now.") var noKey = false

        func run() async throws {
            let client = try connection.client()
            try await reportingErrors {
                let party = try await client.createParty(kind: kind, displayName: name)
                let issued = noKey ? nil : try await client.issueKey(party: party.id, label: "first")
                if connection.json {
                    try Output.json(CreatedParty(party: party, key: issued))
                    return
                }
                print("Created \(party.kind.rawValue) \(party.displayName): \(party.id)")
                if let issued {
                    print("API key (shown once; hand it over safely): \(issued.token)")
                }
            }
        }

        struct CreatedParty: Encodable {
            var party: Wire.Party
            var key: Wire.IssuedAPIKey?
        }
    }

    struct Parties: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List parties.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Items per page (1-500).") var limit: Int = 100
        @Option(help: "Continue from a next_cursor.") var cursor: String?

        func run() async throws {
            let client = try connection.client()
            try await reportingErrors {
                let page = try await client.parties(cursor: cursor, limit: limit)
                if connection.json { try Output.json(page); return }
                for party in page.items {
                    print("\(party.id)  \(party.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(party.displayName)")
                }
                if let next = page.nextCursor { print("More: synclet admin parties --cursor \(next)") }
            }
        }
    }

    struct IssueKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a new API key for a party (shown once).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Party id (pty_…).") var party: String
        @Option(help: "A label to recognise the key by.") var label: String?

        func run() async throws {
            guard let id = PartyID(party) else { throw ValidationError("\(party) is not a party id (pty_…).") }
            let client = try connection.client()
            try await reportingErrors {
                let issued = try await client.issueKey(party: id, label: label)
                if connection.json { try Output.json(issued) } else {
                    print("Key \(issued.key.id) for \(id) (shown once): \(issued.token)")
                }
            }
        }
    }

    struct RecoverKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new operator key on the server's data folder, with the server stopped (shown once).",
            discussion: """
                The way back when every operator key is lost: run it on the machine that holds
                the data folder, with the server stopped (the folder's lock says if it runs).
                It needs no server and no key, only the folder.

                Example: synclet admin recover-key --storage /var/lib/synclet
                """)
        @Option(help: "The server's data folder.") var storage: String
        @Flag(help: "Print JSON for scripts instead of text.") var json = false

        func run() async throws {
            do {
                let (party, token) = try await recoverOperatorKey(storage: storage, now: Clock.system.now())
                if json { try Output.json(["party_id": party.rawValue, "token": token]); return }
                print("New operator key for \(party) (shown once; the other keys are unchanged): \(token)")
            } catch let error as ServerSetupError {
                Output.error(error.description)
                throw ExitCode.failure
            }
        }
    }

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a party's keys (never their secrets).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Party id (pty_…).") var party: String

        func run() async throws {
            guard let id = PartyID(party) else { throw ValidationError("\(party) is not a party id (pty_…).") }
            let client = try connection.client()
            try await reportingErrors {
                let keys = try await client.keys(party: id)
                if connection.json { try Output.json(keys); return }
                for key in keys {
                    print("\(key.id)  \(key.hint)  \(key.label)  created \(key.createdAt)\(key.revokedAt.map { "  REVOKED \($0)" } ?? "")")
                }
            }
        }
    }

    struct RevokeKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key at once.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Key id (key_…).") var key: String

        func run() async throws {
            guard let id = APIKeyID(key) else { throw ValidationError("\(key) is not a key id (key_…).") }
            let client = try connection.client()
            try await reportingErrors {
                let revoked = try await client.revokeKey(id)
                if connection.json { try Output.json(revoked) } else { print("Revoked \(revoked.id) (\(revoked.label)) at \(revoked.revokedAt!).") }
            }
        }
    }
}

extension PartyKind: ExpressibleByArgument {}
