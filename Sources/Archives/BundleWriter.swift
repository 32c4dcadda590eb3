import CArchive
import Dispatch
import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One file to put in a bundle.
public struct BundleItem: Sendable {
    /// The path inside the zip, e.g. "Night Drive/drums.wav".
    public var name: String
    /// Where the file's bytes are on disk.
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }
}

/// Why a bundle could not be written: a missing or changed file, or a libarchive error.
/// The server logs it and cuts the response short; the client sees a broken download.
public struct BundleError: Error, CustomStringConvertible, Sendable {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Writes zip bundles of existing files through libarchive, streaming: neither the whole
/// archive nor a whole file is ever held in memory or written to disk.
public enum BundleWriter {
    /// Bytes per chunk when writing a zip to a file.
    static let fileChunkByteCount = 256 * 1024

    /// Streams a zip (stored, not deflated: audio does not compress) of `items` as chunks.
    /// The archive is produced on a background thread; at most `bufferedChunkCountMax` chunks
    /// wait in memory, so a slow client slows the producer instead of growing memory.
    ///
    /// A consumer that stops iterating (or whose task is cancelled) stops the producer. A
    /// missing file or a libarchive failure ends the stream with a `BundleError`.
    public static func zipStream(_ items: [BundleItem], chunkByteCount: Int = 256 * 1024,
                                 bufferedChunkCountMax: Int = 8) -> AsyncThrowingStream<ByteBuffer, any Error> {
        zipStream(items, chunkByteCount: chunkByteCount, bufferedChunkCountMax: bufferedChunkCountMax,
                  producerDidExit: nil)
    }

