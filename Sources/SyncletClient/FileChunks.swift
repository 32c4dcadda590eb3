#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Reads a byte range of a file as a stream of buffers, for streaming uploads: the file is
/// never loaded whole. `onBytes` is told each chunk's size (progress bars).
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public let path: String
    public let offset: Int64
    public let length: Int64
    public let chunkByteCount: Int
    public let onBytes: @Sendable (Int) -> Void

    public init(path: String, offset: Int64, length: Int64, chunkByteCount: Int = 1 << 20,
                onBytes: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.path = path
        self.offset = offset
        self.length = length
        self.chunkByteCount = chunkByteCount
        self.onBytes = onBytes
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(path: path, position: offset, end: offset + length, chunkByteCount: chunkByteCount, onBytes: onBytes)
    }

    public struct FileReadError: Error, CustomStringConvertible {
        public let path: String
        public let code: Int32
        public var description: String { "cannot read \(path): \(String(cString: strerror(code)))" }
    }

    public final class Iterator: AsyncIteratorProtocol {
        let path: String
        var position: Int64
        let end: Int64
        let chunkByteCount: Int
        let onBytes: @Sendable (Int) -> Void
        var fd: Int32 = -1

        init(path: String, position: Int64, end: Int64, chunkByteCount: Int, onBytes: @escaping @Sendable (Int) -> Void) {
            self.path = path
            self.position = position
            self.end = end
            self.chunkByteCount = chunkByteCount
            self.onBytes = onBytes
        }

        deinit { if fd >= 0 { close(fd) } }

        public func next() async throws -> ByteBuffer? {
            guard position < end else { return nil }
            if fd < 0 {
                fd = open(path, O_RDONLY | O_CLOEXEC)
                guard fd >= 0 else { throw FileReadError(path: path, code: errno) }
            }
            let want = Int(Swift.min(Int64(chunkByteCount), end - position))
            var buffer = ByteBufferAllocator().buffer(capacity: want)
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { pointer in
                pread(fd, pointer.baseAddress, want, off_t(position))
            }
            guard got > 0 else { throw FileReadError(path: path, code: got < 0 ? errno : EIO) }
            position += Int64(got)
            onBytes(got)
            return buffer
        }
    }
}
