import Foundation
import SyncletClient
import SyncletCore
import SyncletServer
import Testing

@Suite("Stem packs come in whole or not at all, and bundles go out streaming")
struct PackTests {
    /// A pack with a full mix, two stems, a pack.json and a credits file.
    static func packEntries(folder: String = "") throws -> (entries: [TestArchive.Entry], mix: String, drums: String, bass: String) {
        let mix = try TestFiles.tone(.wav16, seconds: 3, name: "mix")
        let drums = try TestFiles.tone(.flac16, seconds: 3, name: "drums")
        let bass = try TestFiles.tone(.wav24, seconds: 2, name: "bass")
        let manifest = """
            {"title": "Night Drive", "bpm": 92, "key": "A minor", "tags": ["synthwave"], "full_mix": "mix.wav",
             "files": {"drums.flac": {"title": "Drums", "role": "drums", "tags": ["808"]},
                       "stems/bass.wav": {"title": "Bass", "role": "bass", "key": "Am"}}}
            """
        let entries = [
            TestArchive.Entry(folder + "mix.wav", file: mix),
            TestArchive.Entry(folder + "drums.flac", file: drums),
            TestArchive.Entry(folder + "stems/bass.wav", file: bass),
            TestArchive.Entry(folder + "pack.json", Array(manifest.utf8)),
            TestArchive.Entry(folder + "credits.txt", Array("Written by Ada.\n".utf8)),
        ]
        return (entries, mix, drums, bass)
    }

    static func uploadPack(_ client: SyncletClient, _ entries: [TestArchive.Entry], format: TestArchive.Format,
                           name: String = "pack") async throws -> UploadID {
        let ext = switch format { case .zip: "zip"; case .tar: "tar"; case .tarGzip: "tar.gz" }
        let path = TestFiles.makeDirectory("pack") + "/\(name).\(ext)"
        TestArchive.write(entries, format: format, to: path)
        return try await client.uploadFile(path: path, journal: nil)
    }

    @Test("making a pack from an upload again gives the same track and stems and makes nothing new; another composer gets 404")
    func packFromUploadIsIdempotent() async throws {
        let fixed = Timestamp(millisecondsSince1970: 1_780_000_000_000)
        let server = try await RunningServer.start { $0.clock = Clock { fixed } }
        defer { Task { await server.stop() } }
        let (_, ada, adaToken) = try await server.party(.composer, "Ada")
        let (_, grace, _) = try await server.party(.composer, "Grace")
        let (entries, _, _, _) = try Self.packEntries()
        let upload = try await Self.uploadPack(ada, entries, format: .zip)
        let first = try await ada.createPack(Wire.CreatePack(uploadID: upload))
        let before = try await server.snapshot()
        let again = try await RawHTTP(base: server.baseURL).send(
            .POST, "/v1/packs", token: adaToken, headers: ["Content-Type": "application/json"],
            body: Array(#"{"upload_id":"\#(upload)"}"#.utf8))
        #expect(again.status == 200)
        let repeated = try await ada.createPack(Wire.CreatePack(uploadID: upload))
        #expect(repeated.track.id == first.track.id)
        #expect(Set(repeated.stems.map(\.id)) == Set(first.stems.map(\.id)))
        #expect(repeated.attachments == first.attachments)
        #expect(try await server.snapshot() == before)
        let refused = await #expect(throws: ClientError.self) { try await grace.createPack(Wire.CreatePack(uploadID: upload)) }
        #expect(refused?.status == 404)

        // A second pack into the same track, made at the same instant (a fixed clock): its
        // repeat answers with its own stems, not the first pack's.
        let more = try await Self.uploadPack(ada, [TestArchive.Entry("pad.wav", file: try TestFiles.tone(.wav16, seconds: 2, name: "pad"))],
                                             format: .zip, name: "more")
        let second = try await ada.createPack(Wire.CreatePack(uploadID: more, trackID: first.track.id))
        #expect(second.stems.count == 1)
        let secondAgain = try await ada.createPack(Wire.CreatePack(uploadID: more, trackID: first.track.id))
        #expect(secondAgain.stems.map(\.id) == second.stems.map(\.id))
        #expect(secondAgain.attachments.isEmpty)
    }

    @Test("a pack in zip, tar or tar.gz becomes a track (its full mix) with stems named by pack.json", arguments: [
        TestArchive.Format.zip, .tar, .tarGzip,
    ])
    func packBecomesTrackAndStems(format: TestArchive.Format) async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, _) = try await server.party(.composer, "Ada")
        let (entries, mix, drums, bass) = try Self.packEntries(folder: format == .tar ? "Night Drive/" : "")
        let upload = try await Self.uploadPack(ada, entries, format: format)
        let result = try await ada.createPack(Wire.CreatePack(uploadID: upload))
        #expect(result.track.title == "Night Drive")
        #expect(result.track.bpm == 92)
        #expect(result.track.key?.camelot == "8A")
        #expect(result.track.file?.sha256 == TestFiles.sha256(mix))
        #expect(result.stems.count == 2)
        let byTitle = Dictionary(uniqueKeysWithValues: result.stems.map { ($0.title, $0) })
        #expect(byTitle["Drums"]?.role == "drums")
        #expect(byTitle["Drums"]?.tags == ["808"])
        #expect(byTitle["Drums"]?.file?.sha256 == TestFiles.sha256(drums))
        #expect(byTitle["Drums"]?.audio?.container == "flac")
        #expect(byTitle["Bass"]?.role == "bass")
        #expect(byTitle["Bass"]?.audio?.bitDepth == 24)
        #expect(byTitle["Bass"]?.file?.sha256 == TestFiles.sha256(bass))
        #expect(result.stems.allSatisfy { $0.trackID == result.track.id && $0.splitsInherited == true })
        #expect(result.attachments.count == 1)
        #expect(try await ada.uploadState(upload) == nil)
        #expect(TestFiles.listRecursively(server.services.layout.temp).isEmpty)
    }

