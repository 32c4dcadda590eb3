import CSndFile
import SyncletCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How to cut a browsing preview from a catalog asset: which window, how it fades, whether
/// it is watermarked and which codec carries it.
public struct PreviewOptions: Sendable, Equatable {
    /// The codec of a preview. Callers ask for `.mp3` or `.opus`; `.vorbis` is where the
    /// renderer falls back when neither accepts the source's sample rate, since it never
    /// resamples.
    public enum Format: String, Sendable, Codable {
        case mp3, opus, vorbis
    }

    /// The preview length when nobody asks for another, in seconds.
    public static let durationSecondsDefault: Double = 30
    /// The longest preview anyone may ask for, in seconds: enough to judge a cue, too little
    /// to use it.
    public static let durationSecondsMax: Double = 120

    /// Where the window starts in the source, in seconds.
    public var startSeconds: Double = 0
    /// How long the window lasts, in seconds; clipped to the end of the source.
    public var durationSeconds: Double = PreviewOptions.durationSecondsDefault
    /// Length of the linear fade-in at the start and of the linear fade-out at the end, so a
    /// preview neither starts nor stops with a click.
    public var fadeMilliseconds: Int = 500
    /// Mixes in a soft 1 kHz blip (150 ms, about −18 dBFS, 10 ms ramps) every 7 seconds, so a
    /// copied preview is audibly not the licensed file.
    public var watermark: Bool = false
    /// The codec asked for; `PreviewFacts.format` says which one was written.
    public var format: Format = .mp3

    public init() {}
}

/// What a rendered preview is: the codec actually written (after any fallback) and the
/// shape of its audio.
public struct PreviewFacts: Sendable, Equatable {
    /// The codec written; differs from the one asked for when that one cannot carry the
    /// source's sample rate.
    public let format: PreviewOptions.Format
    /// "mp3" or "ogg".
    public let container: String
    /// The source's own rate: previews are never resampled.
    public let sampleRate: Int
    /// 1 or 2: sources with more channels are downmixed to stereo.
    public let channels: Int
    /// Frames written.
    public let frames: Int64

    public init(format: PreviewOptions.Format, container: String, sampleRate: Int, channels: Int, frames: Int64) {
        self.format = format
        self.container = container
        self.sampleRate = sampleRate
        self.channels = channels
        self.frames = frames
    }
}

/// Everything the render loop needs, worked out from the options and the source's header
/// before any file is written.
struct PreviewPlan: Equatable {
    var format: PreviewOptions.Format
    var sampleRate: Int
    var sourceChannels: Int
    var outputChannels: Int
    /// The source's length as its header declares it.
    var sourceFrameCount: Int64
    /// First source frame of the window.
    var startFrame: Int64
    /// Frames in the window, already clipped to the end of the source.
    var frameCount: Int64
    /// Frames of each fade, at most half the window.
    var fadeFrameCount: Int64
    var watermark: Bool
}

