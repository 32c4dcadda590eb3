import ArgumentParser
import Catalog
import Foundation
import SyncletCore
import SyncletCrypto
import SyncletServer

/// `synclet dev …`: tools for benchmarks and debugging, not for daily use.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Developer tools: the SQL behind a search, and signed cursors for a storage folder.",
        subcommands: [SearchSQL.self, MintCursor.self, BenchKeys.self, BenchJSON.self])

    struct SearchSQL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search-sql",
            abstract: "Print the SQL statements the server runs for a search (arguments inlined), one per line.",
            discussion: "Example: synclet dev search-sql q=dark bpm_min=90 bpm_max=110 limit=20")
        @Argument(help: "Query parameters as NAME=VALUE (q, kind, bpm_min, …, limit, position).") var parameters: [String] = []

        func run() throws {
            var values = [String: String]()
            for item in parameters {
                guard let equals = item.firstIndex(of: "=") else { throw ValidationError("\(item) should be NAME=VALUE.") }
                values[String(item[..<equals])] = String(item[item.index(after: equals)...])
            }
            let query: SearchQuery
            do { query = try SearchQuery(parameters: { values[$0] }) } catch { throw ValidationError(error.detail) }
            let position = try values["position"].map { text -> SearchPosition in
                guard let position = SearchPosition(encoded: text, sort: query.sort) else {
                    throw ValidationError("position must look like newest|ast_…| for sort \(query.sort.rawValue).")
                }
                return position
            }
            let caller = SearchCaller(party: PartyID("pty_00000000000000000000000000")!, isAdmin: false)
            // One statement per line: relevance runs one per tier until the page is full.
            for statement in CatalogStore.searchSQLLiteral(query, caller: caller, after: position,
                                                           limit: Int(values["limit"] ?? "50") ?? 50) {
                print(statement + ";")
            }
        }
    }

    struct MintCursor: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mint-cursor",
            abstract: "Sign a search position (sort|id|value) with a storage folder's cursor key.")
        @Option(help: "The server's data folder.") var storage: String = "Storage"
        @Argument(help: "Position, e.g. newest|ast_…|") var position: String

        func run() throws { print(try mintSearchCursor(storage: storage, encodedPosition: position)) }
    }
}

extension Dev {
    /// `synclet dev bench-keys`: license-key signing and verification speed in this process,
    /// single-threaded, the same shape as `openssl speed ed25519`.
    struct BenchKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-keys",
            abstract: "Time PASETO v4.public signing and verification of a license-sized key in-process.")
        @Option(help: "Seconds per measurement.") var seconds: Double = 3

        func run() throws {
            let key = Ed25519PrivateKey.generate()
            let claims = Array(String(repeating: "x", count: 600).utf8)  // about the size of real license claims
            let footer = Array(#"{"kid":"k4.pid.example"}"#.utf8)
            let token = PASETO.sign(message: claims, footer: footer, key: key)
            func rate(_ body: () throws -> Void) rethrows -> Double {
                let start = ContinuousClock.now
                var count = 0
                while ContinuousClock.now - start < .milliseconds(Int64(seconds * 1000)) {
                    for _ in 0..<100 { try body() }
                    count += 100
                }
                let elapsed = ContinuousClock.now - start
                return Double(count) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            }
            let signs = rate { _ = PASETO.sign(message: claims, footer: footer, key: key) }
            let verifies = try rate { _ = try PASETO.verify(token, key: key.publicKey) }
            print(String(format: "sign %.0f/s verify %.0f/s", signs, verifies))
        }
    }
}

extension Dev {
    /// `synclet dev bench-json`: what encoding a page of assets costs, with our writer and
    /// with Foundation's encoder, in this process.
    struct BenchJSON: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench-json",
            abstract: "Time encoding a 20-asset page with JSONWriter and with Foundation's JSONEncoder (µs per asset).")
        @Option(help: "Pages per measurement.") var pages: Int = 2_000
        @Flag(help: "Time JSONWriter only (for profiling).") var oursOnly = false

        func run() throws {
            let asset = Wire.Asset(
                id: AssetID("ast_01m98qzrfmqh6x7t2d5rbpg96t")!, ownerID: PartyID("pty_01m98qzrfmqh6x7t2d5rbpg96t")!,
                composerName: "Ada Lovelace", kind: .loop, status: .published, trackID: nil, title: "Night drive 7",
                role: nil, bpm: 92, key: Wire.MusicalKeyInfo(name: "A minor", camelot: "8A"), tags: ["night", "drive", "synth"],
                moods: ["dark"], genres: ["synthwave"], instruments: ["synth", "drums"], vocals: false, isrc: nil,
                durationSeconds: 12.5, audio: Wire.AudioInfo(container: "wav", encoding: "pcm16", sampleRate: 48_000, bitDepth: 16,
                                                          channels: 2, frames: 600_000),
                file: nil, splits: nil, splitsInherited: nil,
                preview: Wire.PreviewInfo(status: "ready", detail: nil, startSeconds: 0, durationSeconds: 30, watermark: false, format: "mp3"),
                createdAt: Timestamp(millisecondsSince1970: 1_795_000_000_000), publishedAt: Timestamp(millisecondsSince1970: 1_795_000_100_000))
            let page = Wire.Page(items: Array(repeating: asset, count: 20), nextCursor: "abc")
            let foundation = JSONEncoder()
            foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            guard try JSONWriter.encode(page) == Array(foundation.encode(page)) else { throw ValidationError("the two encoders disagree") }
            func microsPerAsset(_ body: () throws -> Void) rethrows -> Double {
                let start = ContinuousClock.now
                for _ in 0..<pages { try body() }
                let elapsed = start.duration(to: .now)
                return (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12) / Double(pages * 20)
            }
            let ours = try microsPerAsset { _ = try JSONWriter.encode(page) }
            let theirs = oursOnly ? .nan : try microsPerAsset { _ = try foundation.encode(page) }
            print(String(format: "JSONWriter %.2f µs/asset  Foundation %.2f µs/asset  ratio %.1fx", ours, theirs, theirs / ours))
        }
    }
}
