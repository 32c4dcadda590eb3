import AsyncHTTPClient
import Audio
import Foundation
import NIOCore
import SyncletClient
import SyncletCore
import SyncletServer
import Testing

@Suite("A composer uploads, lists and downloads through the real CLI client")
struct UploadJourneyTests {
    @Test("a WAV and a FLAC made here become assets with the facts read from the files")
    func wavAndFlacBecomeAssets() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (ada, client, _) = try await server.party(.composer, "Ada")

        let wav = try TestFiles.tone(.wav24, seconds: 3, sampleRate: 48_000)
        let wavUpload = try await client.uploadFile(path: wav, journal: nil)
        let track = try await client.createAsset(Wire.CreateAsset(
            uploadID: wavUpload, kind: .track, title: "  Night Drive ", bpm: 92, key: "am",
            tags: ["Synthwave", "night", "synthwave "], isrc: "us-s1z-99-00001", durationSeconds: 3))
        #expect(track.title == "Night Drive")
        #expect(track.audio == Wire.AudioInfo(container: "wav", encoding: "pcm_24", sampleRate: 48_000, bitDepth: 24, channels: 2, frames: 144_000))
        #expect(track.key == Wire.MusicalKeyInfo(name: "A minor", camelot: "8A"))
        #expect(track.tags == ["synthwave", "night"])
        #expect(track.isrc == "US-S1Z-99-00001")
        #expect(track.splits == [SplitShare(partyID: ada.id, basisPoints: 10_000)])
        #expect(track.status == .draft)
        #expect(track.file?.sha256 == TestFiles.sha256(wav))

        let flac = try TestFiles.tone(.flac16, seconds: 2)
        let flacUpload = try await client.uploadFile(path: flac, journal: nil)
        let stem = try await client.createAsset(Wire.CreateAsset(uploadID: flacUpload, kind: .stem, title: "Drums", trackID: track.id))
        #expect(stem.audio?.container == "flac")
        #expect(stem.audio?.frames == 88_200)
        #expect(stem.audio?.bitDepth == 16)
        #expect(stem.trackID == track.id)
        #expect(stem.splitsInherited == true)
        #expect(stem.splits == track.splits)

