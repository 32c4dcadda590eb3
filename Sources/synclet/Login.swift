import ArgumentParser
import Foundation
import SyncletClient

/// `synclet login`: checks a key against the server and saves both.
struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Save the server address and your API key (checked against the server first).",
        discussion: "The file is ~/.config/synclet/config.json with mode 0600. SYNCLET_SERVER and SYNCLET_API_KEY override it.")

    @Option(help: "Server URL, e.g. http://127.0.0.1:8080")
    var server: String

    @Option(name: .customLong("api-key"), help: "Your API key (syn_…). Use - to read it from standard input.")
    var apiKey: String

    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    func run() async throws {
        let key = apiKey == "-" ? (readLine() ?? "").trimmingCharacters(in: .whitespacesAndNewlines) : apiKey
        try await reportingErrors {
            let party = try await SyncletClient(server: server, apiKey: key).me()
            try CLIConfig(server: server, apiKey: key).save()
            if json {
                try Output.json(party)
            } else {
                print("Logged in to \(server) as \(party.displayName) (\(party.kind.rawValue), \(party.id)). Saved to \(CLIConfig.path).")
            }
        }
    }
}
