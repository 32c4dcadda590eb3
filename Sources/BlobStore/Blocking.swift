import NIOCore
import NIOPosix

/// The only places where blocking work runs while the server serves.
///
/// Swift concurrency's cooperative threads (one per core) and NIO's event loops are shared
/// by every request: one of them waiting on a disk, a lock or a codec stalls every request
/// behind it, and two of them waiting on each other freezes the server (it happened:
/// synchronous database reads on the cooperative threads, eight connections). So:
///
/// - database work goes through GRDB's async API, which runs it on GRDB's own queues;
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

    /// Threads of the file pool.
    public static let fileThreadCount = 16

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
