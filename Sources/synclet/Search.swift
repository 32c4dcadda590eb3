import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore

/// `synclet search`: the catalog as musicians look for music.
struct Search: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Search the published catalog.",
        discussion: """
            Words match titles, tags, moods, genres, instruments and composer names, as prefixes.
            Examples:
              synclet search dark synth --bpm 85-100
              synclet search --compatible-with 8A --kind loop
              synclet search --kind track --has-stems --sort duration
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Words to look for.") var words: [String] = []
    @Option(help: "track, stem or loop.") var kind: AssetKind?
    @Option(help: "Tempo range, e.g. 85-100 (or a single value).") var bpm: String?
    @Option(help: "Exactly this key: Am, \"F# major\", 8A.") var key: String?
    @Option(name: .customLong("compatible-with"), help: "Keys that mix with this one (Camelot neighbours and relative key).") var compatibleWith: String?
    @Option(help: "Duration range in seconds, e.g. 10-30.") var duration: String?
    @Option(help: "true or false.") var vocals: Bool?
    @Option(help: "Only this composer: a party id (pty_…) or a name (\"Ada Lovelace\").") var composer: String?
    @Flag(name: .customLong("has-stems"), help: "Only tracks that have stems.") var hasStems = false
    @Flag(help: "Only your own assets, drafts included.") var mine = false
    @Option(help: "relevance, newest or duration.") var sort: String?
    @Option(help: "Items per page (1-500).") var limit: Int = 20
    @Option(help: "Continue from a next_cursor.") var cursor: String?

    func parameters() throws -> [String: String] {
        var result = [String: String]()
        if !words.isEmpty { result["q"] = words.joined(separator: " ") }
        if let kind { result["kind"] = kind.rawValue }
        if let bpm {
            let (low, high) = try Self.range(bpm, "--bpm")
            result["bpm_min"] = low
            result["bpm_max"] = high
        }
        if let duration {
            let (low, high) = try Self.range(duration, "--duration")
            result["duration_min"] = low
            result["duration_max"] = high
        }
        if let key { result["key"] = key }
        if let compatibleWith { result["compatible_with"] = compatibleWith }
        if let vocals { result["vocals"] = String(vocals) }
        if let composer { result["composer"] = composer }
        if hasStems { result["has_stems"] = "true" }
        if mine { result["mine"] = "true" }
        if let sort { result["sort"] = sort }
        return result
    }

    static func range(_ text: String, _ flag: String) throws -> (String, String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy({ $0.isEmpty || Double($0) != nil }) else {
            throw ValidationError("\(flag) takes LOW-HIGH or a single number, e.g. 85-100.")
        }
        return (parts[0], parts.count == 2 ? parts[1] : parts[0])
    }

    func run() async throws {
        let client = try connection.client()
        let parameters = try parameters()
        try await reportingErrors {
            let page = try await client.search(parameters.filter { !$0.value.isEmpty }, cursor: cursor, limit: limit)
            if connection.json { try Output.json(page); return }
            if page.items.isEmpty { print("Nothing found. Try fewer words or wider ranges.") }
            for asset in page.items { AssetsText.printLine(asset) }
            if let next = page.nextCursor { print("More: add --cursor \(next)") }
        }
    }
}

/// `synclet upload-pack`: one archive of stems becomes a track and its stems.
struct UploadPack: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upload-pack",
        abstract: "Upload a stem pack (zip, tar, tar.gz) as a track with its stems.",
        discussion: """
            Every audio file in the pack becomes a stem. An optional pack.json gives titles,
            roles (drums, bass, vocals, …), BPM, key and tags per file, and names the full mix,
            which becomes the track's own audio. With --track the stems join an existing track.
            A refused pack keeps nothing; the error names the entry and the rule it broke.
            Example: synclet upload-pack night-drive-stems.zip --title "Night Drive" --bpm 92 --key Am
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The pack: .zip, .tar, .tar.gz or .tgz.") var pack: String
    @Option(help: "The new track's title (default: pack.json's, else the file name).") var title: String?
    @Option(help: "Add the stems to this existing track (ast_…) instead of a new one.") var track: String?
    @Option(help: "Tempo for every file pack.json does not describe.") var bpm: Double?
    @Option(help: "Key for every file pack.json does not describe.") var key: String?
    @Option(name: .customLong("tag"), help: "A tag (repeatable).") var tags: [String] = []

    func validate() throws {
        guard FileManager.default.isReadableFile(atPath: pack) else { throw ValidationError("Cannot read \(pack). Check the path.") }
        if let track, AssetID(track) == nil { throw ValidationError("--track \(track) is not an asset id (ast_…).") }
    }

    func run() async throws {
        let client = try connection.client()
        let journal = connection.journal
        try await reportingErrors {
            let fileKey = try client.journalKey(forFile: pack).key
            func request(_ uploadID: UploadID) -> Wire.CreatePack {
                Wire.CreatePack(uploadID: uploadID, title: title, trackID: track.flatMap { AssetID($0) },
                                bpm: bpm, key: key, tags: tags.isEmpty ? nil : tags)
            }
            // An earlier run got as far as an upload, maybe the pack: asking again is safe
            // (the server answers with what that upload made, or says it is unfinished or gone).
            var earlier: Wire.PackResult? = nil
            if let known = journal.upload(for: fileKey) {
                do {
                    earlier = try await client.createPack(request(known))
                } catch let error as ClientError where error.status == 404 || error.problemType == "upload-incomplete" {
                    // Resume (or start again) below.
                } catch let error as ClientError where error.problem?.field == "upload_id" {
                    // That upload made something else (another command): this one uploads anew.
                    journal.forget(known)
                }
            }
            var uploadID: UploadID? = nil
            if earlier == nil {
                let bar = ProgressBar(label: (pack as NSString).lastPathComponent)
                uploadID = try await client.uploadFile(path: pack, journal: journal) { done, total in
                    bar.update(done: done, total: total)
                }
            }
            do {
                let result: Wire.PackResult
                if let earlier { result = earlier } else if let uploadID { result = try await client.createPack(request(uploadID)) } else { return }
                journal.recordAsset(result.track.id, for: fileKey)
                if connection.json { try Output.json(result); return }
                print("Track \(result.track.id) \"\(result.track.title)\"\(result.track.audio == nil ? " (no full mix)" : "") with \(result.stems.count) stems:")
                for stem in result.stems { AssetsText.printLine(stem) }
                if !result.attachments.isEmpty { print("Kept with the track: \(result.attachments.joined(separator: ", "))") }
            } catch let error as ClientError where error.status == 422 {
                if let uploadID { journal.forget(uploadID) }  // the server kept nothing of it
                throw error
            }
        }
    }
}