/// Renders compressed, audible previews through libsndfile, decoding the source a block
/// at a time so that an hour-long stem never sits in memory.
public enum PreviewRenderer {
    /// Frames decoded, shaped and encoded per step.
    static let blockFrameCount = 8_192
    /// Rates libsndfile 1.2.0 (LAME) writes as MP3; others fail at `sf_open`.
    static let mp3SampleRatesHertz: Set<Int> = [8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000]
    /// Rates libsndfile 1.2.0 (libopus) writes as Ogg Opus; others fail at `sf_open`.
    static let opusSampleRatesHertz: Set<Int> = [8_000, 12_000, 16_000, 24_000, 48_000]
    /// Rates checked to write and decode as Ogg Vorbis (libvorbis 1.3.7). From 256 kHz up the
    /// first write fails, so nothing above 192 kHz is tried.
    static let vorbisSampleRatesHertz: ClosedRange<Int> = 4_000...192_000
    /// Where a request falls back to, in order, when its own codec refuses the sample rate.
    static let fallbackOrder: [PreviewOptions.Format] = [.mp3, .opus, .vorbis]
    /// Previews are mono or stereo; more channels are downmixed.
    static let outputChannelCountMax = 2
    /// One watermark blip starts every this many seconds, from this many seconds in (not at
    /// 0, where it would sit inside the fade-in).
    static let watermarkIntervalSeconds = 7
    static let watermarkBlipMilliseconds = 150
    /// Linear ramps at both ends of a blip, so the blip itself does not click.
    static let watermarkRampMilliseconds = 10
    static let watermarkFrequencyHertz = 1_000.0
    /// 0.125 of full scale is about −18 dBFS: audible over music, not harsh.
    static let watermarkAmplitudeFullScale: Float = 0.125
    /// How far short of its declared length a source may decode before it counts as
    /// truncated, in percent of that length (the tolerance `AudioProbe` allows too).
    static let shortfallPercentMax: Int64 = 1
    /// The preview is written under this suffix and renamed into place when complete.
    static let temporarySuffix = ".tmp"

    /// Renders the preview of `source` into `destination` (which must not exist), returns its facts.
    ///
    /// The window is decoded from `startSeconds` for `durationSeconds` (clipped to the end of
    /// the source), downmixed to at most two channels, optionally watermarked, faded in and
    /// out linearly, and written to `destination + ".tmp"`, which is renamed to `destination`
    /// only when complete and removed on any failure. If the requested codec cannot carry the
    /// source's sample rate the renderer falls back (MP3 ↔ Opus, then Ogg Vorbis) rather than
    /// resample; `PreviewFacts.format` says which codec was written.
    public static func render(source: String, destination: String, options: PreviewOptions) throws(Problem) -> PreviewFacts {
        try validate(options)
        var info = SF_INFO()
        guard let input = sf_open(source, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            throw .unreadableAudio("The source is not audio we can read (\(reason)), so it has no preview. Upload WAV, AIFF, FLAC, MP3 or Ogg (Vorbis/Opus).")
        }
        defer { sf_close(input) }
        let plan = try makePlan(options, sampleRate: Int(info.samplerate), channels: Int(info.channels),
                                frames: Int64(info.frames))
        guard access(destination, F_OK) != 0 else {
            throw .conflict("preview-exists", "A preview already exists at the destination; remove it or render to a new name.")
        }
        let temporary = destination + temporarySuffix
        do throws(Problem) {
            let written = try encode(input, plan: plan, to: temporary)
            guard rename(temporary, destination) == 0 else {
                throw renderFailure("Moving the finished preview into place failed (\(String(cString: strerror(errno)))).")
            }
            return PreviewFacts(format: plan.format, container: plan.format.container, sampleRate: plan.sampleRate,
                                channels: plan.outputChannels, frames: written)
        } catch {
            _ = unlink(temporary)
            throw error
        }
    }

    /// Checks what can be checked without the source; each refusal says what to send instead.
    static func validate(_ options: PreviewOptions) throws(Problem) {
        guard options.startSeconds.isFinite, options.startSeconds >= 0 else {
            throw .invalid("The preview start must be 0 seconds or later; got \(options.startSeconds).", field: "preview")
        }
        guard options.durationSeconds.isFinite, options.durationSeconds > 0,
              options.durationSeconds <= PreviewOptions.durationSecondsMax else {
            throw .invalid("The preview duration must be more than 0 and at most \(Int(PreviewOptions.durationSecondsMax)) seconds; got \(options.durationSeconds).", field: "preview")
        }
        guard options.fadeMilliseconds >= 0, Double(options.fadeMilliseconds) <= options.durationSeconds * 500 else {
            throw .invalid("The fade must be between 0 and half the preview (\(Int(options.durationSeconds * 500)) ms); got \(options.fadeMilliseconds) ms.", field: "preview")
        }
    }