    /// `zipStream`, calling `producerDidExit` when the producer thread ends (for tests).
    package static func zipStream(_ items: [BundleItem], chunkByteCount: Int, bufferedChunkCountMax: Int,
                                  producerDidExit: (@Sendable () -> Void)?) -> AsyncThrowingStream<ByteBuffer, any Error> {
        precondition(chunkByteCount > 0, "a chunk holds at least one byte")
        precondition(bufferedChunkCountMax > 0, "at least one chunk may wait")
        let gate = ProducerGate(creditCount: bufferedChunkCountMax)
        let (chunks, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        // Runs when the consumer drops the stream or its task is cancelled (and, harmlessly,
        // when the producer finishes).
        continuation.onTermination = { _ in gate.cancel() }
        Thread.detachNewThread {
            defer { producerDidExit?() }
            do {
                try ArchiveLocale.withUTF8 { () throws in
                    try ZipProducer.write(items, chunkByteCount: chunkByteCount) { chunk in
                        try gate.acquire()
                        if case .terminated = continuation.yield(chunk) { throw ConsumerGone() }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        let puller = ChunkPuller(iterator: chunks.makeAsyncIterator(), gate: gate)
        return AsyncThrowingStream(unfolding: { try await puller.next() })
    }

    /// Writes a zip of `items` to `path` (created or truncated) and fsyncs it; for tests and
    /// the CLI. Shares the streaming core with `zipStream`.
    public static func writeZip(_ items: [BundleItem], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BundleError("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try ArchiveLocale.withUTF8 { () throws in
            try ZipProducer.write(items, chunkByteCount: fileChunkByteCount) { chunk in
                try chunk.withUnsafeReadableBytes { bytes in try BundleWriter.writeAll(fd, bytes, path: path) }
            }
        }
        guard fsync(fd) == 0 else { throw BundleError("cannot fsync \(path): \(String(cString: strerror(errno)))") }
    }

    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw BundleError("cannot write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}

/// Thrown inside the producer when nobody reads the stream any more.
private struct ConsumerGone: Error {}

/// Backpressure between the producer thread and the async consumer: the producer takes a
/// credit before yielding each chunk and the consumer returns one as it pulls a chunk.
private final class ProducerGate: @unchecked Sendable {
    // Created at 0 and raised to the credit count, not created at the count: libdispatch
    // traps when a semaphore is freed below its initial value, which is exactly the state a
    // cancelled producer leaves behind.
    private let credits = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var cancelled = false

    init(creditCount: Int) {
        for _ in 0..<creditCount { credits.signal() }
    }

    /// Blocks until a chunk may be yielded; throws once the consumer has gone.
    func acquire() throws {
        credits.wait()
        if isCancelled { throw ConsumerGone() }
    }

    /// The consumer took a chunk.
    func release() {
        credits.signal()
    }

    /// The consumer has gone: wakes a blocked producer so it can see that and stop.
    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
        credits.signal()
    }

    private var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }
}

/// The consumer's side: pulls from the producer's stream and returns a credit per chunk.
/// Only the single iterating task calls `next()`, one call at a time.
private final class ChunkPuller: @unchecked Sendable {
    private var iterator: AsyncThrowingStream<ByteBuffer, any Error>.Iterator
    private let gate: ProducerGate

    init(iterator: AsyncThrowingStream<ByteBuffer, any Error>.Iterator, gate: ProducerGate) {
        self.iterator = iterator
        self.gate = gate
    }

    func next() async throws -> ByteBuffer? {
        guard let chunk = try await iterator.next() else { return nil }
        gate.release()
        return chunk
    }
}

/// The shared core: drives libarchive's zip writer and hands its output on in chunks.
private enum ZipProducer {
    /// Writes the whole zip, calling `emit` with each full chunk and the last partial one.
    static func write(_ items: [BundleItem], chunkByteCount: Int, emit: @escaping (ByteBuffer) throws -> Void) throws {
        let sink = ChunkSink(chunkByteCount: chunkByteCount, emit: emit)
        // The sink must outlive archive_write_free, which may still call the write callback.
        try withExtendedLifetime(sink) { () throws in
            guard let archive = archive_write_new() else { throw BundleError("libarchive could not make a writer") }
            defer { archive_write_free(archive) }
            try configure(archive)
            let opened = archive_write_open2(archive, Unmanaged.passUnretained(sink).toOpaque(), nil,
                                             { _, clientData, bytes, byteCount in
                                                 ChunkSink.receive(clientData, bytes, byteCount)
                                             }, nil, nil)
            try sink.check(opened, archive, "open")
            var buffer = [UInt8](repeating: 0, count: chunkByteCount)
            for item in items {
                try writeItem(item, to: archive, sink: sink, buffer: &buffer)
            }
            try sink.check(archive_write_close(archive), archive, "close")
            try sink.flush()
        }
    }

    /// Zip, stored; UTF-8 names flagged as such; no block padding (libarchive pads its output
    /// to 10 KiB blocks by default, which would leave zeros after the end of the zip).
    private static func configure(_ archive: OpaquePointer) throws {
        try require(archive_write_set_format_zip(archive), archive, "the zip format")
        try require(archive_write_set_options(archive, "zip:compression=store"), archive, "zip:compression=store")
        try require(archive_write_set_options(archive, "zip:hdrcharset=UTF-8"), archive, "zip:hdrcharset=UTF-8")
        try require(archive_write_set_bytes_per_block(archive, 0), archive, "unpadded output")
    }

    private static func require(_ status: Int32, _ archive: OpaquePointer, _ step: String) throws {
        guard status == ARCHIVE_OK else {
            throw BundleError("libarchive refused \(step): \(archiveErrorMessage(archive))")
        }
    }

    private static func writeItem(_ item: BundleItem, to archive: OpaquePointer, sink: ChunkSink,
                                  buffer: inout [UInt8]) throws {
        let fd = open(item.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BundleError("cannot open \"\(item.name)\" at \(item.path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, UInt32(info.st_mode) & ArchiveFileType.mask == ArchiveFileType.regular else {
            throw BundleError("\"\(item.name)\" at \(item.path) is not a regular file")
        }
        let byteCount = Int64(info.st_size)
        try writeHeader(item.name, byteCount: byteCount, modified: modificationSeconds(info), to: archive, sink: sink)
        try copyData(from: fd, byteCount: byteCount, item: item, to: archive, sink: sink, buffer: &buffer)
    }

    private static func writeHeader(_ name: String, byteCount: Int64, modified: Int, to archive: OpaquePointer,
                                    sink: ChunkSink) throws {
        guard let entry = archive_entry_new() else { throw BundleError("libarchive could not make an entry") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, name)
        archive_entry_set_filetype(entry, ArchiveFileType.regular)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_size(entry, byteCount)
        archive_entry_set_mtime(entry, time_t(modified), 0)
        // Only ARCHIVE_OK: a warning here means a mangled name in the bundle.
        let status = archive_write_header(archive, entry)
        if let failure = sink.failure { throw failure }
        guard status == ARCHIVE_OK else {
            throw BundleError("libarchive refused the header of \"\(name)\": \(archiveErrorMessage(archive))")
        }
    }

    /// Copies exactly `byteCount` bytes; a file that shrank while being read is an error
    /// (the zip already promised its size), and one that grew is cut at that size.
    private static func copyData(from fd: Int32, byteCount: Int64, item: BundleItem, to archive: OpaquePointer,
                                 sink: ChunkSink, buffer: inout [UInt8]) throws {
        var remaining = byteCount
        while remaining > 0 {
            let wanted = Int(min(Int64(buffer.count), remaining))
            let got = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, wanted) }
            if got < 0 {
                if errno == EINTR { continue }
                throw BundleError("cannot read \"\(item.name)\": \(String(cString: strerror(errno)))")
            }
            guard got > 0 else { throw BundleError("\"\(item.name)\" shrank while it was being bundled") }
            try writeData(buffer, count: got, to: archive, sink: sink)
            remaining -= Int64(got)
        }
    }

    private static func writeData(_ buffer: [UInt8], count: Int, to archive: OpaquePointer, sink: ChunkSink) throws {
        var offset = 0
        while offset < count {
            let written = buffer.withUnsafeBytes { bytes in
                archive_write_data(archive, bytes.baseAddress! + offset, count - offset)
            }
            if let failure = sink.failure { throw failure }
            guard written > 0 else { throw BundleError("libarchive could not write data: \(archiveErrorMessage(archive))") }
            offset += written
        }
    }

    private static func modificationSeconds(_ info: stat) -> Int {
        #if canImport(Darwin)
        return Int(info.st_mtimespec.tv_sec)
        #else
        return Int(info.st_mtim.tv_sec)
        #endif
    }
}

/// Receives libarchive's output through the C write callback and cuts it into chunks of
/// exactly `chunkByteCount` bytes (the last one may be shorter).
private final class ChunkSink {
    private let chunkByteCount: Int
    private let emit: (ByteBuffer) throws -> Void
    private let allocator: ByteBufferAllocator
    private var chunk: ByteBuffer
    /// The first error from `emit`; libarchive only learns "-1", so the real reason waits here.
    private(set) var failure: (any Error)?

    init(chunkByteCount: Int, emit: @escaping (ByteBuffer) throws -> Void) {
        let allocator = ByteBufferAllocator()
        self.chunkByteCount = chunkByteCount
        self.emit = emit
        self.allocator = allocator
        chunk = allocator.buffer(capacity: chunkByteCount)
    }

    /// The C callback's body; `clientData` is this sink, passed unretained.
    static func receive(_ clientData: UnsafeMutableRawPointer?, _ bytes: UnsafeRawPointer?, _ byteCount: Int) -> la_ssize_t {
        guard let clientData else { return -1 }
        let sink = Unmanaged<ChunkSink>.fromOpaque(clientData).takeUnretainedValue()
        guard byteCount > 0 else { return 0 }
        return sink.accept(UnsafeRawBufferPointer(start: bytes, count: byteCount))
    }

    private func accept(_ bytes: UnsafeRawBufferPointer) -> la_ssize_t {
        guard failure == nil else { return -1 }
        do {
            try append(bytes)
            return la_ssize_t(bytes.count)
        } catch {
            failure = error
            return -1
        }
    }

    private func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let taken = min(chunkByteCount - chunk.readableBytes, bytes.count - offset)
            chunk.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + taken)]))
            offset += taken
            if chunk.readableBytes >= chunkByteCount { try emitChunk() }
        }
    }

    /// Hands on the last, partial chunk.
    func flush() throws {
        if let failure { throw failure }
        if chunk.readableBytes > 0 { try emitChunk() }
    }

    private func emitChunk() throws {
        let full = chunk
        chunk = allocator.buffer(capacity: chunkByteCount)
        try emit(full)
    }

    /// Throws the sink's own failure first (the real reason), then libarchive's.
    func check(_ status: Int32, _ archive: OpaquePointer, _ step: String) throws {
        if let failure { throw failure }
        guard status == ARCHIVE_OK else {
            throw BundleError("libarchive failed to \(step) the zip: \(archiveErrorMessage(archive))")
        }
    }
}
