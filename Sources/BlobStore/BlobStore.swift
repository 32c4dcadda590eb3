#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import SyncletCore
import SyncletCrypto

/// A file stored by content: its SHA-256 in hex and its size.
public struct StoredBlob: Sendable, Equatable {
    public let sha256: String
    public let byteCount: Int64
}

/// Content-addressed files on local disk: `blobs/ab/<sha256>`. Identical content is
/// stored once; a file becomes visible only by an atomic rename after fsync, so a crash
/// never leaves a half-written blob under a content name.
public struct BlobStore: Sendable {
    public let root: String
    public let tempRoot: String
    /// Bytes read per step when hashing a file.
    static let hashChunkByteCount = 1 << 20

    public init(root: String, tempRoot: String) throws {
        self.root = root
        self.tempRoot = tempRoot
        try DurableFile.makeDirectories(root)
        try DurableFile.makeDirectories(tempRoot)
    }

    /// Where the blob with this digest lives (whether or not it exists).
    public func path(of sha256: String) -> String {
        precondition(sha256.count == 64 && sha256.allSatisfy(\.isHexDigit), "not a SHA-256 hex digest")
        return "\(root)/\(sha256.prefix(2))/\(sha256)"
    }

    public func contains(_ sha256: String) -> Bool { DurableFile.size(path(of: sha256)) != nil }

    /// Takes a complete file from the same file system (an upload's bytes) into the store:
    /// hashes it in one streaming pass, fsyncs it and renames it under its digest. If that
    /// content is already stored, the file is removed instead. Runs on the I/O thread pool.
    public func adopt(fileAt path: String) async throws -> StoredBlob {
        let blob = try await share(fileAt: path)
        DurableFile.remove(path)
        return blob
    }

    /// Files the file at `path` under its SHA-256 and leaves `path` in place (a hard link,
    /// made durable): the caller removes `path` once the row that refers to the blob has
    /// committed. Until then a crash loses nothing: the source is still where it was, and
    /// filing it again finds the blob already there.
    public func share(fileAt path: String) async throws -> StoredBlob {
        try await NIOThreadPool.singleton.runIfActive { () throws -> StoredBlob in
            let (sha256, count) = try Self.hashAndSync(path)
            let destination = self.path(of: sha256)
            if DurableFile.size(destination) != nil {
                return StoredBlob(sha256: sha256, byteCount: count)
            }
            let directory = "\(self.root)/\(sha256.prefix(2))"
            try DurableFile.makeDirectories(directory)
            do {
                try DurableFile.link(path, to: destination)
            } catch {
                // Another request filed the same bytes a moment ago.
                guard DurableFile.size(destination) != nil else { throw error }
            }
            try DurableFile.syncDirectory(directory)
            return StoredBlob(sha256: sha256, byteCount: count)
        }
    }

    /// Streams bytes into a temp file while hashing them, then fsyncs and renames into place.
    /// Throws `Problem.tooLarge` (and keeps nothing) past `byteCountMax`.
    public func write<Chunks: AsyncSequence>(_ chunks: Chunks, byteCountMax: Int64) async throws -> StoredBlob
    where Chunks.Element == ByteBuffer {
        let temp = "\(tempRoot)/blob-\(SecureBytes.random(count: 12).hex)"
        let fd = try DurableFile.create(temp)
        let hasher = SHA256Hasher()
        var count: Int64 = 0
        do {
            for try await chunk in chunks {
                count += Int64(chunk.readableBytes)
                guard count <= byteCountMax else { throw Problem.tooLarge("The file is over the \(byteCountMax)-byte limit.") }
                try chunk.withUnsafeReadableBytes { bytes in
                    hasher.update(bytes)
                    try DurableFile.writeAll(fd, bytes, path: temp)
                }
            }
            try DurableFile.sync(fd, path: temp)
        } catch {
            close(fd)
            DurableFile.remove(temp)
            throw error
        }
        close(fd)
        let sha256 = hasher.finalize().hex
        let destination = path(of: sha256)
        if DurableFile.size(destination) != nil {
            DurableFile.remove(temp)
        } else {
            let directory = "\(root)/\(sha256.prefix(2))"
            try DurableFile.makeDirectories(directory)
            try DurableFile.rename(temp, to: destination)
            try DurableFile.syncDirectory(directory)
        }
        return StoredBlob(sha256: sha256, byteCount: count)
    }

    /// Removes a blob's file; the caller checks nothing refers to it.
    public func remove(_ sha256: String) {
        DurableFile.remove(path(of: sha256))
    }

    /// Removes blobs that `isReferenced` says nothing refers to: files filed for a row that a
    /// crash kept from committing. Only at start, before anything writes: a running server
    /// files blobs before their rows commit. Returns how many went.
    public func sweepUnreferenced(isReferenced: (String) throws -> Bool) rethrows -> Int {
        var removed = 0
        for folder in DurableFile.list(root) where folder.count == 2 {
            for name in DurableFile.list("\(root)/\(folder)") where name.count == 64 && name.hasPrefix(folder) {
                if try !isReferenced(name) {
                    DurableFile.remove("\(root)/\(folder)/\(name)")
                    removed += 1
                }
            }
        }
        return removed
    }

    /// Removes leftovers of interrupted writes; called at start, before anything writes.
    public func sweepTemporaryFiles() -> Int {
        let names = DurableFile.list(tempRoot)
        for name in names { DurableFile.remove("\(tempRoot)/\(name)") }
        return names.count
    }

    /// SHA-256 of a file in one streaming pass, after an fsync of its contents.
    static func hashAndSync(_ path: String) throws -> (String, Int64) {
        let fd = try DurableFile.openForReading(path)
        defer { close(fd) }
        let hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: hashChunkByteCount)
        var total: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw DurableFile.IOError(call: "read", path: path, code: errno)
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            total += Int64(count)
        }
        try DurableFile.sync(fd, path: path)
        return (hasher.finalize().hex, total)
    }
}

extension BlobStore {
    /// Stores a small byte array (a waveform, a manifest) the same durable way.
    public func store(bytes: [UInt8]) async throws -> StoredBlob {
        try await write(SingleChunk(bytes: bytes), byteCountMax: Int64(bytes.count))
    }
}

/// One buffer as an async sequence.
struct SingleChunk: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    func makeAsyncIterator() -> Iterator { Iterator(bytes: bytes) }
    struct Iterator: AsyncIteratorProtocol {
        var bytes: [UInt8]?
        mutating func next() async throws -> ByteBuffer? {
            defer { bytes = nil }
            return bytes.map { ByteBuffer(bytes: $0) }
        }
    }
}
