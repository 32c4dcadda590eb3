import CSndFile
import SyncletCore

#if canImport(Glibc)
import Glibc
#endif

/// What the file itself says about its audio, read through libsndfile.
public struct AudioFacts: Codable, Equatable, Sendable {
    /// Container: wav, aiff, flac, ogg, mp3, w64, caf.
    public var container: String
    /// Sample encoding: pcm_16, pcm_24, float, vorbis, opus, mp3, …
    public var encoding: String
    public var sampleRate: Int
    /// Bits per sample for PCM encodings; `nil` for lossy ones, which have none.
    public var bitDepth: Int?
    public var channels: Int
    public var frames: Int64

    /// Duration in whole milliseconds, rounded down.
    public var durationMilliseconds: Int64 { sampleRate > 0 ? frames * 1000 / Int64(sampleRate) : 0 }

    public init(container: String, encoding: String, sampleRate: Int, bitDepth: Int?, channels: Int, frames: Int64) {
        self.container = container
        self.encoding = encoding
        self.sampleRate = sampleRate
        self.bitDepth = bitDepth
        self.channels = channels
        self.frames = frames
    }

    enum CodingKeys: String, CodingKey {
        case container, encoding, channels, frames
        case sampleRate = "sample_rate"
        case bitDepth = "bit_depth"
    }
}

/// Reads audio facts from a file and refuses what is not whole, readable audio.
public enum AudioProbe {
    /// Frames decoded per read when a compressed stream must be decoded to the end.
    static let decodeFrameCountPerRead = 16_384

    /// Opens `path` with libsndfile and returns its facts.
    ///
    /// PCM containers (WAV, AIFF, W64, CAF) are checked through their headers: a data chunk
    /// that claims more bytes than the file holds means a truncated file. Compressed
    /// streams (FLAC, MP3, Ogg) are decoded to the end, since only decoding finds a cut
    /// or corrupt stream; the decoded frame count is the fact recorded.
    public static func probe(path: String) throws(Problem) -> AudioFacts {
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            let reason = String(cString: sf_strerror(nil))
            throw .unreadableAudio("The file is not audio we can read (\(reason)). Upload WAV, AIFF, FLAC, MP3 or Ogg (Vorbis/Opus).")
        }
        defer { sf_close(file) }

        let major = Int(info.format) & Int(SF_FORMAT_TYPEMASK)
        let subtype = Int(info.format) & Int(SF_FORMAT_SUBMASK)
        guard let container = containerName(major: major) else {
            throw .unreadableAudio("This audio container is not accepted. Upload WAV, AIFF, FLAC, MP3 or Ogg (Vorbis/Opus).")
        }
        let (encoding, bitDepth) = encodingName(subtype: subtype)
        guard info.samplerate > 0, info.channels > 0 else {
            throw .unreadableAudio("The file declares no sample rate or channels.")
        }

