import GRDB
import NIOCore
import NIOPosix

/// The only places where blocking work runs while the server serves.
///
/// Swift concurrency's cooperative threads (one per core) and NIO's event loops are shared
/// by every request: one of them waiting on a disk, a lock or a codec stalls every request
/// behind it, and two of them waiting on each other freezes the server (it happened:
/// synchronous database reads on the cooperative threads, eight connections). So:
///
/// - database reads go through `pooledRead`: GRDB's synchronous read on `Blocking.database`,
///   whose threads match the reader connections (one hop there and back: GRDB's async API
///   makes four, which cost ~0.4 ms of CPU per read under load); writes through GRDB's
///   async API, which runs them on GRDB's writer queue;
/// - file system calls (`DurableFile`, open/read/write/fsync/rename/unlink/stat, directory
///   scans, Hummingbird's `FileIO`) go through `Blocking.files`;
/// - native codecs that read and compute for a long time (libsndfile, libarchive) go
///   through `Blocking.codecs`, apart from file calls, so a long render cannot hold up a
///   download;
/// - log lines are written by `LogWriter`'s own thread;
/// - a streamed zip bundle is produced on a thread of its own (`BundleWriter`), counted.
///
/// Synchronous calls are otherwise allowed only before the server listens (start-up, in
/// `buildApplication`) and in the CLI, where nothing else shares the thread.
public enum Blocking {
    /// File system calls. Mostly waiting, not computing (an fsync can take tens of
    /// milliseconds), so many may wait at once.
    public static let files: NIOThreadPool = started(threadCount: fileThreadCount)
    /// libsndfile and libarchive: reading, decoding, encoding. One thread per core.
    public static let codecs: NIOThreadPool = started(threadCount: max(2, System.coreCount))

    /// Database reads: one thread per reader connection, so a read never waits for one.
    public static let database: NIOThreadPool = started(threadCount: readerCount)

    /// Threads of the file pool.
    public static let fileThreadCount = 16
    /// Reader connections of a database pool, and threads of the database pool.
    public static let readerCount = 8

    private static func started(threadCount: Int) -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: threadCount)
        pool.start()
        return pool
    }

    /// Runs file system work off the shared threads and returns its result.
    public static func file<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await files.runIfActive(work)
    }

    /// Runs codec work (libsndfile, libarchive) off the shared threads.
    public static func codec<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await codecs.runIfActive(work)
    }
}

extension DatabaseReader {
    /// Runs a read-only transaction on `Blocking.database` (GRDB's synchronous read, where it
    /// blocks nobody) and returns its result.
    public func pooledRead<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Blocking.database.runIfActive { try self.read(value) }
    }

    /// Runs one statement's worth of reading on `Blocking.database` without opening a
    /// transaction (SQLite isolates a single statement by itself): for the hottest reads,
    /// where the transaction's BEGIN and COMMIT cost as much as the query.
    public func pooledStatementRead<T: Sendable>(_ value: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await Blocking.database.runIfActive { try self.unsafeRead(value) }
    }
}
