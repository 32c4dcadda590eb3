import Archives
import Foundation
import NIOCore
import Testing

/// Three source files of different sizes (the largest spans many chunks), patterned so that
/// deflate would shrink them: a stored zip must come out larger than their sum.
private func makeBundleSources(in scratch: Scratch) throws -> (items: [BundleItem], contents: [[UInt8]]) {
    let contents = [pattern(10, seed: 1), pattern(300_000, seed: 2), pattern(1_048_583, seed: 3)]
    let names = ["notes.txt", "Night Drive/drums.wav", "Night Drive/Caf\u{E9} – keys.wav"]
    var items = [BundleItem]()
    for (index, bytes) in contents.enumerated() {
        let path = scratch.file("source-\(index)")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        items.append(BundleItem(name: names[index], path: path))
    }
    return (items, contents)
}

@Suite("BundleWriter")
struct BundleWriterTests {
    @Test("a streamed zip of three files reads back with the same names, sizes and bytes, stored in full chunks")
    func streamedZipReadsBack() async throws {
        try await withAsyncScratch { scratch in
            let (items, contents) = try makeBundleSources(in: scratch)
            let chunkByteCount = 64 * 1024
            var zip = [UInt8]()
            var chunkSizes = [Int]()
            for try await chunk in BundleWriter.zipStream(items, chunkByteCount: chunkByteCount, bufferedChunkCountMax: 2) {
                chunkSizes.append(chunk.readableBytes)
                zip.append(contentsOf: chunk.readableBytesView)
            }
            let path = scratch.file("bundle.zip")
            try Data(zip).write(to: URL(fileURLWithPath: path))

            let entries = try TestArchive.readAll(path)
            #expect(entries.map(\.name) == items.map(\.name))
            #expect(entries.map(\.bytes.count) == contents.map(\.count))
            #expect(entries.map(\.bytes) == contents)
            #expect(chunkSizes.dropLast().allSatisfy { $0 == chunkByteCount })
            #expect(zip.count > contents.map(\.count).reduce(0, +), "stored, not deflated")
        }
    }

    @Test("a consumer that stops after the first chunk lets the producer stop instead of hanging",
          .timeLimit(.minutes(1)))
    func earlyStopEndsProducer() async throws {
        try await withAsyncScratch { scratch in
            let path = scratch.file("big.wav")
            try Data(pattern(4 << 20, seed: 9)).write(to: URL(fileURLWithPath: path))
            let (exits, exitContinuation) = AsyncStream<Void>.makeStream()
            do {
                let stream = BundleWriter.zipStream(
                    [BundleItem(name: "big.wav", path: path)], chunkByteCount: 16 * 1024, bufferedChunkCountMax: 2,
                    producerDidExit: {
                        exitContinuation.yield()
                        exitContinuation.finish()
                    })
                var chunkCount = 0
                for try await _ in stream {
                    chunkCount += 1
                    break
                }
                #expect(chunkCount == 1)
            }
            // The stream and its iterator are gone: the producer must notice and exit.
            var producerExited = false
            for await _ in exits {
                producerExited = true
                break
            }
            #expect(producerExited)
        }
    }

    @Test("a missing file ends the stream with an error")
    func missingFileFailsStream() async throws {
        try await withAsyncScratch { scratch in
            let (items, _) = try makeBundleSources(in: scratch)
            let stream = BundleWriter.zipStream(items + [BundleItem(name: "gone.wav", path: scratch.file("missing.wav"))])
            await #expect(throws: BundleError.self) {
                for try await _ in stream {}
            }
        }
    }

    @Test("writeZip writes the same zip to a file")
    func writeZipToFile() throws {
        try withScratch { scratch in
            let (items, contents) = try makeBundleSources(in: scratch)
            let path = scratch.file("bundle.zip")
            try BundleWriter.writeZip(items, to: path)
            let entries = try TestArchive.readAll(path)
            #expect(entries.map(\.name) == items.map(\.name))
            #expect(entries.map(\.bytes) == contents)
        }
    }

    @Test("writeZip refuses a missing file")
    func writeZipMissingFile() throws {
        try withScratch { scratch in
            #expect(throws: BundleError.self) {
                try BundleWriter.writeZip([BundleItem(name: "gone.wav", path: scratch.file("missing.wav"))],
                                          to: scratch.file("bundle.zip"))
            }
        }
    }
}
