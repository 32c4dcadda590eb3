import AsyncHTTPClient
import Foundation
import NIOCore
import SyncletCore

extension SyncletClient {
    /// Where an upload stands.
    public struct UploadState: Sendable, Equatable {
        public let id: UploadID
        public let offset: Int64
        public let length: Int64

        public init(id: UploadID, offset: Int64, length: Int64) {
            self.id = id
            self.offset = offset
            self.length = length
        }
    }

    /// Creates a tus upload for `length` bytes.
    public func createUpload(length: Int64, filename: String?) async throws -> UploadID {
        var request = makeRequest(.POST, "/v1/uploads")
        request.headers.add(name: "Tus-Resumable", value: Self.tusVersion)
        request.headers.add(name: "Upload-Length", value: String(length))
        if let filename {
            request.headers.add(name: "Upload-Metadata", value: "filename \(Data(filename.utf8).base64EncodedString())")
        }
        let response = try await execute(request)
        guard response.status == .created, let location = response.headers.first(name: "Location"),
              let id = UploadID(location.split(separator: "/").last ?? "")
        else { throw try await failure(response) }
        return id
    }

    /// HEAD: the upload's offset and length, or `nil` when the server no longer has it.
    public func uploadState(_ id: UploadID) async throws -> UploadState? {
        var request = makeRequest(.HEAD, "/v1/uploads/\(id)")
        request.headers.add(name: "Tus-Resumable", value: Self.tusVersion)
        let response = try await execute(request)
        if response.status == .notFound { return nil }
        guard response.status == .ok,
              let offset = response.headers.first(name: "Upload-Offset").flatMap(Int64.init),
              let length = response.headers.first(name: "Upload-Length").flatMap(Int64.init)
        else { throw try await failure(response) }
        return UploadState(id: id, offset: offset, length: length)
    }

    /// PATCH: sends `length` bytes of the file from `offset`. Returns the new offset.
    public func appendUpload(_ id: UploadID, file path: String, offset: Int64, length: Int64,
                             onBytes: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> Int64 {
        try await appendUpload(id, offset: offset, length: length,
                               body: FileChunks(path: path, offset: offset, length: length, onBytes: onBytes))
    }

    /// PATCH with any byte stream (tests use one that fails midway to cut a connection).
    public func appendUpload<Body: AsyncSequence & Sendable>(_ id: UploadID, offset: Int64, length: Int64, body: Body)
        async throws -> Int64 where Body.Element == ByteBuffer
    {
        var request = makeRequest(.PATCH, "/v1/uploads/\(id)")
        request.headers.add(name: "Tus-Resumable", value: Self.tusVersion)
        request.headers.add(name: "Upload-Offset", value: String(offset))
        request.headers.add(name: "Content-Type", value: "application/offset+octet-stream")
        request.body = .stream(body, length: .known(length))
        let response = try await execute(request, timeout: uploadTimeout)
        guard response.status == .noContent, let newOffset = response.headers.first(name: "Upload-Offset").flatMap(Int64.init)
        else { throw try await failure(response) }
        return newOffset
    }

    public func deleteUpload(_ id: UploadID) async throws {
        var request = makeRequest(.DELETE, "/v1/uploads/\(id)")
        request.headers.add(name: "Tus-Resumable", value: Self.tusVersion)
        let response = try await execute(request)
        guard response.status == .noContent else { throw try await failure(response) }
    }

    /// Uploads a whole file, resuming an earlier attempt recorded in `journal`.
    ///
    /// `progress` is called with (bytes done, total) — starting at the resumed offset.
    /// Transient failures (a dropped connection, an offset conflict) are retried from the
    /// server's offset up to `attemptCountMax` times.
    /// The journal's key for a file (this server, its absolute path, size and modification
    /// time: an edited file is a new upload) and its size.
    public func journalKey(forFile path: String) throws -> (key: String, size: Int64) {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        guard size > 0 else { throw ClientError(status: nil, problem: nil, message: "\(path) is empty; there is nothing to upload.") }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return (UploadJournal.key(server: server, path: path, size: size, modified: modified), size)
    }

    public func uploadFile(path: String, journal: UploadJournal?, attemptCountMax: Int = 5,
                           progress: @escaping @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws -> UploadID {
        let (fileKey, size) = try journalKey(forFile: path)

        var state: UploadState? = nil
        if let known = journal?.upload(for: fileKey) { state = try await uploadState(known) }
        if state == nil {
            let id = try await createUpload(length: size, filename: (path as NSString).lastPathComponent)
            journal?.record(id, for: fileKey)
            state = UploadState(id: id, offset: 0, length: size)
        }
        let id = state!.id
        var offset = state!.offset
        var attempts = 0
        while offset < size {
            let counter = ProgressCounter(start: offset, total: size, report: progress)
            progress(offset, size)
            do {
                offset = try await appendUpload(id, file: path, offset: offset, length: size - offset, onBytes: counter.add)
            } catch let error as ClientError where error.status == nil || error.status == 409 || (error.status ?? 0) >= 500 || error.status == 400 {
                attempts += 1
                guard attempts < attemptCountMax, let fresh = try await uploadState(id) else { throw error }
                offset = fresh.offset
                try await Task.sleep(for: .milliseconds(200 * attempts))
            }
        }
        progress(size, size)
        return id
    }

    /// Counts streamed bytes for a progress callback.
    final class ProgressCounter: @unchecked Sendable {
        private var done: Int64
        private let total: Int64
        private let report: @Sendable (Int64, Int64) -> Void
        private let lock = NSLock()

        init(start: Int64, total: Int64, report: @escaping @Sendable (Int64, Int64) -> Void) {
            self.done = start
            self.total = total
            self.report = report
        }

        @Sendable func add(_ count: Int) {
            let value = lock.withLock { done += Int64(count); return done }
            report(value, total)
        }
    }
}

/// Remembers unfinished uploads on disk (in the CLI's config folder), so running the same
/// `synclet upload` again continues where it stopped instead of starting over.
public final class UploadJournal: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()

    public init(path: String) { self.path = path }

    public static func key(server: String, path: String, size: Int64, modified: Double) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        return "\(server)|\(absolute)|\(size)|\(Int64(modified * 1000))"
    }

    func load() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path),
              let entries = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return entries
    }

    func save(_ entries: [String: String]) {
        guard let data = try? JSONEncoder().encode(entries) else { return }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        // Whole or not at all: a crash mid-write must not leave a journal that does not parse.
        let temp = path + ".tmp"
        guard FileManager.default.createFile(atPath: temp, contents: data, attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temp, path) != 0 { try? FileManager.default.removeItem(atPath: temp) }
    }

    public func upload(for key: String) -> UploadID? {
        lock.withLock { load()[key].flatMap { UploadID($0) } }
    }

    public func record(_ id: UploadID, for key: String) {
        lock.withLock {
            var entries = load()
            entries[key] = id.rawValue
            save(entries)
        }
    }

    /// Marks the file's upload as made into `asset`: the entry stays, so running the same
    /// command again asks the server for that upload's asset instead of uploading anew.
    public func recordAsset(_ asset: AssetID, for key: String) {
        lock.withLock {
            var entries = load()
            entries["asset|" + key] = asset.rawValue
            save(entries)
        }
    }

    /// The asset an earlier run made from this file, if the journal knows one.
    public func asset(for key: String) -> AssetID? {
        lock.withLock { load()["asset|" + key].flatMap { AssetID($0) } }
    }

    public func forget(_ id: UploadID) {
        lock.withLock {
            var entries = load()
            entries = entries.filter { $0.value != id.rawValue }
            save(entries)
        }
    }
}
