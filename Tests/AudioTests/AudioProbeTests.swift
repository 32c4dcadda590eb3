import Audio
import Foundation
import SyncletCore
import Testing

/// Runs `body` with a fresh folder under the temporary directory and removes it afterwards.
private func withScratchFolder<T>(_ body: (URL) throws -> T) throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("synclet-audio-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder)
}

/// Probes `path` and returns the `Problem` it refused with, or `nil` (recording an issue) if it was accepted.
private func refusal(of path: String, sourceLocation: SourceLocation = #_sourceLocation) -> Problem? {
    do {
        let facts = try AudioProbe.probe(path: path)
        Issue.record("expected a refusal, but the probe accepted \(facts)", sourceLocation: sourceLocation)
        return nil
    } catch let problem as Problem {
        return problem
    } catch {
        Issue.record("expected a Problem, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Writes the first half of the file at `source` to `destination`.
private func writeFirstHalf(of source: URL, to destination: URL) throws {
    let data = try Data(contentsOf: source)
    try data.prefix(data.count / 2).write(to: destination)
}

/// What the probe should report for a tone written in each format.
private struct Expected {
    var container: String
    var encoding: String
    var bitDepth: Int?
    var sampleRate: Int
    var framesAreExact: Bool
}

private func expected(for format: ToneWriter.Format) -> Expected {
    switch format {
    case .wav16: Expected(container: "wav", encoding: "pcm_16", bitDepth: 16, sampleRate: 44_100, framesAreExact: true)
    case .wav24: Expected(container: "wav", encoding: "pcm_24", bitDepth: 24, sampleRate: 44_100, framesAreExact: true)
    case .aiff24: Expected(container: "aiff", encoding: "pcm_24", bitDepth: 24, sampleRate: 44_100, framesAreExact: true)
    case .flac16: Expected(container: "flac", encoding: "pcm_16", bitDepth: 16, sampleRate: 44_100, framesAreExact: true)
    case .oggVorbis: Expected(container: "ogg", encoding: "vorbis", bitDepth: nil, sampleRate: 44_100, framesAreExact: true)
    case .oggOpus: Expected(container: "ogg", encoding: "opus", bitDepth: nil, sampleRate: 48_000, framesAreExact: true)
    case .mp3: Expected(container: "mp3", encoding: "mp3", bitDepth: nil, sampleRate: 44_100, framesAreExact: false)
    }
}

@Suite("AudioProbe")
struct AudioProbeTests {
    @Test("two seconds of tone written in each format probe as that format", arguments: ToneWriter.Format.allCases)
    func writtenTonesProbe(format: ToneWriter.Format) throws {
        let want = expected(for: format)
        let written = Int64(2 * want.sampleRate)
        let facts = try withScratchFolder { folder -> AudioFacts in
            let path = folder.appendingPathComponent("tone.\(format.fileExtension)").path
            try ToneWriter.writeSine(path: path, format: format, sampleRate: want.sampleRate, channels: 2, frames: written)
            return try AudioProbe.probe(path: path)
        }
        #expect(facts.container == want.container)
        #expect(facts.encoding == want.encoding)
        #expect(facts.sampleRate == want.sampleRate)
        #expect(facts.channels == 2)
        #expect(facts.bitDepth == want.bitDepth)
        if want.framesAreExact {
            #expect(facts.frames == written)
            #expect(facts.durationMilliseconds == 2_000)
        } else {
            // MP3 decoders may add or drop padding; allow 1 %.
            #expect(abs(facts.frames - written) <= written / 100, "decoded \(facts.frames) of \(written) frames")
            #expect(abs(facts.durationMilliseconds - 2_000) <= 20)
        }
    }

    @Test("a mono tone probes as one channel")
    func monoTone() throws {
        let facts = try withScratchFolder { folder -> AudioFacts in
            let path = folder.appendingPathComponent("mono.wav").path
            try ToneWriter.writeSine(path: path, format: .wav16, sampleRate: 22_050, channels: 1, frames: 11_025)
            return try AudioProbe.probe(path: path)
        }
        #expect(facts.channels == 1)
        #expect(facts.sampleRate == 22_050)
        #expect(facts.frames == 11_025)
        #expect(facts.durationMilliseconds == 500)
    }

    @Test("random bytes named .wav are refused as unreadable audio")
    func randomBytes() throws {
        try withScratchFolder { folder in
            let url = folder.appendingPathComponent("noise.wav")
            var generator = SystemRandomNumberGenerator()
            var bytes = (0..<8_192).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes[0] = 0x00  // never an accidental "RIFF", "FORM", "fLaC", "OggS", "ID3" or MPEG sync
            try Data(bytes).write(to: url)
            let problem = refusal(of: url.path)
            #expect(problem?.type == "unreadable-audio")
            #expect(problem?.status == 422)
        }
    }

    @Test("a text file is refused as unreadable audio")
    func textFile() throws {
        try withScratchFolder { folder in
            let url = folder.appendingPathComponent("notes.txt")
            try Data(String(repeating: "These are liner notes, not audio.\n", count: 50).utf8).write(to: url)
            #expect(refusal(of: url.path)?.type == "unreadable-audio")
        }
    }

    @Test("an empty file is refused as unreadable audio")
    func emptyFile() throws {
        try withScratchFolder { folder in
            let url = folder.appendingPathComponent("empty.wav")
            try Data().write(to: url)
            #expect(refusal(of: url.path)?.type == "unreadable-audio")
        }
    }

    @Test("a missing file is refused as unreadable audio")
    func missingFile() throws {
        try withScratchFolder { folder in
            #expect(refusal(of: folder.appendingPathComponent("absent.wav").path)?.type == "unreadable-audio")
        }
    }

    @Test("a WAV cut to half its size is refused: its header declares more data than the file holds")
    func truncatedWAV() throws {
        try withScratchFolder { folder in
            let whole = folder.appendingPathComponent("whole.wav")
            let cut = folder.appendingPathComponent("cut.wav")
            try ToneWriter.writeSine(path: whole.path, format: .wav16, frames: 88_200)
            try writeFirstHalf(of: whole, to: cut)
            let problem = refusal(of: cut.path)
            #expect(problem?.type == "unreadable-audio")
            #expect(problem?.status == 422)
            // 88 200 frames × 2 channels × 2 bytes
            #expect(problem?.detail.contains("declares 352800 bytes") == true, "\(problem?.detail ?? "")")
        }
    }

    @Test("each compressed or PCM file cut in half is refused as unreadable audio",
          arguments: [ToneWriter.Format.wav24, .aiff24, .flac16, .oggVorbis, .oggOpus, .mp3])
    func truncatedFiles(format: ToneWriter.Format) throws {
        try withScratchFolder { folder in
            let sampleRate = format == .oggOpus ? 48_000 : 44_100
            let whole = folder.appendingPathComponent("whole.\(format.fileExtension)")
            let cut = folder.appendingPathComponent("cut.\(format.fileExtension)")
            try ToneWriter.writeSine(path: whole.path, format: format, sampleRate: sampleRate, frames: Int64(2 * sampleRate))
            // The whole file is fine; only the cut one is refused.
            _ = try AudioProbe.probe(path: whole.path)
            try writeFirstHalf(of: whole, to: cut)
            let problem = refusal(of: cut.path)
            #expect(problem?.type == "unreadable-audio")
            #expect(problem?.status == 422)
        }
    }

    @Test("the library version names libsndfile")
    func libraryVersion() {
        #expect(AudioProbe.libraryVersion.hasPrefix("libsndfile-"))
    }
}
