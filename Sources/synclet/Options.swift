import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore

/// Where the server is and which key to use: flags, then environment, then the file
/// written by `synclet login`.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "Server URL (default: SYNCLET_SERVER, then the saved login).")
    var server: String?

    @Option(name: .customLong("api-key"), help: "API key (default: SYNCLET_API_KEY, then the saved login).")
    var apiKey: String?

    @Flag(help: "Print JSON for scripts instead of text.")
    var json = false

    func client() throws -> SyncletClient {
        let saved = CLIConfig.load()
        let environment = ProcessInfo.processInfo.environment
        guard let server = server ?? environment["SYNCLET_SERVER"] ?? saved?.server else {
            throw ValidationError("No server configured. Run `synclet login --server URL --api-key KEY`, or set SYNCLET_SERVER.")
        }
        guard let key = apiKey ?? environment["SYNCLET_API_KEY"] ?? saved?.apiKey else {
            throw ValidationError("No API key configured. Run `synclet login --server URL --api-key KEY`, or set SYNCLET_API_KEY.")
        }
        return SyncletClient(server: server, apiKey: key)
    }

    /// The server from --server, SYNCLET_SERVER or the saved login; `nil` when none is set.
    var configuredServer: String? {
        server ?? ProcessInfo.processInfo.environment["SYNCLET_SERVER"] ?? CLIConfig.load()?.server
    }

    /// A client that sends no API key, for the public routes (verify, published keys).
    func publicClient() throws -> SyncletClient {
        guard let server = configuredServer else {
            throw ValidationError("No server configured. Pass --server URL, set SYNCLET_SERVER, or run `synclet login`.")
        }
        return SyncletClient(server: server, apiKey: nil)
    }

    /// The journal of unfinished uploads, beside the config file.
    var journal: UploadJournal { UploadJournal(path: CLIConfig.directory + "/uploads.json") }
}

/// The saved login: `~/.config/synclet/config.json`, mode 0600.
struct CLIConfig: Codable {
    var server: String
    var apiKey: String

    enum CodingKeys: String, CodingKey {
        case server
        case apiKey = "api_key"
    }

    static var directory: String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["SYNCLET_CONFIG_DIR"] { return explicit }
        let base = environment["XDG_CONFIG_HOME"] ?? (NSHomeDirectory() + "/.config")
        return base + "/synclet"
    }

    static var path: String { directory + "/config.json" }

    static func load() -> CLIConfig? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(CLIConfig.self, from: data)
    }

    func save() throws {
        try FileManager.default.createDirectory(atPath: Self.directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let temp = Self.path + ".tmp"
        guard FileManager.default.createFile(atPath: temp, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("Cannot write \(Self.path); check that \(Self.directory) is writable.")
        }
        _ = rename(temp, Self.path)
    }
}

/// Prints values as JSON (for `--json`) with stable key order.
enum Output {
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    }

    /// A line for the person at the terminal (standard error, so `--json` output stays clean).
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("note: \(message)\n".utf8))
    }
}

/// Runs a command body and turns client errors into a clear message and exit code 1.
func reportingErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ClientError {
        Output.error(error.description)
        throw ExitCode.failure
    }
}

/// Fetches one page, or with `all` every page from `cursor` on; returns the items and the
/// cursor of the page after the last one read.
func collectPages<Item: Sendable>(from cursor: String?, all: Bool,
                                  _ fetch: (String?) async throws -> Wire.Page<Item>) async throws -> ([Item], String?) {
    var cursor = cursor
    var items = [Item]()
    var next: String?
    repeat {
        let page = try await fetch(cursor)
        items += page.items
        next = page.nextCursor
        cursor = next
    } while all && next != nil
    return (items, next)
}
