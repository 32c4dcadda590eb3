#if canImport(Glibc)
import Glibc
#endif
import Blocking
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

    public func contains(_ sha256: String) async throws -> Bool {
        let path = path(of: sha256)
        return try await Blocking.file { DurableFile.size(path) != nil }
    }

    /// The size of a stored blob, or `nil` when it is missing.
    public func size(of sha256: String) async throws -> Int64? {
        let path = path(of: sha256)
        return try await Blocking.file { DurableFile.size(path) }
    }

    /// Takes a complete file from the same file system (an upload's bytes) into the store:
    /// hashes it in one streaming pass, fsyncs it and renames it under its digest. If that
    /// content is already stored, the file is removed instead.
    public func adopt(fileAt path: String) async throws -> StoredBlob {
        try await Blocking.file {
            let blob = try self.shareNow(fileAt: path)
            DurableFile.remove(path)
            return blob
        }
    }

    /// Files the file at `path` under its SHA-256 and leaves `path` in place (a hard link,
    /// made durable): the caller removes `path` once the row that refers to the blob has
    /// committed. Until then a crash loses nothing: the source is still where it was, and
    /// filing it again finds the blob already there.
    public func share(fileAt path: String) async throws -> StoredBlob {
        try await Blocking.file { try self.shareNow(fileAt: path) }
    }

    /// `share`, on the calling thread (a blocking-pool thread).
    func shareNow(fileAt path: String) throws -> StoredBlob {
        let (sha256, count) = try Self.hashAndSync(path)
        let destination = self.path(of: sha256)
        if DurableFile.size(destination) != nil {
            return StoredBlob(sha256: sha256, byteCount: count)
        }
        let directory = "\(root)/\(sha256.prefix(2))"
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

    /// Streams bytes into a temp file while hashing them, then fsyncs and renames into place.
    /// Throws `Problem.tooLarge` (and keeps nothing) past `byteCountMax`. Chunks are
    /// gathered into slices of `HashingFile.sliceByteCount` and each slice is hashed and
    /// written on the file pool.
    public func write<Chunks: AsyncSequence>(_ chunks: Chunks, byteCountMax: Int64) async throws -> StoredBlob
    where Chunks.Element == ByteBuffer {
        let temp = "\(tempRoot)/blob-\(SecureBytes.random(count: 12).hex)"
        let file = try await HashingFile.create(temp)
        do {
            var slice = ByteBuffer()
            for try await chunk in chunks {
                guard file.byteCount + Int64(slice.readableBytes) + Int64(chunk.readableBytes) <= byteCountMax else {
                    throw Problem.tooLarge("The file is over the \(byteCountMax)-byte limit.")
                }
                var chunk = chunk
                slice.writeBuffer(&chunk)
                if slice.readableBytes >= HashingFile.sliceByteCount {
                    try await file.append(slice)
                    slice.clear()
                }
            }
            try await file.append(slice)
            return try await Blocking.file {
                try file.finish()
                let sha256 = file.digest
                let destination = self.path(of: sha256)
                if DurableFile.size(destination) != nil {
                    DurableFile.remove(temp)
                } else {
                    let directory = "\(self.root)/\(sha256.prefix(2))"
                    try DurableFile.makeDirectories(directory)
                    try DurableFile.rename(temp, to: destination)
                    try DurableFile.syncDirectory(directory)
                }
                return StoredBlob(sha256: sha256, byteCount: file.byteCount)
            }
        } catch {
            try? await Blocking.file {
                file.abandon()
                DurableFile.remove(temp)
            }
            throw error
        }
    }

    /// Proves the data folder takes a durable write (the health check): a small temp file
    /// written, fsynced and removed.
    public func probeWrite() async throws {
        let path = "\(tempRoot)/health-\(SecureBytes.random(count: 6).hex)"
        try await Blocking.file {
            defer { DurableFile.remove(path) }
            let fd = try DurableFile.create(path)
            defer { close(fd) }
            try [UInt8](repeating: 0x2A, count: 512).withUnsafeBytes { try DurableFile.writeAll(fd, $0, path: path) }
            try DurableFile.sync(fd, path: path)
        }
    }

    /// Removes a blob's file; the caller checks nothing refers to it.
    public func remove(_ sha256: String) async throws {
        let path = path(of: sha256)
        try await Blocking.file { DurableFile.remove(path) }
    }

    /// Moves stored files no row refers to (`referenced` holds every SHA-256 the database
    /// names) into `folder`, and returns how many. They are left by a crash between filing a
    /// file and committing its row, but a file no row names cannot be proven garbage (a
    /// database restored from an older backup names fewer files than the folder holds), so
    /// nothing is deleted: the operator can look, restore, or delete them. A file whose
    /// twin (same content, same name) is already in `folder` is removed, since its bytes are kept.
    public func setAsideUnreferenced(keeping referenced: Set<String>, into folder: String) async throws -> Int {
        try await Blocking.file {
            var moved = 0
            for prefix in DurableFile.list(self.root) where prefix.count == 2 {
                for name in DurableFile.list("\(self.root)/\(prefix)") where name.count == 64 && name.hasPrefix(prefix) {
                    guard !referenced.contains(name) else { continue }
                    if moved == 0 { try DurableFile.makeDirectories(folder) }
                    let source = "\(self.root)/\(prefix)/\(name)"
                    if DurableFile.size("\(folder)/\(name)") != nil {
                        DurableFile.remove(source)
                    } else {
                        try DurableFile.rename(source, to: "\(folder)/\(name)")
                    }
                    moved += 1
                }
            }
            if moved > 0 {
                try DurableFile.syncDirectory(folder)
                try DurableFile.syncDirectory(self.root)
            }
            return moved
        }
    }

    /// Whether any stored file is in the store (a start decides with it whether the folder
    /// holds a marketplace).
    public func holdsFiles() -> Bool {
        DurableFile.list(root).contains { prefix in prefix.count == 2 && !DurableFile.list("\(root)/\(prefix)").isEmpty }
    }

    /// Removes leftovers of interrupted writes; called at start, before anything writes.
    public func sweepTemporaryFiles() async throws -> Int {
        try await Blocking.file {
            let names = DurableFile.list(self.tempRoot)
            for name in names { DurableFile.remove("\(self.tempRoot)/\(name)") }
            return names.count
        }
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

/// A file being written and hashed, one slice at a time on the file pool. Used by one
/// task at a time: each call is awaited before the next is made.
final class HashingFile: @unchecked Sendable {
    /// Bytes gathered before a slice goes to the file pool: few hops, bounded memory.
    static let sliceByteCount = 1 << 20

    let path: String
    private let fd: Int32
    private let hasher = SHA256Hasher()
    private(set) var byteCount: Int64 = 0
    private(set) var digest = ""
    private var isOpen = true

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    static func create(_ path: String) async throws -> HashingFile {
        try await Blocking.file { HashingFile(path: path, fd: try DurableFile.create(path)) }
    }

    /// Hashes and writes `slice` on the file pool.
    func append(_ slice: ByteBuffer) async throws {
        guard slice.readableBytes > 0 else { return }
        try await Blocking.file {
            try slice.withUnsafeReadableBytes { bytes in
                self.hasher.update(bytes)
                try DurableFile.writeAll(self.fd, bytes, path: self.path)
            }
            self.byteCount += Int64(slice.readableBytes)
        }
    }

    /// fsyncs and closes; the digest is ready after. On a blocking-pool thread.
    func finish() throws {
        try DurableFile.sync(fd, path: path)
        close(fd)
        isOpen = false
        digest = hasher.finalize().hex
    }

    /// Closes without keeping anything. On a blocking-pool thread.
    func abandon() {
        if isOpen { close(fd) }
        isOpen = false
    }
}