        let page = try await client.assets()
        #expect(page.items.map(\.id) == [stem.id, track.id])  // newest first
        #expect(try await client.asset(stem.id) == stem)
        // The upload was consumed: its bytes moved into the blob store.
        #expect(try await client.uploadState(wavUpload) == nil)
    }

    @Test("creating an asset from an upload again (a lost answer, a re-run command, two at once) gives the same asset and makes no second one")
    func assetFromUploadIsIdempotent() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, client, adaToken) = try await server.party(.composer, "Ada")
        let (_, grace, _) = try await server.party(.composer, "Grace")
        let upload = try await client.uploadFile(path: try TestFiles.tone(.wav16, seconds: 2), journal: nil)
        let request = Wire.CreateAsset(uploadID: upload, kind: .track, title: "Once")
        // Two at once: both get the one asset.
        async let first = client.createAsset(request)
        async let second = client.createAsset(request)
        let (a, b) = try await (first, second)
        #expect(a.id == b.id)
        let body = Array(#"{"upload_id":"\#(upload)","kind":"track","title":"Once"}"#.utf8)
        let again = try await RawHTTP(base: server.baseURL).send(.POST, "/v1/assets", token: adaToken,
                                                                 headers: ["Content-Type": "application/json"], body: body)
        #expect(again.status == 200)  // not 201: nothing was created
        #expect(again.json["id"] as? String == a.id.rawValue)
        #expect(again.header("Location") == "/v1/assets/\(a.id)")
        #expect(try await client.assets().items.map(\.id) == [a.id])
        // Another request for the consumed upload (another title, kind or track) is refused:
        // it would need the file again.
        var other = request
        other.title = "Twice"
        let refusedOther = await #expect(throws: ClientError.self) { try await client.createAsset(other) }
        #expect(refusedOther?.status == 422)
        #expect(refusedOther?.problem?.field == "upload_id")
        let asPack = await #expect(throws: ClientError.self) { try await client.createPack(Wire.CreatePack(uploadID: upload)) }
        #expect(asPack?.status == 422)
        #expect(try await client.assets().items.map(\.id) == [a.id])
        // Another composer cannot learn or take it.
        let refused = await #expect(throws: ClientError.self) { try await grace.createAsset(request) }
        #expect(refused?.status == 404)
        #expect(try await grace.assets().items.isEmpty)
    }

    @Test("every lossy and lossless format libsndfile reads is accepted", arguments: [
        ToneWriter.Format.aiff24, .oggVorbis, .mp3,
    ])
    func otherFormats(format: ToneWriter.Format) async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, client, _) = try await server.party(.composer, "Ada")
        let path = try TestFiles.tone(format, seconds: 2)
        let asset = try await client.createAsset(Wire.CreateAsset(
            uploadID: try await client.uploadFile(path: path, journal: nil), kind: .loop, title: "Loop"))
        #expect(asset.audio?.container == ["aiff24": "aiff", "oggVorbis": "ogg", "mp3": "mp3"][format.rawValue])
        #expect(abs(asset.durationSeconds - 2) < 0.05)
    }

    @Test("an Ogg Opus file is read at 48 kHz")
    func opus() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, client, _) = try await server.party(.composer, "Ada")
        let path = try TestFiles.tone(.oggOpus, seconds: 2, sampleRate: 48_000)
        let asset = try await client.createAsset(Wire.CreateAsset(
            uploadID: try await client.uploadFile(path: path, journal: nil), kind: .loop, title: "Opus"))
        #expect(asset.audio?.encoding == "opus")
        #expect(asset.audio?.sampleRate == 48_000)
    }

    @Test("an interrupted upload resumes where the server stopped, and the file arrives whole")
    func interruptedUploadResumes() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, client, _) = try await server.party(.composer, "Ada")
        let path = try TestFiles.tone(.wav16, seconds: 20)  // ~3.5 MB
        let size = Int64(FileManager.default.contents(atPath: path)!.count)
        let journal = UploadJournal(path: TestFiles.makeDirectory("cli") + "/uploads.json")

        // First run: the connection drops after about a third of the file.
        let id = try await client.createUpload(length: size, filename: "tone.wav")
        let cut = size / 3
        await #expect(throws: (any Error).self) {
            _ = try await client.appendUpload(id, offset: 0, length: size, body: FailingChunks(path: path, failAfter: cut))
        }
        let afterCut = try #require(try await client.uploadState(id))
        #expect(afterCut.offset > 0 && afterCut.offset <= cut)

        // The CLI remembered the upload; running it again resumes from the server's offset.
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let modified = (attributes[.modificationDate] as! Date).timeIntervalSince1970
        journal.record(id, for: UploadJournal.key(server: client.server, path: path, size: size, modified: modified))
        let firstReport = FirstValue()
        let resumed = try await client.uploadFile(path: path, journal: journal) { done, _ in firstReport.set(done) }
        #expect(resumed == id)
        #expect(firstReport.value == afterCut.offset)

        let asset = try await client.createAsset(Wire.CreateAsset(uploadID: id, kind: .track, title: "Resumed"))
        #expect(asset.file?.sha256 == TestFiles.sha256(path))
        #expect(asset.file?.byteCount == size)
    }

    @Test("downloads stream the original with Range, ETag and Content-Length")
    func downloadsWithRange() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, client, token) = try await server.party(.composer, "Ada")
        let path = try TestFiles.tone(.wav16, seconds: 4)
        let original = Array(FileManager.default.contents(atPath: path)!)
        let asset = try await client.createAsset(Wire.CreateAsset(
            uploadID: try await client.uploadFile(path: path, journal: nil), kind: .track, title: "T"))
        let raw = RawHTTP(base: server.baseURL)
        let route = "/v1/assets/\(asset.id)/original"

        let whole = try await raw.send(.GET, route, token: token)
        #expect(whole.status == 200)
        #expect(whole.body == original)
        #expect(whole.header("content-length") == String(original.count))
        #expect(whole.header("etag") == "\"\(asset.file!.sha256)\"")
        #expect(whole.header("accept-ranges") == "bytes")

        // Several reads of different ranges reassemble the file.
        var assembled = [UInt8]()
        let step = original.count / 3 + 1
        for start in stride(from: 0, to: original.count, by: step) {
            let end = min(start + step, original.count) - 1
            let part = try await raw.send(.GET, route, token: token, headers: ["Range": "bytes=\(start)-\(end)"])
            #expect(part.status == 206)
            #expect(part.header("content-range") == "bytes \(start)-\(end)/\(original.count)")
            #expect(part.header("content-length") == String(end - start + 1))
            assembled += part.body
        }
        #expect(SHA256Hex.of(assembled) == asset.file?.sha256)

        let suffix = try await raw.send(.GET, route, token: token, headers: ["Range": "bytes=-10"])
        #expect(suffix.status == 206)
        #expect(suffix.body == Array(original.suffix(10)))

        let outside = try await raw.send(.GET, route, token: token, headers: ["Range": "bytes=\(original.count)-"])
        expectProblem(outside, 416, "range-not-satisfiable")
        #expect(outside.header("content-range") == "bytes */\(original.count)")

        let cached = try await raw.send(.GET, route, token: token, headers: ["If-None-Match": "\"\(asset.file!.sha256)\""])
        #expect(cached.status == 304)

        // The CLI client's download writes the same bytes.
        let target = TestFiles.makeDirectory("download") + "/copy.wav"
        let result = try await client.downloadOriginal(asset.id, to: target)
        #expect(result.status == 200)
        #expect(TestFiles.sha256(target) == asset.file?.sha256)
        let ranged = try await client.downloadOriginal(asset.id, to: target, range: 100...199)
        #expect(ranged == (206, 100))
        #expect(Array(FileManager.default.contents(atPath: target)!) == Array(original[100...199]))
    }

    @Test("a restarted server finds parties, keys, assets and files again, and bootstraps only once")
    func restartFindsEverything() async throws {
        let storage = TestFiles.makeDirectory("restart")
        let first = try await RunningServer.start(storage: storage)
        #expect(first.app.bootstrapToken != nil)
        let adminToken = first.app.bootstrapToken!
        let (_, client, token) = try await first.party(.composer, "Ada")
        let path = try TestFiles.tone(.flac16, seconds: 1)
        let asset = try await client.createAsset(Wire.CreateAsset(
            uploadID: try await client.uploadFile(path: path, journal: nil), kind: .track, title: "Kept"))
        let pending = try await client.createUpload(length: 1234, filename: "later.wav")
        _ = try await client.appendUpload(pending, offset: 0, length: 100, body: FixedChunks(bytes: [UInt8](repeating: 7, count: 100)))
        await first.stop()
        // A blob filed for a row that never committed (a crash between the two): set aside at start.
        let orphan = String(repeating: "ab", count: 32)
        let orphanPath = "\(storage)/blobs/ab/\(orphan)"
        try FileManager.default.createDirectory(atPath: "\(storage)/blobs/ab", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: orphanPath, contents: Data([1, 2, 3])))

        let second = try await RunningServer.start(storage: storage)
        defer { Task { await second.stop() } }
        #expect(second.app.bootstrapToken == nil)
        let again = second.client(token)
        #expect(try await again.asset(asset.id) == asset)
        #expect(try await second.client(adminToken).me().kind == .admin)
        #expect(try await again.uploadState(pending) == SyncletClient.UploadState(id: pending, offset: 100, length: 1234))
        let target = TestFiles.makeDirectory("download") + "/kept.flac"
        _ = try await again.downloadOriginal(asset.id, to: target)
        #expect(TestFiles.sha256(target) == asset.file?.sha256)
        // Set aside, not deleted: a file no row names cannot be proven garbage.
        #expect(!FileManager.default.fileExists(atPath: orphanPath))
        #expect(FileManager.default.fileExists(atPath: "\(storage)/orphans/\(orphan)"))
    }

    @Test("identical content is stored once")
    func identicalContentStoredOnce() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let (_, client, _) = try await server.party(.composer, "Ada")
        let path = try TestFiles.tone(.wav16, seconds: 1)
        let one = try await client.createAsset(Wire.CreateAsset(uploadID: try await client.uploadFile(path: path, journal: nil), kind: .loop, title: "A"))
        let two = try await client.createAsset(Wire.CreateAsset(uploadID: try await client.uploadFile(path: path, journal: nil), kind: .loop, title: "B"))
        #expect(one.file?.sha256 == two.file?.sha256)
        #expect(TestFiles.listRecursively(server.services.layout.blobs).filter { $0.count > 3 }.count == 1)
    }

    @Test("abandoned uploads expire and their bytes are removed")
    func abandonedUploadsExpire() async throws {
        let clock = TestClock()
        let server = try await RunningServer.start { $0.clock = clock.clock; $0.limits.uploadIdleSecondsMax = 60 }
        defer { Task { await server.stop() } }
        let (_, client, _) = try await server.party(.composer, "Ada")
        let id = try await client.createUpload(length: 500, filename: "x.wav")
        _ = try await client.appendUpload(id, offset: 0, length: 10, body: FixedChunks(bytes: [UInt8](repeating: 1, count: 10)))
        #expect(try await server.app.sweepUploads() == 0)
        clock.advance(seconds: 61)
        #expect(try await server.app.sweepUploads() == 1)
        #expect(try await client.uploadState(id) == nil)
        #expect(TestFiles.listRecursively(server.services.layout.uploads).isEmpty)
    }
}

/// Streams a file but fails after `failAfter` bytes, as a dropped connection would.
struct FailingChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let failAfter: Int64

    struct Dropped: Error {}

    func makeAsyncIterator() -> Iterator {
        Iterator(bytes: Array(FileManager.default.contents(atPath: path)!), failAfter: Int(failAfter))
    }

    struct Iterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        let failAfter: Int
        var position = 0
        mutating func next() async throws -> ByteBuffer? {
            if position >= failAfter { throw Dropped() }
            let end = Swift.min(position + 64 * 1024, failAfter)
            defer { position = end }
            try await Task.sleep(for: .milliseconds(2))
            return ByteBuffer(bytes: bytes[position..<end])
        }
    }
}

/// A fixed byte stream.
struct FixedChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes) }
    struct Iterator: AsyncIteratorProtocol {
        var bytes: [UInt8]?
        mutating func next() async throws -> ByteBuffer? {
            defer { bytes = nil }
            return bytes.map { ByteBuffer(bytes: $0) }
        }
    }
}

final class FirstValue: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int64?
    func set(_ value: Int64) { lock.withLock { if stored == nil { stored = value } } }
    var value: Int64? { lock.withLock { stored } }
}
