import Foundation
import SyncletCore
import Testing

/// Foundation's encoder with the settings every answer is written with.
func sortedFoundationJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// A value through its hand-written writer.
func writtenJSON<T: JSONWritable>(_ value: T) throws -> String {
    var output = JSONOutput()
    try value.writeJSON(to: &output)
    return String(decoding: output.bytes, as: UTF8.self)
}

/// Random values of the wire types, every optional sometimes nil, strings with every
/// character that JSON escaping cares about.
struct WireSamples {
    var random: SplitMix64

    mutating func bool() -> Bool { Bool.random(using: &random) }
    mutating func maybe<T>(_ make: (inout WireSamples) -> T) -> T? { bool() ? make(&self) : nil }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func int64() -> Int64 { Int64.random(in: Int64.min...Int64.max, using: &random) }
    mutating func double() -> Double {
        [0, -0.0, 0.5, 92, 12.345, 1e21, 1e-7, Double(int(-1_000_000...1_000_000)) / 1000][int(0...7)]
    }
    mutating func text() -> String {
        let pool = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "é", "ß", "😀", "中", "_"]
        return (0..<int(0...12)).map { _ in pool[int(0...(pool.count - 1))] }.joined()
    }
    mutating func texts() -> [String] { (0..<int(0...4)).map { _ in text() } }
    mutating func id<Kind>() -> Identifier<Kind> {
        var generator = random
        defer { random = generator }
        return Identifier<Kind>.make(millisecondsSince1970: Int64(int(0...4_000_000_000_000)), random: &generator)
    }
    mutating func timestamp() -> Timestamp { Timestamp(millisecondsSince1970: Int64(int(0...4_000_000_000_000))) }

    mutating func asset() -> Wire.Asset {
        var asset = plainAsset()
        asset.stems = maybe { samples in
            (0..<samples.int(0...3)).map { _ in
                Wire.StemSummary(id: samples.id(), title: samples.text(), role: samples.maybe { $0.text() },
                                 status: AssetStatus.allCases[samples.int(0...2)], durationSeconds: samples.double())
            }
        }
        asset.attachments = maybe { $0.texts() }
        return asset
    }

    mutating func plainAsset() -> Wire.Asset {
        Wire.Asset(
            id: id(), ownerID: id(), composerName: maybe { $0.text() }, kind: AssetKind.allCases[int(0...2)],
            status: AssetStatus.allCases[int(0...2)], trackID: maybe { $0.id() }, title: text(), role: maybe { $0.text() },
            bpm: maybe { $0.double() }, key: maybe { Wire.MusicalKeyInfo(name: $0.text(), camelot: $0.text()) },
            tags: texts(), moods: texts(), genres: texts(), instruments: texts(), vocals: maybe { $0.bool() },
            isrc: maybe { $0.text() }, durationSeconds: double(),
            audio: maybe { Wire.AudioInfo(container: $0.text(), encoding: $0.text(), sampleRate: $0.int(0...192_000),
                                          bitDepth: $0.maybe { $0.int(8...32) }, channels: $0.int(1...8), frames: Int64($0.int(0...1 << 40))) },
            file: maybe { Wire.FileInfo(sha256: $0.text(), byteCount: $0.int64(), filename: $0.maybe { $0.text() }) },
            splits: maybe { samples in (0..<samples.int(1...3)).map { _ in SplitShare(partyID: samples.id(), basisPoints: samples.int(-5...10_000)) } },
            splitsInherited: maybe { $0.bool() },
            preview: Wire.PreviewInfo(status: text(), detail: maybe { $0.text() }, startSeconds: double(), durationSeconds: double(),
                                      watermark: bool(), format: maybe { $0.text() }),
            createdAt: timestamp(), publishedAt: maybe { $0.timestamp() })
    }

    mutating func envelope() -> Envelope {
        Envelope(platforms: maybe { $0.texts() }, media: (0..<int(0...3)).map { _ in MediaKind.allCases[int(0...(MediaKind.allCases.count - 1))] },
                 maxClipSeconds: maybe { $0.int(0...1000) }, maxViews: maybe { $0.int64() }, maxUses: maybe { $0.int(0...9) },
                 termDays: maybe { $0.int(0...3650) }, territories: maybe { $0.texts() }, monetized: bool(), paidAds: bool(),
                 attributionRequired: bool(), stemsIncluded: bool())
    }

    mutating func use() -> IntendedUse {
        IntendedUse(platform: text(), media: MediaKind.allCases[int(0...(MediaKind.allCases.count - 1))], clipSeconds: int(0...600),
                    expectedViews: int64(), termDays: int(0...3650), territory: text(), monetized: bool(), paidAds: bool())
    }
}

/// The stored properties of a value, counted (the writers are checked to know them all).
func storedPropertyCount<T>(_ value: T) -> Int { Mirror(reflecting: value).children.count }

@Suite("Hand-written JSON writers")
struct JSONWritableTests {
    @Test("assets and pages of assets are written exactly as their Encodable form")
    func assets() throws {
        var samples = WireSamples(random: SplitMix64(seed: 41))
        for _ in 0..<3_000 {
            let asset = samples.asset()
            #expect(try writtenJSON(asset) == sortedFoundationJSON(asset), "\(asset)")
            #expect(try JSONWriter.string(asset) == sortedFoundationJSON(asset))
        }
        let page = Wire.Page(items: (0..<5).map { _ in samples.asset() }, nextCursor: "abc/def")
        #expect(try writtenJSON(page) == sortedFoundationJSON(page))
        let empty = Wire.Page<Wire.Asset>(items: [], nextCursor: nil)
        #expect(try writtenJSON(empty) == sortedFoundationJSON(empty))
    }

    @Test("envelopes and intended uses are written exactly as their Encodable form")
    func envelopes() throws {
        var samples = WireSamples(random: SplitMix64(seed: 43))
        for _ in 0..<3_000 {
            let envelope = samples.envelope()
            #expect(try writtenJSON(envelope) == sortedFoundationJSON(envelope))
            let use = samples.use()
            #expect(try writtenJSON(use) == sortedFoundationJSON(use))
        }
    }

    @Test("a writer knows every stored property of its type (add a field, add it to the writer)")
    func fieldCounts() {
        var samples = WireSamples(random: SplitMix64(seed: 1))
        let asset = samples.asset()
        #expect(storedPropertyCount(asset) == 26)
        #expect(storedPropertyCount(asset.preview) == 6)
        #expect(storedPropertyCount(Wire.StemSummary(id: samples.id(), title: "", role: nil, status: .draft, durationSeconds: 0)) == 5)
        #expect(storedPropertyCount(Wire.AudioInfo(container: "", encoding: "", sampleRate: 1, bitDepth: nil, channels: 1, frames: 1)) == 7)
        #expect(storedPropertyCount(Wire.FileInfo(sha256: "", byteCount: 0, filename: nil)) == 3)
        #expect(storedPropertyCount(Wire.MusicalKeyInfo(name: "", camelot: "")) == 2)
        #expect(storedPropertyCount(SplitShare(partyID: samples.id(), basisPoints: 1)) == 2)
        #expect(storedPropertyCount(samples.envelope()) == 11)
        #expect(storedPropertyCount(samples.use()) == 8)
        #expect(storedPropertyCount(Wire.Page<Wire.Asset>(items: [], nextCursor: nil)) == 2)
    }
}
