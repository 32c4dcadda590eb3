#if canImport(Glibc)
import Glibc
#endif
import Blocking
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
    public func create(_ id: UploadID) async throws {
        let path = path(id)
        let root = root
        try await Blocking.file {
            let fd = try DurableFile.create(path)
            close(fd)
            try DurableFile.syncDirectory(root)
        }
    }

    /// The offset of an upload: the bytes on disk.
    public func offset(_ id: UploadID) async throws -> Int64? {
        let path = path(id)
        return try await Blocking.file { DurableFile.size(path) }
    }

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
    /// arrive are kept, because tus lets the client resume from them. Chunks are gathered
    /// into slices and written on the file pool; the fsync too.
    public func append<Chunks: AsyncSequence>(_ id: UploadID, chunks: Chunks, at offset: Int64, remaining: Int64)
        async throws -> AppendOutcome where Chunks.Element == ByteBuffer
    {
        let file = try await AppendingFile.open(path(id))
        var received: Int64 = 0
        var slice = ByteBuffer()
        do {
            do {
                for try await chunk in chunks {
                    received += Int64(chunk.readableBytes)
                    if received > remaining {
                        throw Problem.tooLarge("The body carries more bytes than the upload has left (\(remaining)). Send at most Upload-Length minus Upload-Offset bytes.")
                    }
                    var chunk = chunk
                    slice.writeBuffer(&chunk)
                    if slice.readableBytes >= HashingFile.sliceByteCount {
                        try await file.write(slice)
                        slice.clear()
                    }
                }
            } catch let problem as Problem {
                try await file.close(truncatingTo: offset)
                throw problem
            } catch let error as DurableFile.IOError {
                try await file.close(truncatingTo: offset)
                throw error
            } catch {
                // The client went away: keep (and sync) what arrived whole.
                try await file.write(slice)
                try await file.close(truncatingTo: nil)
                return .interrupted(offset: offset + file.byteCount)
            }
            try await file.write(slice)
            try await file.close(truncatingTo: nil)
            return .complete(offset: offset + received)
        } catch let error as DurableFile.IOError {
            try? await file.close(truncatingTo: offset)
            throw error
        }
    }

    public func remove(_ id: UploadID) async throws {
        let path = path(id)
        try await Blocking.file { DurableFile.remove(path) }
    }

    /// Upload ids that have a file, for sweeping files whose row is gone.
    public func storedIDs() async throws -> [String] {
        let root = root
        return try await Blocking.file {
            DurableFile.list(root).compactMap { name in
                name.hasSuffix(".part") ? String(name.dropLast(".part".count)) : nil
            }
        }
    }
}

/// An upload's file opened for appending, written one slice at a time on the file pool.
/// Used by one task at a time: each call is awaited before the next is made.
final class AppendingFile: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private var isOpen = true
    private(set) var byteCount: Int64 = 0

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    static func open(_ path: String) async throws -> AppendingFile {
        try await Blocking.file { AppendingFile(path: path, fd: try DurableFile.openForAppend(path)) }
    }

    func write(_ slice: ByteBuffer) async throws {
        guard slice.readableBytes > 0 else { return }
        try await Blocking.file {
            try slice.withUnsafeReadableBytes { try DurableFile.writeAll(self.fd, $0, path: self.path) }
            self.byteCount += Int64(slice.readableBytes)
        }
    }

    /// fsyncs (after cutting the file back to `length`, when given) and closes.
    func close(truncatingTo length: Int64?) async throws {
        try await Blocking.file {
            guard self.isOpen else { return }
            defer {
                Glibc.close(self.fd)
                self.isOpen = false
            }
            if let length { try DurableFile.truncate(self.path, to: length) }
            try DurableFile.sync(self.fd, path: self.path)
        }
    }
}