    /// Places the window in the source and picks the codec.
    ///
    /// The fade was checked against the requested duration; when the window is clipped by a
    /// short source, the fade shrinks to half of what remains instead of refusing the default
    /// options for short loops.
    static func makePlan(_ options: PreviewOptions, sampleRate: Int, channels: Int, frames: Int64) throws(Problem) -> PreviewPlan {
        // An unknown length (Ogg without its last page) is reported as a huge count.
        guard sampleRate > 0, channels > 0, frames > 0, frames < Int64.max / 2 else {
            throw .unreadableAudio("The source declares no sample rate, channels or length, so it has no preview. Upload the complete file.")
        }
        let sourceSeconds = Double(frames) / Double(sampleRate)
        // Compared in seconds first, so a huge start never overflows the frame count.
        let startFrame = options.startSeconds < sourceSeconds ? Int64(options.startSeconds * Double(sampleRate)) : frames
        guard startFrame < frames else {
            throw .invalid("The preview start (\(options.startSeconds) s) is at or past the end of the \(sourceSeconds) s source; start earlier.", field: "preview")
        }
        let requestedFrameCount = max(1, Int64((options.durationSeconds * Double(sampleRate)).rounded()))
        let frameCount = min(requestedFrameCount, frames - startFrame)
        let fadeFrameCount = min(Int64(options.fadeMilliseconds) * Int64(sampleRate) / 1_000, frameCount / 2)
        guard let format = chooseFormat(requested: options.format, sampleRateHertz: sampleRate) else {
            throw .invalid("No preview codec carries \(sampleRate) Hz without resampling (MP3 and Opus take at most 48 kHz, Vorbis at most 192 kHz). Upload a version at 192 kHz or lower.", field: "preview")
        }
        return PreviewPlan(format: format, sampleRate: sampleRate, sourceChannels: channels,
                           outputChannels: min(channels, outputChannelCountMax), sourceFrameCount: frames,
                           startFrame: startFrame, frameCount: frameCount, fadeFrameCount: fadeFrameCount,
                           watermark: options.watermark)
    }

    /// The requested codec if it accepts the rate, else the first in `fallbackOrder` that does.
    static func chooseFormat(requested: PreviewOptions.Format, sampleRateHertz: Int) -> PreviewOptions.Format? {
        let candidates = [requested] + fallbackOrder.filter { $0 != requested }
        return candidates.first { $0.accepts(sampleRateHertz: sampleRateHertz) }
    }

