import ArgumentParser
import Audio
import CArchive
import COpenSSL
import Foundation
import SyncletCore

/// `synclet doctor`: which system libraries this build runs on.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the versions of the system libraries Synclet uses.")

    func run() throws {
        print("openssl     \(String(cString: OpenSSL_version(Int32(OPENSSL_VERSION))))")
        print("libarchive  \(String(cString: archive_version_details()))")
        print("libsndfile  \(AudioProbe.libraryVersion)")
    }
}

/// `synclet tone`: writes a sine-wave audio file (for trying uploads and for benchmarks).
struct Tone: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a test tone: a sine wave in any supported format.",
        discussion: "Example: synclet tone --seconds 30 --format flac16 --output tone.flac")

    @Option(help: "Length in seconds.") var seconds: Double = 10
    @Option(help: "wav16, wav24, aiff24, flac16, oggVorbis, oggOpus or mp3.") var format: String = "wav16"
    @Option(help: "Sample rate in Hz.") var sampleRate: Int = 44_100
    @Option(help: "Frequency in Hz.") var frequency: Double = 440
    @Option(name: .shortAndLong, help: "Output file.") var output: String

    func run() throws {
        guard let format = ToneWriter.Format(rawValue: format) else {
            throw ValidationError("Unknown format \(format); use one of \(ToneWriter.Format.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        do {
            try ToneWriter.writeSine(path: output, format: format, sampleRate: sampleRate,
                                     frames: Int64(seconds * Double(sampleRate)), frequency: frequency)
        } catch {
            throw ValidationError(error.detail)
        }
        print("Wrote \(output)")
    }
}
