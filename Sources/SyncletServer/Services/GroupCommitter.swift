import GRDB
import Synchronization
import SyncletCore

/// Coalesces concurrent write jobs into group commits: one writer takes every job waiting,
/// runs each in its own savepoint inside one transaction, commits once (one fsync with
/// `synchronous=FULL`), and only then answers each job. A job that throws rolls back its
/// own savepoint and nothing else; an acknowledgment is never sent before the commit.
final class GroupCommitter: Sendable {
    private struct Job: Sendable {
        let work: @Sendable (Database) throws -> any Sendable
        let continuation: CheckedContinuation<any Sendable, any Error>
    }

    /// The jobs waiting, and the sizes of the batches committed so far.
    private final class Queue: Sendable {
        let pending = Mutex<[Job]>([])
        let batchSizes = Mutex<[Int]>([])
    }

    private let queue = Queue()
    private let signal: AsyncStream<Void>.Continuation
    private let loop: Task<Void, Never>

    /// Observed batch sizes, for tests and metrics.
    var batchSizes: [Int] { queue.batchSizes.withLock { $0 } }

    /// `jobCountMax` jobs per transaction at most (`Limits.groupCommitJobCountMax`): it
    /// bounds the latency a big batch adds to its first job.
    init(writer: any DatabaseWriter, jobCountMax: Int = Limits().groupCommitJobCountMax, metrics: ServerMetrics? = nil) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.signal = continuation
        let queue = self.queue
        self.loop = Task {
            for await _ in stream {
                while true {
                    let batch: [Job] = queue.pending.withLock { jobs in
                        let taken = Array(jobs.prefix(jobCountMax))
                        jobs.removeFirst(taken.count)
                        return taken
                    }
                    if batch.isEmpty { break }
                    queue.batchSizes.withLock { $0.append(batch.count) }
                    await Self.run(batch, writer: writer, metrics: metrics)
                }
            }
        }
    }

    deinit {
        signal.finish()
        loop.cancel()
    }

    /// Runs `work` in the next group commit and returns its result once that commit is durable.
    func submit<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        let result = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            queue.pending.withLock { $0.append(Job(work: { db in try work(db) }, continuation: continuation)) }
            signal.yield()
        }
        return result as! T
    }

    private static func run(_ batch: [Job], writer: any DatabaseWriter, metrics: ServerMetrics?) async {
        let start = ContinuousClock.now
        do {
            let outcomes = try await writer.write { db -> [Result<any Sendable, any Error>] in
                batch.map { job in
                    var outcome: Result<any Sendable, any Error> = .failure(CancellationError())
                    do {
                        try db.inSavepoint {
                            outcome = .success(try job.work(db))
                            return .commit
                        }
                    } catch {
                        outcome = .failure(error)
                    }
                    return outcome
                }
            }
            // Recorded before the answers leave, so a scrape after an answer already counts its commit.
            metrics?.recordGroupCommit(jobs: batch.count, duration: start.duration(to: .now))
            for (job, outcome) in zip(batch, outcomes) { job.continuation.resume(with: outcome) }
        } catch {
            // The commit itself failed: nothing of the batch is durable, so every job fails.
            for job in batch { job.continuation.resume(throwing: error) }
        }
    }
}