        var frames = Int64(info.frames)
        if isPCMContainer(major) {
            if let problem = truncationInHeader(file) { throw problem }
            guard frames > 0 else { throw .unreadableAudio("The file holds no audio frames.") }
        } else {
            let decoded = try decodeToEnd(file, channels: Int(info.channels))
            let declaredKnown = frames > 0 && frames < Int64.max / 2
            if !declaredKnown && major == Int(SF_FORMAT_OGG) {
                // Ogg gives no length when its last page is missing: a cut stream.
                throw .unreadableAudio("The Ogg stream ends without its final page: the file is truncated. Upload the complete file.")
            }
            if declaredKnown, decoded < frames - frames / 100 {
                throw .unreadableAudio("The stream decodes to \(decoded) of the \(frames) frames it declares: the file is truncated. Upload the complete file.")
            }
            frames = decoded
            guard frames > 0 else { throw .unreadableAudio("The file holds no audio frames.") }
        }
        return AudioFacts(container: container, encoding: encoding, sampleRate: Int(info.samplerate),
                          bitDepth: bitDepth, channels: Int(info.channels), frames: frames)
    }

    static func isPCMContainer(_ major: Int) -> Bool {
        [SF_FORMAT_WAV, SF_FORMAT_AIFF, SF_FORMAT_W64, SF_FORMAT_CAF, SF_FORMAT_WAVEX, SF_FORMAT_RF64]
            .map { Int($0) }.contains(major)
    }

    static func containerName(major: Int) -> String? {
        switch major {
        case Int(SF_FORMAT_WAV), Int(SF_FORMAT_WAVEX), Int(SF_FORMAT_RF64): "wav"
        case Int(SF_FORMAT_W64): "w64"
        case Int(SF_FORMAT_AIFF): "aiff"
        case Int(SF_FORMAT_CAF): "caf"
        case Int(SF_FORMAT_FLAC): "flac"
        case Int(SF_FORMAT_OGG): "ogg"
        case Int(SF_FORMAT_MPEG): "mp3"
        default: nil
        }
    }

    static func encodingName(subtype: Int) -> (String, Int?) {
        switch subtype {
        case Int(SF_FORMAT_PCM_S8), Int(SF_FORMAT_PCM_U8): ("pcm_8", 8)
        case Int(SF_FORMAT_PCM_16): ("pcm_16", 16)
        case Int(SF_FORMAT_PCM_24): ("pcm_24", 24)
        case Int(SF_FORMAT_PCM_32): ("pcm_32", 32)
        case Int(SF_FORMAT_FLOAT): ("float", 32)
        case Int(SF_FORMAT_DOUBLE): ("double", 64)
        case Int(SF_FORMAT_VORBIS): ("vorbis", nil)
        case Int(SF_FORMAT_OPUS): ("opus", nil)
        case Int(SF_FORMAT_MPEG_LAYER_III): ("mp3", nil)
        case Int(SF_FORMAT_MPEG_LAYER_II): ("mp2", nil)
        case Int(SF_FORMAT_ALAC_16): ("alac", 16)
        case Int(SF_FORMAT_ALAC_24): ("alac", 24)
        case Int(SF_FORMAT_ULAW): ("ulaw", 8)
        case Int(SF_FORMAT_ALAW): ("alaw", 8)
        default: ("other", nil)
        }
    }

    /// libsndfile reads a short PCM file without error and logs the chunk size it found,
    /// e.g. `data : 1764000 (should be 881978)`. A data chunk larger than what is there is
    /// a truncated upload.
    static func truncationInHeader(_ file: OpaquePointer) -> Problem? {
        var log = [CChar](repeating: 0, count: 16_384)
        _ = sf_command(file, Int32(SFC_GET_LOG_INFO), &log, Int32(log.count))
        let text = String(cString: log)
        for line in text.split(separator: "\n") {
            let trimmed = line.drop(while: { $0 == " " })
            guard trimmed.hasPrefix("data") || trimmed.hasPrefix("SSND") else { continue }
            let parts = trimmed.split(separator: "(")
            guard parts.count == 2, parts[1].hasPrefix("should be ") else { continue }
            let declared = Int64(parts[0].split(separator: ":").last?.filter(\.isNumber) ?? "") ?? 0
            let actual = Int64(parts[1].dropFirst("should be ".count).prefix(while: \.isNumber)) ?? 0
            if actual < declared {
                return .unreadableAudio("The audio data is cut short: the header declares \(declared) bytes but the file holds \(actual). Upload the complete file.")
            }
        }
        return nil
    }

    static func decodeToEnd(_ file: OpaquePointer, channels: Int) throws(Problem) -> Int64 {
        var buffer = [Float](repeating: 0, count: decodeFrameCountPerRead * channels)
        var total: Int64 = 0
        while true {
            let read = sf_readf_float(file, &buffer, sf_count_t(decodeFrameCountPerRead))
            if read <= 0 { break }
            total += Int64(read)
        }
        let error = sf_error(file)
        if error != 0 {
            let reason = String(cString: sf_strerror(file))
            throw .unreadableAudio("The audio stream is corrupt or cut short after \(total) frames (\(reason)). Upload the complete file.")
        }
        return total
    }

    /// libsndfile's version string, for `synclet doctor`.
    public static var libraryVersion: String { String(cString: sf_version_string()) }
}
