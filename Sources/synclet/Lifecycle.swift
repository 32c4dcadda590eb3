import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore

extension Assets {
    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish an asset: it appears in search and its preview becomes public.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Asset id (ast_…).") var id: String

        func run() async throws {
            try await changeStatus(id, connection, verb: "Published") { try await $0.publish($1) }
        }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw an asset: it vanishes from search (publish again to bring it back).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Asset id (ast_…).") var id: String

        func run() async throws {
            try await changeStatus(id, connection, verb: "Withdrew") { try await $0.withdraw($1) }
        }
    }

    /// Runs one lifecycle move and reports it.
    static func changeStatus(_ text: String, _ connection: ConnectionOptions, verb: String,
                             _ move: (SyncletClient, AssetID) async throws -> Wire.Asset) async throws {
        let assetID = try parseAssetID(text)
        let client = try connection.client()
        try await reportingErrors {
            let asset = try await move(client, assetID)
            if connection.json { try Output.json(asset) } else { print("\(verb) \(asset.id) \"\(asset.title)\".") }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit an asset's metadata or preview window.",
            discussion: "Lists (--tag, --mood, --genre, --instrument) replace the whole list; --add-tag and --remove-tag change some tags and keep the rest. Use --clear-key, --clear-bpm to remove a value.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Asset id (ast_…).") var id: String
        @Option var title: String?
        @Option var bpm: Double?
        @Flag(name: .customLong("clear-bpm")) var clearBPM = false
        @Option var key: String?
        @Flag(name: .customLong("clear-key")) var clearKey = false
        @Option(name: .customLong("tag"), help: "Replace every tag (repeatable).") var tags: [String] = []
        @Option(name: .customLong("add-tag"), help: "Add a tag, keeping the others (repeatable).") var addTags: [String] = []
        @Option(name: .customLong("remove-tag"), help: "Remove a tag, keeping the others (repeatable).") var removeTags: [String] = []
        @Option(name: .customLong("mood")) var moods: [String] = []
        @Option(name: .customLong("genre")) var genres: [String] = []
        @Option(name: .customLong("instrument")) var instruments: [String] = []
        @Option var vocals: Bool?
        @Option var isrc: String?
        @Option(name: .customLong("preview-start"), help: "Preview window start, seconds.") var previewStart: Double?
        @Option(name: .customLong("preview-duration"), help: "Preview length, seconds (1-120).") var previewDuration: Double?
        @Option(name: .customLong("preview-watermark"), help: "true or false.") var previewWatermark: Bool?

        func validate() throws {
            if !tags.isEmpty && !(addTags.isEmpty && removeTags.isEmpty) {
                throw ValidationError("--tag replaces every tag; --add-tag and --remove-tag change some. Use one or the other.")
            }
        }

        func run() async throws {
            let assetID = try parseAssetID(id)
            var changes = Wire.UpdateAsset()
            changes.title = title
            changes.bpm = clearBPM ? .clear : bpm.map { .set($0) } ?? .unchanged
            changes.key = clearKey ? .clear : key.map { .set($0) } ?? .unchanged
            changes.tags = tags.isEmpty ? nil : tags
            changes.addTags = addTags.isEmpty ? nil : addTags
            changes.removeTags = removeTags.isEmpty ? nil : removeTags
            changes.moods = moods.isEmpty ? nil : moods
            changes.genres = genres.isEmpty ? nil : genres
            changes.instruments = instruments.isEmpty ? nil : instruments
            changes.vocals = vocals.map { .set($0) } ?? .unchanged
            changes.isrc = isrc.map { .set($0) } ?? .unchanged
            changes.previewStartSeconds = previewStart
            changes.previewDurationSeconds = previewDuration
            changes.previewWatermark = previewWatermark
            let client = try connection.client()
            try await reportingErrors {
                let asset = try await client.updateAsset(assetID, changes)
                if connection.json { try Output.json(asset) } else { AssetsText.printDetail(asset) }
            }
        }
    }

    struct Splits: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an asset's split versions, or record a new one with --split.",
            discussion: "A new version applies from now on; earlier earnings keep the splits they were made under.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Asset id (ast_…).") var id: String
        @Option(name: .customLong("split"), help: "PARTY=BASIS_POINTS (repeatable; must sum to 10000).") var splits: [String] = []

        func run() async throws {
            let assetID = try parseAssetID(id)
            let shares = try splits.map { text -> SplitShare in
                let parts = text.split(separator: "=")
                guard parts.count == 2, let party = PartyID(parts[0]), let points = Int(parts[1]) else {
                    throw ValidationError("--split \(text) should look like pty_…=5000.")
                }
                return SplitShare(partyID: party, basisPoints: points)
            }
            let client = try connection.client()
            try await reportingErrors {
                if !shares.isEmpty {
                    let version = try await client.replaceSplits(assetID, shares)
                    if connection.json { try Output.json(version); return }
                    print("Recorded splits version \(version.version), effective \(version.effectiveAt).")
                    return
                }
                let versions = try await client.splitVersions(assetID)
                if connection.json { try Output.json(versions); return }
                if versions.isEmpty { print("No splits of its own: it follows its track's.") }
                for version in versions {
                    print("version \(version.version) from \(version.effectiveAt)")
                    for share in version.splits {
                        print("  \(share.partyID)  \(String(format: "%.2f", Double(share.basisPoints) / 100))%")
                    }
                }
            }
        }
    }

    struct Bundle: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a track with its stems and text files as one zip.")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Track id (ast_…).") var id: String
        @Option(name: .shortAndLong, help: "Where to write the zip (default: ID.zip).") var output: String?

        func run() async throws {
            let assetID = try parseAssetID(id)
            let client = try connection.client()
            let path = output ?? "\(assetID).zip"
            try await reportingErrors {
                let counter = ByteCounter()
                let bar = ProgressBar(label: (path as NSString).lastPathComponent)
                let result = try await client.download("/v1/assets/\(assetID)/bundle", to: path) { count in
                    let done = counter.add(count)
                    bar.update(done: done, total: max(done, 1) + 1)
                }
                bar.update(done: result.byteCount, total: result.byteCount)
                if connection.json { try Output.json(["path": path, "byte_count": String(result.byteCount)]) } else {
                    print("Saved \(path) (\(ProgressBar.bytes(result.byteCount))).")
                }
            }
        }
    }

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download an asset's preview (and, with --waveform, its peaks as JSON).")
        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "Asset id (ast_…).") var id: String
        @Option(name: .shortAndLong, help: "Where to write it.") var output: String?
        @Flag(help: "Fetch the waveform peaks instead of the audio.") var waveform = false

        func run() async throws {
            let assetID = try parseAssetID(id)
            let client = try connection.client()
            try await reportingErrors {
                let route = "/v1/assets/\(assetID)/" + (waveform ? "waveform" : "preview")
                let path = output ?? "\(assetID)-" + (waveform ? "waveform.json" : "preview")
                let result = try await client.download(route, to: path)
                if connection.json { try Output.json(["path": path, "byte_count": String(result.byteCount)]) } else {
                    print("Saved \(path) (\(ProgressBar.bytes(result.byteCount))).")
                }
            }
        }
    }
}

func parseAssetID(_ text: String) throws -> AssetID {
    guard let id = AssetID(text) else { throw ValidationError("\(text) is not an asset id (ast_…).") }
    return id
}