    @Test("without a full mix the track has no file of its own; with --track the stems join an existing track")
    func packWithoutMixAndIntoExistingTrack() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, token) = try await server.party(.composer, "Ada")
        let one = try TestFiles.tone(.wav16, seconds: 2, name: "one")
        let two = try TestFiles.tone(.wav16, seconds: 4, name: "two")
        let result = try await ada.createPack(Wire.CreatePack(
            uploadID: try await Self.uploadPack(ada, [.init("one.wav", file: one), .init("two.wav", file: two)], format: .zip),
            title: "Bare"))
        #expect(result.track.audio == nil && result.track.file == nil)
        #expect(result.track.durationSeconds == 4)
        #expect(result.track.preview.status == "none")
        #expect(result.stems.count == 2)
        expectProblem(try await RawHTTP(base: server.baseURL).send(.GET, "/v1/assets/\(result.track.id)/original", token: token), 404)

        let more = try await ada.createPack(Wire.CreatePack(
            uploadID: try await Self.uploadPack(ada, [.init("three.wav", file: one)], format: .tar), trackID: result.track.id))
        #expect(more.track.id == result.track.id)
        #expect(more.stems.map(\.trackID) == [result.track.id])
    }

    @Test("a refused pack leaves no rows, no blobs, no temporary files and not even its upload", arguments: [
        ("bad-audio", "unreadable-audio"), ("traversal", "path-traversal"), ("unknown-file", "manifest-unknown-file"),
        ("exe", "unsupported-entry"),
    ])
    func refusedPackKeepsNothing(kind: String, rule: String) async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, token) = try await server.party(.composer, "Ada")
        let good = try TestFiles.tone(.wav16, seconds: 1)
        var entries = [TestArchive.Entry("good.wav", file: good), TestArchive.Entry("also-good.wav", file: good)]
        switch kind {
        case "bad-audio": entries.append(.init("noise.wav", Array(repeating: 0x42, count: 5000)))
        case "traversal": entries.append(.init("../escape.wav", file: good))
        case "unknown-file": entries.append(.init("pack.json", Array(#"{"files": {"missing.wav": {"role": "drums"}}}"#.utf8)))
        default: entries.append(.init("setup.exe", [0x4D, 0x5A, 0, 0]))
        }
        let upload = try await Self.uploadPack(ada, entries, format: .zip)
        let before = try await server.snapshot()
        let reply = try await RawHTTP(base: server.baseURL).json(.POST, "/v1/packs", token: token, #"{"upload_id":"\#(upload)"}"#)
        expectProblem(reply, 422, "hostile-pack")
        #expect(reply.json["rule"] as? String == rule)
        #expect((reply.json["entry"] as? String)?.isEmpty == false)
        let after = try await server.snapshot()
        #expect(after.rows == before.rows.enumerated().map { $0.offset == 2 ? $0.element - 1 : $0.element })  // the upload row is gone
        #expect(after.blobs == before.blobs)
        #expect(after.uploads.isEmpty)
        #expect(after.temp.isEmpty)
    }

    /// A 16-bit stereo 44.1 kHz WAV that is mostly digital silence, as a real vocal or FX stem
    /// often is (the same fixture as ArchivesTests' `mostlySilentWAV`).
    static func mostlySilentWAV(silentSecondsBefore: Int, toneSeconds: Int, silentSecondsAfter: Int = 0) -> [UInt8] {
        let sampleRate = 44_100
        let frameByteCount = 4  // two channels of 16 bits
        let dataByteCount = (silentSecondsBefore + toneSeconds + silentSecondsAfter) * sampleRate * frameByteCount
        var bytes = [UInt8]()
        bytes.reserveCapacity(44 + dataByteCount)
        func appendLittleEndian(_ value: Int, byteCount: Int) {
            for index in 0..<byteCount {
                bytes.append(UInt8(truncatingIfNeeded: value >> (8 * index)))
            }
        }
        bytes.append(contentsOf: Array("RIFF".utf8))
        appendLittleEndian(36 + dataByteCount, byteCount: 4)
        bytes.append(contentsOf: Array("WAVEfmt ".utf8))
        appendLittleEndian(16, byteCount: 4)  // fmt chunk size
        appendLittleEndian(1, byteCount: 2)  // PCM
        appendLittleEndian(2, byteCount: 2)  // channels
        appendLittleEndian(sampleRate, byteCount: 4)
        appendLittleEndian(sampleRate * frameByteCount, byteCount: 4)  // bytes per second
        appendLittleEndian(frameByteCount, byteCount: 2)
        appendLittleEndian(16, byteCount: 2)  // bits per sample
        bytes.append(contentsOf: Array("data".utf8))
        appendLittleEndian(dataByteCount, byteCount: 4)
        bytes.append(contentsOf: [UInt8](repeating: 0, count: silentSecondsBefore * sampleRate * frameByteCount))
        let step = 2 * Double.pi * 440 / Double(sampleRate)
        for frame in 0..<(toneSeconds * sampleRate) {
            let sample = Int(8_000 * sin(step * Double(frame)))
            appendLittleEndian(sample, byteCount: 2)
            appendLittleEndian(sample, byteCount: 2)
        }
        bytes.append(contentsOf: [UInt8](repeating: 0, count: silentSecondsAfter * sampleRate * frameByteCount))
        return bytes
    }

    @Test("stems that are mostly silence, a zip of them deflated far past 100:1, come in as a track's stems")
    func mostlySilentStemsComeIn() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, _) = try await server.party(.composer, "Ada")
        let vocals = Self.mostlySilentWAV(silentSecondsBefore: 60, toneSeconds: 1)
        let fx = Self.mostlySilentWAV(silentSecondsBefore: 0, toneSeconds: 1, silentSecondsAfter: 60)
        let upload = try await Self.uploadPack(ada, [.init("vocals.wav", vocals), .init("fx.wav", fx)], format: .zip)
        let result = try await ada.createPack(Wire.CreatePack(uploadID: upload, title: "Quiet Night"))
        let byTitle = Dictionary(uniqueKeysWithValues: result.stems.map { ($0.title, $0) })
        #expect(byTitle.keys.sorted() == ["fx", "vocals"])
        #expect(byTitle["vocals"]?.file?.sha256 == SHA256Hex.of(vocals))
        #expect(byTitle["fx"]?.file?.sha256 == SHA256Hex.of(fx))
        #expect(result.stems.allSatisfy { abs($0.durationSeconds - 61) < 0.01 })
    }

    @Test("a bomb past the per-entry limit is refused as a hostile pack naming the entry and the rule, and nothing is kept")
    func bombKeepsNothing() async throws {
        let server = try await RunningServer.start { $0.limits.packEntryUncompressedByteCountMax = 4 << 20 }
        defer { Task { await server.stop() } }
        let (_, ada, token) = try await server.party(.composer, "Ada")
        let good = try TestFiles.tone(.wav16, seconds: 1)
        let bomb = [UInt8](repeating: 0, count: 16 << 20)
        let upload = try await Self.uploadPack(ada, [.init("good.wav", file: good), .init("bomb.wav", bomb)], format: .zip)
        let before = try await server.snapshot()
        let reply = try await RawHTTP(base: server.baseURL).json(.POST, "/v1/packs", token: token, #"{"upload_id":"\#(upload)"}"#)
        expectProblem(reply, 422, "hostile-pack")
        #expect(reply.json["rule"] as? String == "entry-too-large")
        #expect(reply.json["entry"] as? String == "bomb.wav")
        let after = try await server.snapshot()
        #expect(after.rows == before.rows.enumerated().map { $0.offset == 2 ? $0.element - 1 : $0.element })  // the upload row is gone
        #expect(after.blobs == before.blobs)
        #expect(after.uploads.isEmpty)
        #expect(after.temp.isEmpty)
    }

    @Test("a track's bundle is a zip of its file, its stems and its texts, byte for byte")
    func bundleStreamsEverything() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, ada, _) = try await server.party(.composer, "Ada")
        let (_, bob, _) = try await server.party(.composer, "Bob")
        let (entries, mix, drums, bass) = try Self.packEntries()
        let result = try await ada.createPack(Wire.CreatePack(uploadID: try await Self.uploadPack(ada, entries, format: .zip)))
        let target = TestFiles.makeDirectory("bundle") + "/b.zip"
        _ = try await ada.download("/v1/assets/\(result.track.id)/bundle", to: target)
        let files = TestArchive.read(target)
        #expect(files.count == 4)
        let hashes = Set(files.values.map { SHA256Hex.of($0) })
        #expect(hashes.isSuperset(of: [TestFiles.sha256(mix), TestFiles.sha256(drums), TestFiles.sha256(bass)]))
        #expect(files.contains { $0.key.hasSuffix("credits.txt") && $0.value == Array("Written by Ada.\n".utf8) })
        await #expect(throws: ClientError.self) {
            _ = try await bob.download("/v1/assets/\(result.track.id)/bundle", to: target + ".bob")
        }
    }
}