    /// Writes the planned window into a new file at `path` and returns the frames written.
    static func encode(_ input: OpaquePointer, plan: PreviewPlan, to path: String) throws(Problem) -> Int64 {
        var info = SF_INFO()
        info.samplerate = Int32(plan.sampleRate)
        info.channels = Int32(plan.outputChannels)
        info.format = plan.format.libsndfileFormat
        guard let output = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw renderFailure("libsndfile cannot create the \(plan.format.rawValue) preview (\(String(cString: sf_strerror(nil)))).")
        }
        configure(output, format: plan.format)
        let written: Int64
        do throws(Problem) {
            written = try stream(from: input, to: output, plan: plan)
        } catch {
            _ = sf_close(output)
            throw error
        }
        // Closing flushes the encoder's last frames and headers: a failure here is a broken file.
        guard sf_close(output) == 0 else {
            throw renderFailure("Finishing the \(plan.format.rawValue) preview failed.")
        }
        return written
    }

    /// Sets the codec's quality; libsndfile only honours it before the first frame is written.
    ///
    /// Measured on libsndfile 1.2.0: MP3 at level 0.65 with a constant bitrate is 128 kbit/s,
    /// a size that is predictable and seeks well in browsers over `Range` requests. A refused
    /// command leaves the encoder's default quality, which still makes a good preview.
    static func configure(_ output: OpaquePointer, format: PreviewOptions.Format) {
        var level = format.compressionLevel
        _ = sf_command(output, Int32(SFC_SET_COMPRESSION_LEVEL), &level, Int32(MemoryLayout<Double>.size))
        guard format == .mp3 else { return }
        var mode = Int32(SF_BITRATE_MODE_CONSTANT)
        _ = sf_command(output, Int32(SFC_SET_BITRATE_MODE), &mode, Int32(MemoryLayout<Int32>.size))
    }

    /// Decodes the window a block at a time, shapes each block and encodes it.
    static func stream(from input: OpaquePointer, to output: OpaquePointer, plan: PreviewPlan) throws(Problem) -> Int64 {
        if plan.startFrame > 0 {
            guard sf_seek(input, sf_count_t(plan.startFrame), SEEK_SET) == sf_count_t(plan.startFrame) else {
                throw .unreadableAudio("The source cannot be read from \(plan.startFrame) frames in (\(String(cString: sf_strerror(input)))). Upload the complete file.")
            }
        }
        var source = [Float](repeating: 0, count: blockFrameCount * plan.sourceChannels)
        var shaped = [Float](repeating: 0, count: blockFrameCount * plan.outputChannels)
        var done: Int64 = 0
        while done < plan.frameCount {
            let wanted = Int(min(Int64(blockFrameCount), plan.frameCount - done))
            let count = Int(sf_readf_float(input, &source, sf_count_t(wanted)))
            if count <= 0 { break }
            shape(source, into: &shaped, frameCount: count, firstFrame: done, plan: plan)
            let wrote = sf_writef_float(output, &shaped, sf_count_t(count))
            guard wrote == sf_count_t(count) else {
                throw renderFailure("The \(plan.format.rawValue) encoder took \(wrote) of \(count) frames (\(String(cString: sf_strerror(output)))).")
            }
            done += Int64(count)
        }
        try checkSource(input, endedAt: plan.startFrame + done, plan: plan)
        return done
    }

    /// A source that errs, or ends well before its declared length, is damaged: no preview
    /// is better than a wrong one. A shortfall within `shortfallPercentMax` (MP3 length
    /// estimates) is accepted, at the cost of a fade-out that does not reach silence.
    static func checkSource(_ input: OpaquePointer, endedAt frame: Int64, plan: PreviewPlan) throws(Problem) {
        if sf_error(input) != 0 {
            throw .unreadableAudio("The source is corrupt after \(frame) frames (\(String(cString: sf_strerror(input)))). Upload the complete file.")
        }
        let slack = plan.sourceFrameCount * shortfallPercentMax / 100
        if frame < plan.startFrame + plan.frameCount, frame < plan.sourceFrameCount - slack {
            throw .unreadableAudio("The source ends after \(frame) of the \(plan.sourceFrameCount) frames it declares: it is truncated. Upload the complete file.")
        }
    }

    /// Downmixes, watermarks and fades one block; `firstFrame` is the block's first frame
    /// within the preview. The watermark is faded with the music so it never pops out of
    /// silence, and every sample is clamped to full scale so the encoder never sees overs.
    static func shape(_ source: [Float], into output: inout [Float], frameCount: Int, firstFrame: Int64, plan: PreviewPlan) {
        for frame in 0..<frameCount {
            let position = firstFrame + Int64(frame)
            let gain = fadeGain(frame: position, frameCount: plan.frameCount, fadeFrameCount: plan.fadeFrameCount)
            let mark: Float = plan.watermark ? watermarkSample(frame: position, sampleRateHertz: plan.sampleRate) : 0
            for channel in 0..<plan.outputChannels {
                let music = downmixed(source, frame: frame, channel: channel, sourceChannels: plan.sourceChannels)
                output[frame * plan.outputChannels + channel] = min(max((music + mark) * gain, -1), 1)
            }
        }
    }

    /// Output `channel` of `frame`: the source channel itself for mono and stereo; beyond
    /// two, the average of the source channels of the same parity (0, 2, 4… to the left,
    /// 1, 3, 5… to the right).
    static func downmixed(_ source: [Float], frame: Int, channel: Int, sourceChannels: Int) -> Float {
        let base = frame * sourceChannels
        guard sourceChannels > outputChannelCountMax else { return source[base + channel] }
        var sum: Float = 0
        var count = 0
        for sourceChannel in stride(from: channel, to: sourceChannels, by: outputChannelCountMax) {
            sum += source[base + sourceChannel]
            count += 1
        }
        return sum / Float(count)
    }

    /// Linear gain at `frame` of a window of `frameCount` frames: rises from 0 over the
    /// first `fadeFrameCount` frames, falls to 0 over the last ones, 1 in between.
    static func fadeGain(frame: Int64, frameCount: Int64, fadeFrameCount: Int64) -> Float {
        guard fadeFrameCount > 0 else { return 1 }
        let fromEdge = min(frame, frameCount - 1 - frame)
        guard fromEdge < fadeFrameCount else { return 1 }
        return Float(fromEdge) / Float(fadeFrameCount)
    }

    /// The watermark at `frame` of the preview: a 1 kHz blip of 150 ms with 10 ms linear
    /// ramps, starting every 7 s from 7 s on; 0 elsewhere.
    static func watermarkSample(frame: Int64, sampleRateHertz: Int) -> Float {
        let rate = Int64(sampleRateHertz)
        let intervalFrameCount = Int64(watermarkIntervalSeconds) * rate
        guard frame >= intervalFrameCount else { return 0 }
        let offset = frame % intervalFrameCount
        let blipFrameCount = Int64(watermarkBlipMilliseconds) * rate / 1_000
        guard offset < blipFrameCount else { return 0 }
        let rampFrameCount = max(1, Int64(watermarkRampMilliseconds) * rate / 1_000)
        let envelope = Float(min(offset, blipFrameCount - 1 - offset, rampFrameCount)) / Float(rampFrameCount)
        let phase = 2 * Double.pi * watermarkFrequencyHertz * Double(offset) / Double(rate)
        return watermarkAmplitudeFullScale * envelope * Float(sin(phase))
    }

    /// Writing the preview failed on our side (disk, encoder); the source is fine and a
    /// retry may work. No path in the detail: it may reach a client.
    static func renderFailure(_ detail: String) -> Problem {
        Problem(status: 500, type: "preview-failed", title: "The preview could not be written", detail: detail)
    }
}

