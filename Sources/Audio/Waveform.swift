import CSndFile
import SyncletCore

/// The outline of a file's audio, for drawing it in a browser: per slice, the lowest and the
/// highest sample of any channel.
public struct WaveformPeaks: Codable, Sendable, Equatable {
    /// Number of slices: the number asked for, or the frame count when the file is shorter.
    public let pointCount: Int
    public let sampleRate: Int
    /// Frames in the file, as its header declares them; the slices divide this count.
    public let frames: Int64
    public let channels: Int
    /// min and max of all channels in each of `pointCount` equal slices, rounded to 4 decimals, in [-1, 1].
    public let mins: [Float]
    public let maxs: [Float]

    public init(pointCount: Int, sampleRate: Int, frames: Int64, channels: Int, mins: [Float], maxs: [Float]) {
        self.pointCount = pointCount
        self.sampleRate = sampleRate
        self.frames = frames
        self.channels = channels
        self.mins = mins
        self.maxs = maxs
    }

    enum CodingKeys: String, CodingKey {
        case frames, channels, mins, maxs
        case pointCount = "point_count"
        case sampleRate = "sample_rate"
    }
}

/// Reads waveform peaks through libsndfile.
public enum Waveform {
    /// Points when the caller does not say: about one per pixel of a wide player.
    public static let pointCountDefault = 800
    /// Points a caller may ask for: more than any screen draws, few enough to keep the JSON small.
    public static let pointCountMax = 4_000
    /// Frames decoded per read.
    static let blockFrameCount = 8_192

    /// One streaming pass over the file (sf_readf_float in blocks), never the whole file in memory.
    ///
    /// Point `i` covers frames `[i * frames / pointCount, (i + 1) * frames / pointCount)` of
    /// the declared frame count; a file with fewer frames than points gets one point per frame.
    public static func peaks(path: String, pointCount: Int = Waveform.pointCountDefault) throws(Problem) -> WaveformPeaks {
        guard (1...pointCountMax).contains(pointCount) else {
            throw .invalid("points must be between 1 and \(pointCountMax); got \(pointCount).", field: "points")
        }
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            throw .unreadableAudio("The file is not audio we can read (\(reason)), so it has no waveform.")
        }
        defer { sf_close(file) }
        let frames = Int64(info.frames)
        let channels = Int(info.channels)
        // An unknown length (Ogg without its last page) is reported as a huge count.
        guard info.samplerate > 0, channels > 0, frames > 0, frames < Int64.max / 2 else {
            throw .unreadableAudio("The file declares no sample rate, channels or length, so it has no waveform. Upload the complete file.")
        }
        var accumulator = PeakAccumulator(frameCount: frames, pointCount: Int(min(Int64(pointCount), frames)))
        try accumulate(file, channels: channels, into: &accumulator)
        let rounded = accumulator.rounded()
        return WaveformPeaks(pointCount: accumulator.pointCount, sampleRate: Int(info.samplerate), frames: frames,
                             channels: channels, mins: rounded.mins, maxs: rounded.maxs)
    }

    /// Decodes the whole file a block at a time into `accumulator`.
    static func accumulate(_ file: OpaquePointer, channels: Int, into accumulator: inout PeakAccumulator) throws(Problem) {
        var buffer = [Float](repeating: 0, count: blockFrameCount * channels)
        var total: Int64 = 0
        while true {
            let count = Int(sf_readf_float(file, &buffer, sf_count_t(blockFrameCount)))
            if count <= 0 { break }
            accumulator.add(buffer, frameCount: count, channels: channels)
            total += Int64(count)
        }
        if sf_error(file) != 0 {
            let reason = String(cString: sf_strerror(file))
            throw .unreadableAudio("The audio stream is corrupt after \(total) frames (\(reason)). Upload the complete file.")
        }
    }
}

/// Folds frames, in order, into `pointCount` equal slices of `frameCount` frames, keeping
/// each slice's lowest and highest sample. Pure, so the slicing is tested without files.
struct PeakAccumulator {
    let frameCount: Int64
    let pointCount: Int
    /// Per slice; `+infinity` / `-infinity` until the slice sees a sample.
    private(set) var mins: [Float]
    private(set) var maxs: [Float]
    /// The slice the next frame belongs to, and the first frame after it.
    private var point = 0
    private var pointEnd: Int64
    /// Frames seen so far.
    private var frame: Int64 = 0

    init(frameCount: Int64, pointCount: Int) {
        precondition(pointCount >= 1 && Int64(pointCount) <= frameCount, "every slice must hold at least one frame")
        self.frameCount = frameCount
        self.pointCount = pointCount
        mins = [Float](repeating: .infinity, count: pointCount)
        maxs = [Float](repeating: -.infinity, count: pointCount)
        pointEnd = frameCount / Int64(pointCount)
    }

    /// Adds `frameCount` interleaved frames of `channels` channels from the start of `samples`.
    /// Frames past the declared count (a length estimate that was short) join the last slice.
    mutating func add(_ samples: [Float], frameCount count: Int, channels: Int) {
        for index in 0..<count {
            while frame >= pointEnd, point < pointCount - 1 {
                point += 1
                pointEnd = Int64(point + 1) * frameCount / Int64(pointCount)
            }
            let base = index * channels
            for channel in 0..<channels {
                // Float files may exceed full scale; NaN fails both comparisons and is skipped.
                let sample = min(max(samples[base + channel], -1), 1)
                if sample < mins[point] { mins[point] = sample }
                if sample > maxs[point] { maxs[point] = sample }
            }
            frame += 1
        }
    }

    /// The peaks rounded to 4 decimals; a slice the stream never reached (a file shorter than
    /// its header says) reads 0.
    func rounded() -> (mins: [Float], maxs: [Float]) {
        (mins.map(Self.tidy), maxs.map(Self.tidy))
    }

    static func tidy(_ value: Float) -> Float {
        guard value.isFinite else { return 0 }
        return (value * 10_000).rounded() / 10_000
    }
}
