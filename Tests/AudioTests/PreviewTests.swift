@testable import Audio
import CSndFile
import Foundation
import SyncletCore
import Testing

// MARK: - Helpers shared with WaveformTests

/// Runs `body` with a fresh folder under the temporary directory and removes it afterwards.
func withScratch<T>(_ body: (URL) throws -> T) throws -> T {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("synclet-preview-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    return try body(folder)
}

/// Runs `body` and returns the `Problem` it threw, or `nil` (recording an issue) when it threw none.
func problemThrown(sourceLocation: SourceLocation = #_sourceLocation, by body: () throws -> Void) -> Problem? {
    do {
        try body()
        Issue.record("expected a Problem, but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let problem as Problem {
        return problem
    } catch {
        Issue.record("expected a Problem, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Writes 8 KiB of random bytes that are no audio container (the first byte rules out every magic number).
func writeRandomBytes(to url: URL) throws {
    var generator = SystemRandomNumberGenerator()
    var bytes = (0..<8_192).map { _ in UInt8.random(in: 0...255, using: &generator) }
    bytes[0] = 0x00
    try Data(bytes).write(to: url)
}

/// A failure of the test helpers themselves.
struct HelperFailure: Error, CustomStringConvertible {
    var description: String
}

/// Writes a WAV whose channel `c` carries a 440 Hz sine of amplitude `amplitudes[c]`: ToneWriter
/// writes the same tone to every channel, and downmix and peak tests need channels that differ.
func writeChannelSines(path: String, sampleRate: Int = 44_100, frameCount: Int, amplitudes: [Float],
                       format: Int32 = Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)) throws {
    let channels = amplitudes.count
    var info = SF_INFO()
    info.samplerate = Int32(sampleRate)
    info.channels = Int32(channels)
    info.format = format
    guard let file = sf_open(path, Int32(SFM_WRITE), &info) else {
        throw HelperFailure(description: "cannot create \(path): \(String(cString: sf_strerror(nil)))")
    }
    defer { sf_close(file) }
    var samples = [Float](repeating: 0, count: frameCount * channels)
    for frame in 0..<frameCount {
        let value = Float(sin(2 * Double.pi * 440 * Double(frame) / Double(sampleRate)))
        for (channel, amplitude) in amplitudes.enumerated() {
            samples[frame * channels + channel] = amplitude * value
        }
    }
    let written = sf_writef_float(file, &samples, sf_count_t(frameCount))
    guard written == sf_count_t(frameCount) else {
        throw HelperFailure(description: "wrote \(written) of \(frameCount) frames to \(path)")
    }
}

/// A whole decoded file, for checks on previews (at most two minutes, so memory is no concern here).
struct DecodedAudio {
    var sampleRate: Int
    var channels: Int
    /// libsndfile's format word: container | encoding.
    var format: Int32
    /// Interleaved.
    var samples: [Float]

    var frameCount: Int { samples.count / channels }
    var seconds: Double { Double(frameCount) / Double(sampleRate) }
    var container: Int32 { format & Int32(SF_FORMAT_TYPEMASK) }
    var encoding: Int32 { format & Int32(SF_FORMAT_SUBMASK) }

    /// The frames from `start` seconds for `duration` seconds.
    func frames(from start: Double, seconds duration: Double) -> Range<Int> {
        let first = Int(start * Double(sampleRate))
        return first..<min(frameCount, first + Int(duration * Double(sampleRate)))
    }

    /// Root mean square over `frames` of `channel`, or of all channels when `nil`.
    func rms(_ frames: Range<Int>, channel: Int? = nil) -> Double {
        var sum = 0.0
        var count = 0
        for frame in frames {
            for index in 0..<channels where channel == nil || channel == index {
                let sample = Double(samples[frame * channels + index])
                sum += sample * sample
                count += 1
            }
        }
        return count > 0 ? (sum / Double(count)).squareRoot() : 0
    }

    /// Power of a `frequency` Hz tone in channel 0 over `frames` (Goertzel: one bin of a DFT),
    /// scaled so that a sine of amplitude A reads about A² / 4.
    func tonePower(hertz frequency: Double, _ frames: Range<Int>) -> Double {
        let coefficient = 2 * cos(2 * Double.pi * frequency / Double(sampleRate))
        var previous = 0.0
        var beforePrevious = 0.0
        for frame in frames {
            let current = Double(samples[frame * channels]) + coefficient * previous - beforePrevious
            beforePrevious = previous
            previous = current
        }
        let power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
        let count = Double(frames.count)
        return power / (count * count)
    }
}

/// Decodes all of `path` through libsndfile, a block at a time (libsndfile clears the whole
/// requested block at the end, so it never reads into the tail of the result).
func decodeAudio(_ path: String) throws -> DecodedAudio {
    var info = SF_INFO()
    guard let file = sf_open(path, Int32(SFM_READ), &info) else {
        throw HelperFailure(description: "cannot open \(path): \(String(cString: sf_strerror(nil)))")
    }
    defer { sf_close(file) }
    let channels = Int(info.channels)
    let blockFrameCount = 4_096
    var block = [Float](repeating: 0, count: blockFrameCount * channels)
    var samples: [Float] = []
    while true {
        let count = Int(sf_readf_float(file, &block, sf_count_t(blockFrameCount)))
        if count <= 0 { break }
        samples.append(contentsOf: block[0..<(count * channels)])
    }
    return DecodedAudio(sampleRate: Int(info.samplerate), channels: channels, format: info.format, samples: samples)
}

// MARK: - Preview tests

/// libsndfile 1.2.0 writes a LAME gapless header and decodes MP3 and Ogg previews to exactly the
/// frames written; the tolerance only leaves room for other decoder versions.
private let durationToleranceSeconds = 0.1

/// Options that must be refused, each named for the test report.
struct BadPreviewOptions: Sendable, CustomTestStringConvertible {
    var name: String
    var options: PreviewOptions
    var testDescription: String { name }

    init(_ name: String, _ change: (inout PreviewOptions) -> Void) {
        self.name = name
        var options = PreviewOptions()
        change(&options)
        self.options = options
    }
}

/// Refused on a 10 s source.
let badPreviewOptions: [BadPreviewOptions] = [
    BadPreviewOptions("negative start") { $0.startSeconds = -1 },
    BadPreviewOptions("start that is not a number") { $0.startSeconds = .nan },
    BadPreviewOptions("start at the end of the source") { $0.startSeconds = 10 },
    BadPreviewOptions("start past the end of the source") { $0.startSeconds = 11 },
    BadPreviewOptions("zero duration") { $0.durationSeconds = 0 },
    BadPreviewOptions("500 s duration") { $0.durationSeconds = 500 },
    BadPreviewOptions("fade longer than half the window") {
        $0.durationSeconds = 10
        $0.fadeMilliseconds = 5_001
    },
    BadPreviewOptions("negative fade") { $0.fadeMilliseconds = -1 },
]

@Suite("PreviewRenderer")
struct PreviewTests {
    @Test("the default preview of a minute of 44.1 kHz stereo is 30 s of stereo MP3 that fades in and out")
    func defaultPreview() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("minute.wav").path
            let preview = folder.appendingPathComponent("preview.mp3").path
            try ToneWriter.writeSine(path: source, format: .wav16, sampleRate: 44_100, channels: 2, frames: 60 * 44_100)

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: PreviewOptions())

            #expect(facts == PreviewFacts(format: .mp3, container: "mp3", sampleRate: 44_100, channels: 2, frames: 30 * 44_100))
            let audio = try decodeAudio(preview)
            #expect(audio.container == Int32(SF_FORMAT_MPEG))
            #expect(audio.encoding == Int32(SF_FORMAT_MPEG_LAYER_III))
            #expect(audio.sampleRate == 44_100)
            #expect(audio.channels == 2)
            #expect(abs(audio.seconds - 30) <= durationToleranceSeconds, "decoded \(audio.seconds) s")
            let middle = audio.rms(audio.frames(from: 15, seconds: 0.01))
            let start = audio.rms(audio.frames(from: 0, seconds: 0.01))
            let end = audio.rms(audio.frames(from: audio.seconds - 0.01, seconds: 0.01))
            #expect(middle > 0.3, "a 0.5 sine has an RMS of 0.35; got \(middle)")
            #expect(start < middle / 10, "fade-in: first 10 ms at \(start), middle at \(middle)")
            #expect(end < middle / 10, "fade-out: last 10 ms at \(end), middle at \(middle)")
            #expect(!FileManager.default.fileExists(atPath: preview + ".tmp"))
        }
    }

    @Test("a source shorter than the window is previewed whole")
    func shortSource() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("ten.wav").path
            let preview = folder.appendingPathComponent("preview.mp3").path
            try ToneWriter.writeSine(path: source, format: .wav16, frames: 10 * 44_100)

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: PreviewOptions())

            #expect(facts.frames == 10 * 44_100)
            let audio = try decodeAudio(preview)
            #expect(abs(audio.seconds - 10) <= durationToleranceSeconds, "decoded \(audio.seconds) s")
        }
    }

    @Test("a window from 20 s for 15 s of a one-minute source lasts 15 s")
    func window() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("minute.wav").path
            let preview = folder.appendingPathComponent("preview.mp3").path
            try ToneWriter.writeSine(path: source, format: .wav16, frames: 60 * 44_100)
            var options = PreviewOptions()
            options.startSeconds = 20
            options.durationSeconds = 15

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: options)

            #expect(facts.frames == 15 * 44_100)
            let audio = try decodeAudio(preview)
            #expect(abs(audio.seconds - 15) <= durationToleranceSeconds, "decoded \(audio.seconds) s")
        }
    }

    @Test("Opus asked for from a 48 kHz source is Ogg Opus at 48 kHz of the expected length")
    func opusAt48kHz() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("tone48.wav").path
            let preview = folder.appendingPathComponent("preview.ogg").path
            try ToneWriter.writeSine(path: source, format: .wav16, sampleRate: 48_000, frames: 20 * 48_000)
            var options = PreviewOptions()
            options.format = .opus
            options.durationSeconds = 12

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: options)

            #expect(facts == PreviewFacts(format: .opus, container: "ogg", sampleRate: 48_000, channels: 2, frames: 12 * 48_000))
            let probed = try AudioProbe.probe(path: preview)
            #expect(probed.container == "ogg")
            #expect(probed.encoding == "opus")
            #expect(probed.sampleRate == 48_000)
            #expect(probed.channels == 2)
            let audio = try decodeAudio(preview)
            #expect(abs(audio.seconds - 12) <= durationToleranceSeconds, "decoded \(audio.seconds) s")
        }
    }

    @Test("Opus asked for from a 44.1 kHz source falls back to MP3, and the facts say so")
    func opusFallsBackToMP3() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("tone.wav").path
            let preview = folder.appendingPathComponent("preview").path
            try ToneWriter.writeSine(path: source, format: .wav16, sampleRate: 44_100, frames: 5 * 44_100)
            var options = PreviewOptions()
            options.format = .opus

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: options)

            #expect(facts.format == .mp3)
            #expect(facts.container == "mp3")
            #expect(facts.sampleRate == 44_100)
            let probed = try AudioProbe.probe(path: preview)
            #expect(probed.container == "mp3")
            #expect(probed.encoding == "mp3")
        }
    }

    @Test("a 96 kHz source, which neither MP3 nor Opus carries, is previewed as Ogg Vorbis at 96 kHz")
    func vorbisAt96kHz() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("tone96.wav").path
            let preview = folder.appendingPathComponent("preview").path
            try ToneWriter.writeSine(path: source, format: .wav16, sampleRate: 96_000, frames: 10 * 96_000)

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: PreviewOptions())

            #expect(facts == PreviewFacts(format: .vorbis, container: "ogg", sampleRate: 96_000, channels: 2, frames: 10 * 96_000))
            let probed = try AudioProbe.probe(path: preview)
            #expect(probed.container == "ogg")
            #expect(probed.encoding == "vorbis")
            #expect(probed.sampleRate == 96_000)
            let audio = try decodeAudio(preview)
            #expect(abs(audio.seconds - 10) <= durationToleranceSeconds, "decoded \(audio.seconds) s")
        }
    }

    @Test("a watermarked preview has a 1 kHz blip every 7 s; one without has none")
    func watermark() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("minute.wav").path
            let plainPath = folder.appendingPathComponent("plain.mp3").path
            let markedPath = folder.appendingPathComponent("marked.mp3").path
            try ToneWriter.writeSine(path: source, format: .wav16, frames: 60 * 44_100)
            var options = PreviewOptions()
            _ = try PreviewRenderer.render(source: source, destination: plainPath, options: options)
            options.watermark = true
            _ = try PreviewRenderer.render(source: source, destination: markedPath, options: options)
            let plain = try decodeAudio(plainPath)
            let marked = try decodeAudio(markedPath)

            // A blip sits at 7, 14, 21 and 28 s for 150 ms; measure its middle 100 ms. A 0.125
            // sine reads about 0.0039; the 440 Hz tone alone reads almost nothing at 1 kHz.
            for second in [7.0, 14, 21, 28] {
                let blip = marked.frames(from: second + 0.025, seconds: 0.1)
                #expect(marked.tonePower(hertz: 1_000, blip) > 1e-3, "no blip at \(second) s")
                #expect(plain.tonePower(hertz: 1_000, blip) < 1e-4, "a blip at \(second) s without watermark")
                #expect(marked.rms(blip) > plain.rms(blip))
            }
            let between = marked.frames(from: 3.5, seconds: 0.1)
            #expect(marked.tonePower(hertz: 1_000, between) < 1e-4, "a blip between the blips")
        }
    }

    @Test("a four-channel source is downmixed to stereo: even channels left, odd channels right")
    func downmix() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("quad.wav").path
            let preview = folder.appendingPathComponent("preview.mp3").path
            try writeChannelSines(path: source, frameCount: 5 * 44_100, amplitudes: [0.6, 0, 0.2, 0])

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: PreviewOptions())

            #expect(facts.channels == 2)
            let audio = try decodeAudio(preview)
            #expect(audio.channels == 2)
            let steady = audio.frames(from: 1, seconds: 2)
            // Left is a 0.4 sine (RMS 0.283); MP3 at 128 kbit/s loses about 5 % of a pure tone.
            let left = audio.rms(steady, channel: 0)
            #expect(abs(left - 0.4 / 2.0.squareRoot()) < 0.03, "left RMS \(left)")
            #expect(audio.rms(steady, channel: 1) < 0.01)
        }
    }

    @Test("a mono source gives a mono preview at its own rate")
    func monoSource() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("mono.wav").path
            let preview = folder.appendingPathComponent("preview.mp3").path
            try ToneWriter.writeSine(path: source, format: .wav16, sampleRate: 22_050, channels: 1, frames: 3 * 22_050)

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: PreviewOptions())

            #expect(facts == PreviewFacts(format: .mp3, container: "mp3", sampleRate: 22_050, channels: 1, frames: 3 * 22_050))
            let audio = try decodeAudio(preview)
            #expect(audio.channels == 1)
            #expect(audio.sampleRate == 22_050)
        }
    }

    @Test("bad options are refused with 422 on the preview field, and nothing is written", arguments: badPreviewOptions)
    func badOptions(_ bad: BadPreviewOptions) throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("ten.wav").path
            let preview = folder.appendingPathComponent("preview.mp3").path
            try ToneWriter.writeSine(path: source, format: .wav16, frames: 10 * 44_100)

            let problem = problemThrown { _ = try PreviewRenderer.render(source: source, destination: preview, options: bad.options) }

            #expect(problem?.status == 422)
            #expect(problem?.type == "validation")
            #expect(problem?.extensions["field"] == "preview")
            #expect(!FileManager.default.fileExists(atPath: preview))
            #expect(!FileManager.default.fileExists(atPath: preview + ".tmp"))
        }
    }

    @Test("a fade of exactly half the window is accepted")
    func fadeOfHalfTheWindow() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("ten.wav").path
            let preview = folder.appendingPathComponent("preview.mp3").path
            try ToneWriter.writeSine(path: source, format: .wav16, frames: 10 * 44_100)
            var options = PreviewOptions()
            options.durationSeconds = 2
            options.fadeMilliseconds = 1_000

            let facts = try PreviewRenderer.render(source: source, destination: preview, options: options)

            #expect(facts.frames == 2 * 44_100)
        }
    }

    @Test("random bytes are refused as unreadable audio and leave no file behind")
    func randomBytes() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("noise.wav")
            let preview = folder.appendingPathComponent("preview.mp3").path
            try writeRandomBytes(to: source)

            let problem = problemThrown { _ = try PreviewRenderer.render(source: source.path, destination: preview, options: PreviewOptions()) }

            #expect(problem?.type == "unreadable-audio")
            #expect(problem?.status == 422)
            #expect(!FileManager.default.fileExists(atPath: preview))
            #expect(!FileManager.default.fileExists(atPath: preview + ".tmp"))
        }
    }

    @Test("a source that ends halfway through its declared length fails mid-render and the temporary file is removed")
    func truncatedSource() throws {
        try withScratch { folder in
            let whole = folder.appendingPathComponent("whole.flac")
            let cut = folder.appendingPathComponent("cut.flac")
            let preview = folder.appendingPathComponent("preview.mp3").path
            try ToneWriter.writeSine(path: whole.path, format: .flac16, frames: 10 * 44_100)
            let data = try Data(contentsOf: whole)
            // libsndfile opens the cut FLAC with its full declared length and decodes about half.
            try data.prefix(data.count / 2).write(to: cut)

            let problem = problemThrown { _ = try PreviewRenderer.render(source: cut.path, destination: preview, options: PreviewOptions()) }

            #expect(problem?.type == "unreadable-audio")
            #expect(problem?.detail.contains("truncated") == true, "\(problem?.detail ?? "")")
            #expect(!FileManager.default.fileExists(atPath: preview))
            #expect(!FileManager.default.fileExists(atPath: preview + ".tmp"))
        }
    }

    @Test("an existing destination is refused and left as it was")
    func existingDestination() throws {
        try withScratch { folder in
            let source = folder.appendingPathComponent("ten.wav").path
            let preview = folder.appendingPathComponent("preview.mp3")
            try ToneWriter.writeSine(path: source, format: .wav16, frames: 10 * 44_100)
            try Data("already here".utf8).write(to: preview)

            let problem = problemThrown { _ = try PreviewRenderer.render(source: source, destination: preview.path, options: PreviewOptions()) }

            #expect(problem?.status == 409)
            #expect(problem?.type == "preview-exists")
            #expect(try Data(contentsOf: preview) == Data("already here".utf8))
            #expect(!FileManager.default.fileExists(atPath: preview.path + ".tmp"))
        }
    }

    // MARK: Pure parts

    @Test("fades are linear: from 0 up over the fade, 1 in the middle, down to 0 at the last frame")
    func fadeGains() {
        let gains = (0..<10).map { PreviewRenderer.fadeGain(frame: Int64($0), frameCount: 10, fadeFrameCount: 4) }
        #expect(gains == [0, 0.25, 0.5, 0.75, 1, 1, 0.75, 0.5, 0.25, 0])
        #expect(PreviewRenderer.fadeGain(frame: 0, frameCount: 10, fadeFrameCount: 0) == 1)
    }

    @Test("the codec asked for is kept when it takes the rate, else MP3, Opus, then Vorbis; nothing takes 384 kHz")
    func formatChoice() {
        #expect(PreviewRenderer.chooseFormat(requested: .mp3, sampleRateHertz: 44_100) == .mp3)
        #expect(PreviewRenderer.chooseFormat(requested: .opus, sampleRateHertz: 48_000) == .opus)
        #expect(PreviewRenderer.chooseFormat(requested: .opus, sampleRateHertz: 44_100) == .mp3)
        #expect(PreviewRenderer.chooseFormat(requested: .mp3, sampleRateHertz: 96_000) == .vorbis)
        #expect(PreviewRenderer.chooseFormat(requested: .opus, sampleRateHertz: 192_000) == .vorbis)
        #expect(PreviewRenderer.chooseFormat(requested: .vorbis, sampleRateHertz: 44_100) == .vorbis)
        #expect(PreviewRenderer.chooseFormat(requested: .mp3, sampleRateHertz: 384_000) == nil)
    }

    @Test("the watermark is silent before 7 s and outside its 150 ms blips, and never above -18 dBFS")
    func watermarkSamples() {
        let rate = 48_000
        let blipStart = Int64(7 * rate)
        let blipFrameCount = Int64(rate * 150 / 1_000)
        #expect((0..<blipStart).allSatisfy { PreviewRenderer.watermarkSample(frame: $0, sampleRateHertz: rate) == 0 })
        let blip = (blipStart..<(blipStart + blipFrameCount)).map { PreviewRenderer.watermarkSample(frame: $0, sampleRateHertz: rate) }
        #expect((blip.map { abs($0) }.max() ?? 0) > 0.12)
        #expect(blip.allSatisfy { abs($0) <= 0.125 })
        #expect(blip.first == 0)
        let after = (blipStart + blipFrameCount)..<(2 * blipStart)
        #expect(after.allSatisfy { PreviewRenderer.watermarkSample(frame: $0, sampleRateHertz: rate) == 0 })
    }
}
