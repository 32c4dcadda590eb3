import ArgumentParser
import Foundation
import SyncletClient
import SyncletCore

/// `synclet upload`: resumable upload of one or more audio files, each becoming an asset.
struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload audio files and create assets from them.",
        discussion: """
            Each file is sent with the tus resumable protocol. If an upload stops (network,
            Ctrl-C), run the same command again: it continues from where the server stopped.

            Examples:
              synclet upload night-drive.wav --kind track --title "Night Drive" --bpm 92 --key Am --tag synthwave
              synclet upload drums.flac bass.flac --kind stem --track ast_… 
              synclet upload hook.wav --kind loop --split pty_ada=6000 --split pty_bob=4000
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "Audio files: WAV, AIFF, FLAC, MP3 or Ogg (Vorbis/Opus).")
    var files: [String]

    @Option(help: "track, stem or loop.")
    var kind: AssetKind = .track

    @Option(help: "Title (one file only; otherwise each file's name is its title).")
    var title: String?

    @Option(help: "The track a stem belongs to (ast_…).")
    var track: String?

    @Option(help: "Tempo in beats per minute.")
    var bpm: Double?

    @Option(help: "Musical key: \"A minor\", Am, F#m, \"Bb major\" or a Camelot code like 8A.")
    var key: String?

    @Option(name: .customLong("tag"), help: "A tag (repeatable).")
    var tags: [String] = []

    @Option(name: .customLong("mood"), help: "A mood (repeatable).")
    var moods: [String] = []

    @Option(name: .customLong("genre"), help: "A genre (repeatable).")
    var genres: [String] = []

    @Option(name: .customLong("instrument"), help: "An instrument (repeatable).")
    var instruments: [String] = []

    @Option(help: "Whether the audio has vocals: true or false.")
    var vocals: Bool?

    @Option(help: "ISRC, e.g. US-S1Z-99-00001.")
    var isrc: String?

    @Option(name: .customLong("duration"), help: "Expected duration in seconds; the upload is refused if the file disagrees.")
    var durationSeconds: Double?

    @Option(name: .customLong("split"), help: "PARTY=BASIS_POINTS (repeatable; must sum to 10000). Default: all to you.")
    var splits: [String] = []

    func validate() throws {
        if files.count > 1 && title != nil {
            throw ValidationError("--title names one asset; with several files each takes its file name as title.")
        }
        if kind == .stem && track == nil { throw ValidationError("Stems belong to a track: add --track ast_….") }
        if kind != .stem && track != nil { throw ValidationError("--track is for stems: add --kind stem or drop --track.") }
        for file in files where !FileManager.default.isReadableFile(atPath: file) {
            throw ValidationError("Cannot read \(file). Check the path.")
        }
        let shares = try parsedSplits()
        if !shares.isEmpty {
            let total = shares.reduce(0) { $0 + $1.basisPoints }
            if total != Splits.wholeBasisPoints {
                throw ValidationError("--split shares sum to \(total); they must sum to 10000 (100%).")
            }
        }
    }

    func parsedSplits() throws -> [SplitShare] {
        try splits.map { text in
            let parts = text.split(separator: "=")
            guard parts.count == 2, let party = PartyID(parts[0]), let points = Int(parts[1]) else {
                throw ValidationError("--split \(text) should look like pty_…=5000.")
            }
            return SplitShare(partyID: party, basisPoints: points)
        }
    }

    func run() async throws {
        let client = try connection.client()
        let journal = connection.journal
        let shares = try parsedSplits()
        let trackID = try track.map { text in
            guard let id = AssetID(text) else { throw ValidationError("--track \(text) is not an asset id (ast_…).") }
            return id
        }
        try await reportingErrors {
            var created = [Wire.Asset]()
            for file in files {
                let name = (file as NSString).lastPathComponent
                let fileKey = try client.journalKey(forFile: file).key
                func request(_ uploadID: UploadID) -> Wire.CreateAsset {
                    Wire.CreateAsset(
                        uploadID: uploadID, kind: kind, title: title ?? (name as NSString).deletingPathExtension, trackID: trackID,
                        bpm: bpm, key: key, tags: tags.isEmpty ? nil : tags, moods: moods.isEmpty ? nil : moods,
                        genres: genres.isEmpty ? nil : genres, instruments: instruments.isEmpty ? nil : instruments,
                        vocals: vocals, isrc: isrc, durationSeconds: durationSeconds, splits: shares.isEmpty ? nil : shares)
                }
                func createAsset(from uploadID: UploadID) async throws -> Wire.Asset {
                    do {
                        let asset = try await client.createAsset(request(uploadID))
                        journal.recordAsset(asset.id, for: fileKey)
                        return asset
                    } catch let error as ClientError where error.problemType == "unreadable-audio" || error.problemType == "audio-mismatch" {
                        journal.forget(uploadID)  // the server kept nothing of it
                        throw error
                    }
                }
                // An earlier run got as far as an upload, maybe an asset: asking the server to
                // make the asset from that upload again is safe. It answers with the asset the
                // upload already made, or says the upload is unfinished (resumed below) or gone.
                if let earlier = journal.upload(for: fileKey) {
                    let known = journal.asset(for: fileKey)
                    do {
                        let asset = try await createAsset(from: earlier)
                        let again = known == asset.id
                        created.append(asset)
                        if !connection.json {
                            if again { print("\(name) was uploaded by an earlier run of this command: \(asset.id)") }
                            AssetsText.printSummary(asset)
                        }
                        continue
                    } catch let error as ClientError where error.status == 404 || error.problemType == "upload-incomplete" {
                        // Resume (or start again) below.
                    } catch let error as ClientError where error.problem?.field == "upload_id" {
                        // That upload made something else (another command): this one uploads anew.
                        journal.forget(earlier)
                    }
                }
                let bar = ProgressBar(label: name)
                let uploadID = try await client.uploadFile(path: file, journal: journal) { done, total in
                    bar.update(done: done, total: total)
                }
                let asset = try await createAsset(from: uploadID)
                created.append(asset)
                if !connection.json { AssetsText.printSummary(asset) }
            }
            if connection.json { try Output.json(created) }
        }
    }
}

extension AssetKind: ExpressibleByArgument {}
