#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import SyncletCore

/// The bytes of unfinished resumable uploads, one append-only file each. A file's size is
/// the upload's offset; every acknowledged PATCH has been fsynced.
public struct UploadFiles: Sendable {
    public let root: String

    public init(root: String) throws {
        self.root = root
        try DurableFile.makeDirectories(root)
    }

    public func path(_ id: UploadID) -> String { "\(root)/\(id.rawValue).part" }

    /// Creates the empty file for a new upload.
    public func create(_ id: UploadID) throws {
        let fd = try DurableFile.create(path(id))
        close(fd)
        try DurableFile.syncDirectory(root)
    }

    /// The offset of an upload: the bytes on disk.
    public func offset(_ id: UploadID) -> Int64? { DurableFile.size(path(id)) }

    /// What became of a PATCH body.
    public enum AppendOutcome: Sendable, Equatable {
        /// All of the body arrived and is durable.
        case complete(offset: Int64)
        /// The client went away mid-body; what arrived is durable and the upload can resume.
        case interrupted(offset: Int64)
    }

    /// Appends a PATCH body at `offset`, accepting at most `remaining` bytes.
    ///
    /// Past `remaining` the file is cut back to `offset` and `Problem.tooLarge` is thrown,
    /// so an oversize body changes nothing. If the body fails midway, the bytes that did
    /// arrive are kept, because tus lets the client resume from them.
    public func append<Chunks: AsyncSequence>(_ id: UploadID, chunks: Chunks, at offset: Int64, remaining: Int64)
        async throws -> AppendOutcome where Chunks.Element == ByteBuffer
    {
        let path = path(id)
        let fd = try DurableFile.openForAppend(path)
        defer { close(fd) }
        var received: Int64 = 0
        do {
            for try await chunk in chunks {
                received += Int64(chunk.readableBytes)
                if received > remaining {
                    try? DurableFile.truncate(path, to: offset)
                    throw Problem.tooLarge("The body carries more bytes than the upload has left (\(remaining)). Send at most Upload-Length minus Upload-Offset bytes.")
                }
                try chunk.withUnsafeReadableBytes { try DurableFile.writeAll(fd, $0, path: path) }
            }
        } catch let problem as Problem {
            throw problem
        } catch let error as DurableFile.IOError {
            try? DurableFile.truncate(path, to: offset)
            throw error
        } catch {
            try DurableFile.sync(fd, path: path)
            return .interrupted(offset: offset + received)
        }
        try DurableFile.sync(fd, path: path)
        return .complete(offset: offset + received)
    }

    public func remove(_ id: UploadID) {
        DurableFile.remove(path(id))
    }

    /// Upload ids that have a file, for sweeping files whose row is gone.
    public func storedIDs() -> [String] {
        DurableFile.list(root).compactMap { name in
            name.hasSuffix(".part") ? String(name.dropLast(".part".count)) : nil
        }
    }
}
