import ArgumentParser
import Foundation
import Licensing
import SyncletClient
import SyncletCore

/// `synclet licenses list|show|download|buy`: a licensee's licenses.
struct Licenses: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your licenses: buy, list, show, download (licensee key).",
        discussion: """
            Find a template with `synclet quote`, buy it, then put the code (SYN-…) in your
            video's description: anyone can check it with `synclet verify CODE`.
            """,
        subcommands: [List.self, Show.self, Download.self, Buy.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List your licenses, newest first.")
        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Items per page (1-500).") var limit: Int = 50
        @Option(help: "Continue from a next_cursor.") var cursor: String?
        @Flag(help: "Follow every page to the end.") var all = false

        func validate() throws {
            guard (1...500).contains(limit) else { throw ValidationError("--limit must be from 1 to 500.") }
        }

        func run() async throws {
            let client = try connection.client()
            try await reportingErrors {
                let (items, next) = try await collectPages(from: cursor, all: all) { cursor in
                    try await client.licenses(cursor: cursor, limit: limit)
                }
                if connection.json {
                    try Output.json(Wire.Page(items: items, nextCursor: next))
                    return
                }
                if items.isEmpty { print("No licenses yet. Price a use with `synclet quote ASSET …`, then `synclet licenses buy`.") }
                for license in items { LicenseText.printLine(license) }
                if let next { print("More: synclet licenses list --cursor \(next)") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one license: code, status, template, expiry, channels and its key.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "License id (lic_…).") var id: String

        func validate() throws { _ = try parseLicenseID(id) }

        func run() async throws {
            let licenseID = try parseLicenseID(id)
            let client = try connection.client()
            try await reportingErrors {
                let license = try await client.license(licenseID)
                if connection.json { try Output.json(license) } else { LicenseText.printDetail(license) }
            }
        }
    }

    struct Download: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a license's files as one zip: the audio, stems if the template includes them, LICENSE.md and license.json.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "License id (lic_…).") var id: String
        @Option(name: .shortAndLong, help: "Where to write the zip (default: ID.zip).") var output: String?

        func validate() throws { _ = try parseLicenseID(id) }

        func run() async throws {
            let licenseID = try parseLicenseID(id)
            let client = try connection.client()
            let path = output ?? "\(licenseID).zip"
            try await reportingErrors {
                let counter = ByteCounter()
                let bar = ProgressBar(label: (path as NSString).lastPathComponent)
                // The zip is built as it streams, so its size is unknown until the end.
                let result = try await client.downloadLicense(licenseID, to: path) { count in
                    let done = counter.add(count)
                    bar.update(done: done, total: done + 1)
                }
                bar.update(done: result.byteCount, total: result.byteCount)
                if connection.json {
                    try Output.json(["path": path, "byte_count": String(result.byteCount)])
                } else {
                    print("Saved \(path) (\(ProgressBar.bytes(result.byteCount))).")
                }
            }
        }
    }

    struct Buy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Buy a license for one use of an asset; the template's flat price comes from your wallet.",
            discussion: """
                Money moves, so every purchase carries an idempotency key: yours with
                --idempotency-key, or a new UUID that is printed. If the command fails or you are
                unsure it went through, run it again with that key: the server answers with the
                first result and never charges twice.

                Example:
                  synclet licenses buy ast_… --template social-clip --platform youtube --media short_form \\
                    --clip-seconds 30 --views 50000 --term-days 365 --territory US --channel youtube:UC123
                """)

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "A published asset (ast_…).") var asset: String
        @Option(help: "License template id (`synclet quote` lists them).") var template: String
        @OptionGroup var use: UseOptions
        @Option(name: .customLong("channel"), help: "PLATFORM:CHANNEL_ID the license clears, e.g. youtube:UC123 (repeatable).")
        var channels: [String] = []
        @Option(help: "Buy from a limited drop (drp_…).") var drop: String?
        @Option(help: "The key of an earlier attempt, to retry it safely (default: a new UUID).") var idempotencyKey: String?

        /// As many as the server accepts on one license.
        static let channelCountMax = 50

        func validate() throws {
            _ = try parseAssetID(asset)
            guard !template.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--template needs a template id; `synclet quote ASSET …` lists them.")
            }
            guard channels.count <= Self.channelCountMax else {
                throw ValidationError("A license clears at most \(Self.channelCountMax) channels; you gave \(channels.count).")
            }
            _ = try parsedChannels()
            if let drop, DropID(drop) == nil {
                throw ValidationError("--drop \(drop) is not a drop id (drp_…).")
            }
            try IdempotencyKeyText.validate(idempotencyKey)
        }

        func parsedChannels() throws -> [ClearedChannel] {
            try channels.map { text in
                guard let colon = text.firstIndex(of: ":") else {
                    throw ValidationError("--channel \(text) should be PLATFORM:CHANNEL_ID, e.g. youtube:UC123.")
                }
                let platform = text[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let channel = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                guard !platform.isEmpty, !channel.isEmpty else {
                    throw ValidationError("--channel \(text) should be PLATFORM:CHANNEL_ID, e.g. youtube:UC123.")
                }
                return ClearedChannel(platform: platform, channelID: channel)
            }
        }

        func run() async throws {
            let assetID = try parseAssetID(asset)
            let channelList = try parsedChannels()
            let key = idempotencyKey ?? IdempotencyKeyText.make()
            let request = Wire.IssueLicense(assetID: assetID, template: template.trimmingCharacters(in: .whitespaces),
                                            use: use.intendedUse, channels: channelList.isEmpty ? nil : channelList, dropID: drop)
            let client = try connection.client()
            try await reportingErrors(retryKey: key) {
                let license = try await client.issueLicense(request, idempotencyKey: key)
                if connection.json {
                    try Output.json(Purchase(license: license, idempotencyKey: key))
                    return
                }
                print("Bought \(license.id) for \(Money(micros: license.priceMicros).decimal). Put the code \(license.code) in your video's description.")
                LicenseText.printDetail(license)
                print("Idempotency key: \(key) (a retry with it returns this license and charges nothing).")
                print("Files: synclet licenses download \(license.id)")
            }
        }

        struct Purchase: Encodable {
            var license: Wire.License
            var idempotencyKey: String
            enum CodingKeys: String, CodingKey {
                case license
                case idempotencyKey = "idempotency_key"
            }
        }
    }
}
