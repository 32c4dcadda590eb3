import CSndFile
import SyncletCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes test tones through libsndfile, so tests and benchmarks make their own audio
/// instead of committing binaries.
public enum ToneWriter {
    /// Containers and encodings the writer can produce.
    public enum Format: String, Sendable, CaseIterable {
        case wav16, wav24, aiff24, flac16, oggVorbis, oggOpus, mp3

        var libsndfileFormat: Int32 {
            switch self {
            case .wav16: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .wav24: Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_24)
            case .aiff24: Int32(SF_FORMAT_AIFF | SF_FORMAT_PCM_24)
            case .flac16: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            case .oggVorbis: Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
            case .oggOpus: Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
            case .mp3: Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
            }
        }

        /// The usual file extension.
        public var fileExtension: String {
            switch self {
            case .wav16, .wav24: "wav"
            case .aiff24: "aiff"
            case .flac16: "flac"
            case .oggVorbis, .oggOpus: "ogg"
            case .mp3: "mp3"
            }
        }
    }

    static let framesPerWrite = 16_384

    /// Writes `frames` frames of a sine at `frequency` Hz, written a block at a time so a
    /// gigabyte of tone never sits in memory.
    public static func writeSine(path: String, format: Format, sampleRate: Int = 44_100, channels: Int = 2,
                                 frames: Int64, frequency: Double = 440) throws(Problem) {
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format.libsndfileFormat
        guard sf_format_check(&info) == 1 else {
            throw .invalid("libsndfile cannot write \(format.rawValue) at \(sampleRate) Hz × \(channels).")
        }
        guard let file = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw .invalid("cannot create \(path): \(String(cString: sf_strerror(nil)))")
        }
        defer { sf_close(file) }
        var buffer = [Float](repeating: 0, count: framesPerWrite * channels)
        var written: Int64 = 0
        let step = 2 * Double.pi * frequency / Double(sampleRate)
        while written < frames {
            let count = Int(min(Int64(framesPerWrite), frames - written))
            for frame in 0..<count {
                let value = Float(0.5 * _sin(step * Double(written + Int64(frame))))
                for channel in 0..<channels { buffer[frame * channels + channel] = value }
            }
            let done = sf_writef_float(file, &buffer, sf_count_t(count))
            guard done == count else {
                throw .invalid("libsndfile wrote \(done) of \(count) frames: \(String(cString: sf_strerror(file)))")
            }
            written += Int64(count)
        }
    }

    private static func _sin(_ x: Double) -> Double {
        #if canImport(Glibc)
        return Glibc.sin(x)
        #else
        return Foundation.sin(x)
        #endif
    }
}