extension PreviewOptions.Format {
    /// libsndfile's major format and encoding for this codec.
    var libsndfileFormat: Int32 {
        switch self {
        case .mp3: Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
        case .opus: Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
        case .vorbis: Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
        }
    }

    /// The container's name, as `AudioFacts.container` spells it.
    var container: String {
        self == .mp3 ? "mp3" : "ogg"
    }

    /// libsndfile's compression level, 0 (best) … 1 (smallest). Measured on libsndfile 1.2.0
    /// with stereo at 44.1/48 kHz: MP3 0.65 at constant bitrate is 128 kbit/s; Opus 0.85 is
    /// about 90 kbit/s; Vorbis 0.6 is libvorbis quality 0.4, libsndfile's own default.
    var compressionLevel: Double {
        switch self {
        case .mp3: 0.65
        case .opus: 0.85
        case .vorbis: 0.6
        }
    }

    /// Whether libsndfile can write this codec at `sampleRateHertz` (no resampling).
    func accepts(sampleRateHertz: Int) -> Bool {
        switch self {
        case .mp3: PreviewRenderer.mp3SampleRatesHertz.contains(sampleRateHertz)
        case .opus: PreviewRenderer.opusSampleRatesHertz.contains(sampleRateHertz)
        case .vorbis: PreviewRenderer.vorbisSampleRatesHertz.contains(sampleRateHertz)
        }
    }
}
