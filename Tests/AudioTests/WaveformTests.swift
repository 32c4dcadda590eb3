@testable import Audio
import CSndFile
import Foundation
import SyncletCore
import Testing

@Suite("Waveform")
struct WaveformTests {
    @Test("800 points of a 5 s sine at amplitude 0.5 peak near ±0.5 in every slice")
    func sinePeaks() throws {
        let peaks = try withScratch { folder -> WaveformPeaks in
            let path = folder.appendingPathComponent("sine.wav").path
            try ToneWriter.writeSine(path: path, format: .wav16, sampleRate: 44_100, channels: 2, frames: 5 * 44_100)
            return try Waveform.peaks(path: path)
        }
        #expect(peaks.pointCount == 800)
        #expect(peaks.mins.count == 800)
        #expect(peaks.maxs.count == 800)
        #expect(peaks.sampleRate == 44_100)
        #expect(peaks.frames == 5 * 44_100)
        #expect(peaks.channels == 2)
        #expect(peaks.maxs.allSatisfy { (0.45...0.5001).contains($0) }, "\(peaks.maxs.filter { !(0.45...0.5001).contains($0) })")
        #expect(peaks.mins.allSatisfy { (-0.5001 ... -0.45).contains($0) }, "\(peaks.mins.filter { !(-0.5001 ... -0.45).contains($0) })")
    }

    @Test("every value is within [-1, 1] and rounded to 4 decimals, even from a float file beyond full scale")
    func valuesClampedAndRounded() throws {
        let peaks = try withScratch { folder -> WaveformPeaks in
            let path = folder.appendingPathComponent("loud.wav").path
            try writeChannelSines(path: path, frameCount: 44_100, amplitudes: [1.5, 0.3],
                                  format: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT))
            return try Waveform.peaks(path: path, pointCount: 100)
        }
        #expect(peaks.pointCount == 100)
        let values = peaks.mins + peaks.maxs
        #expect(values.allSatisfy { (-1...1).contains($0) })
        #expect(values.allSatisfy { ($0 * 10_000).rounded() / 10_000 == $0 })
        #expect(peaks.maxs.contains(1))
        #expect(peaks.mins.contains(-1))
    }

    @Test("a file with fewer frames than points gets one point per frame")
    func fewerFramesThanPoints() throws {
        let peaks = try withScratch { folder -> WaveformPeaks in
            let path = folder.appendingPathComponent("five.wav").path
            try ToneWriter.writeSine(path: path, format: .wav16, frames: 5)
            return try Waveform.peaks(path: path, pointCount: 10)
        }
        #expect(peaks.pointCount == 5)
        #expect(peaks.mins.count == 5)
        #expect(peaks.maxs.count == 5)
        #expect(peaks.frames == 5)
        // One frame per slice, the same on both channels: min equals max.
        #expect(peaks.mins == peaks.maxs)
    }

    @Test("a four-channel file gives the extremes of all its channels")
    func fourChannels() throws {
        let peaks = try withScratch { folder -> WaveformPeaks in
            let path = folder.appendingPathComponent("quad.wav").path
            try writeChannelSines(path: path, frameCount: 2 * 44_100, amplitudes: [0.1, 0.2, 0.3, 0.8])
            return try Waveform.peaks(path: path, pointCount: 50)
        }
        #expect(peaks.channels == 4)
        #expect(peaks.pointCount == 50)
        #expect(peaks.maxs.allSatisfy { (0.75...0.8001).contains($0) }, "\(peaks.maxs)")
        #expect(peaks.mins.allSatisfy { (-0.8001 ... -0.75).contains($0) }, "\(peaks.mins)")
    }

    @Test("a point count outside 1…4000 is refused with 422 on the points field", arguments: [0, -5, 4_001])
    func badPointCount(_ pointCount: Int) throws {
        try withScratch { folder in
            let path = folder.appendingPathComponent("sine.wav").path
            try ToneWriter.writeSine(path: path, format: .wav16, frames: 44_100)

            let problem = problemThrown { _ = try Waveform.peaks(path: path, pointCount: pointCount) }

            #expect(problem?.status == 422)
            #expect(problem?.type == "validation")
            #expect(problem?.extensions["field"] == "points")
        }
    }

    @Test("random bytes are refused as unreadable audio")
    func randomBytes() throws {
        try withScratch { folder in
            let url = folder.appendingPathComponent("noise.wav")
            try writeRandomBytes(to: url)

            let problem = problemThrown { _ = try Waveform.peaks(path: url.path) }

            #expect(problem?.type == "unreadable-audio")
            #expect(problem?.status == 422)
        }
    }

    @Test("peaks encode with snake_case keys")
    func jsonKeys() throws {
        let peaks = WaveformPeaks(pointCount: 1, sampleRate: 8_000, frames: 3, channels: 1, mins: [-0.25], maxs: [0.5])
        let data = try JSONEncoder().encode(peaks)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(Set(object.keys) == ["point_count", "sample_rate", "frames", "channels", "mins", "maxs"])
        #expect(try JSONDecoder().decode(WaveformPeaks.self, from: data) == peaks)
    }

    // MARK: Pure parts

    @Test("slices split frames by integer division: 10 frames in 3 points are 3, 3 and 4 frames")
    func slicing() {
        var accumulator = PeakAccumulator(frameCount: 10, pointCount: 3)
        let samples = (0..<10).map { Float($0) / 10 }
        accumulator.add(samples, frameCount: 10, channels: 1)
        let peaks = accumulator.rounded()
        #expect(peaks.mins == [0, 0.3, 0.6])
        #expect(peaks.maxs == [0.2, 0.5, 0.9])
    }

    @Test("feeding frames in blocks of any size gives the same peaks as all at once")
    func blockSizesDoNotMatter() {
        var generator = SystemRandomNumberGenerator()
        let frameCount = 1_000
        let samples = (0..<(frameCount * 2)).map { _ in Float.random(in: -1...1, using: &generator) }
        var whole = PeakAccumulator(frameCount: Int64(frameCount), pointCount: 37)
        whole.add(samples, frameCount: frameCount, channels: 2)
        for blockFrameCount in [1, 7, 64, 999] {
            var blocks = PeakAccumulator(frameCount: Int64(frameCount), pointCount: 37)
            var start = 0
            while start < frameCount {
                let count = min(blockFrameCount, frameCount - start)
                blocks.add(Array(samples[(start * 2)..<((start + count) * 2)]), frameCount: count, channels: 2)
                start += count
            }
            #expect(blocks.rounded().mins == whole.rounded().mins, "blocks of \(blockFrameCount)")
            #expect(blocks.rounded().maxs == whole.rounded().maxs, "blocks of \(blockFrameCount)")
        }
    }

    @Test("a slice the stream never reached reads 0")
    func unreachedSlice() {
        var accumulator = PeakAccumulator(frameCount: 4, pointCount: 4)
        accumulator.add([0.5, -0.5], frameCount: 2, channels: 1)
        let peaks = accumulator.rounded()
        #expect(peaks.mins == [0.5, -0.5, 0, 0])
        #expect(peaks.maxs == [0.5, -0.5, 0, 0])
    }
}
