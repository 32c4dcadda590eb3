import Catalog
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import SyncletCore

/// What the server knows of its own health: the outcome of the last background check that
/// the database and the data folder take durable writes. `GET /health` answers from it, so
/// a probe never waits behind the load it is meant to see through, and yet it tells the
/// truth: a check that failed, or one that has not run for a while (the cooperative
/// threads or the database stopped making progress), makes `/health` answer 503.
public final class HealthState: Sendable {
    /// The outcome of one check.
    struct Reading: Sendable {
        /// When, by the server's clock (reported).
        var checkedAt: Timestamp
        /// When, by a clock that only moves forward (for the age).
        var checkedInstant = ContinuousClock.now
        /// Why the store cannot be written, or `nil` when it can.
        var problem: String?
    }

    /// What `/health` says.
    public enum Verdict: Equatable, Sendable {
        case ready(checkedAt: Timestamp)
        case unavailable(detail: String)
    }

    private let last = Mutex<Reading?>(nil)
    private let lastSuccess = Mutex<Timestamp?>(nil)
    /// A check older than this means nothing is checking any more.
    let staleAfterMilliseconds: Int64

    init(intervalSeconds: Int64) {
        staleAfterMilliseconds = max(5, intervalSeconds * 5) * 1000
    }

    /// Keeps `reading` and returns the one before it.
    @discardableResult
    func record(_ reading: Reading) -> Reading? {
        if reading.problem == nil { lastSuccess.withLock { $0 = reading.checkedAt } }
        return last.withLock { last in
            defer { last = reading }
            return last
        }
    }

    public func verdict(now: Timestamp) -> Verdict {
        guard let reading = last.withLock({ $0 }) else {
            return .unavailable(detail: "The server has not checked its store yet; it is starting.")
        }
        if let problem = reading.problem {
            let since = lastSuccess.withLock { $0 }.map { " The last successful check was at \($0)." } ?? ""
            return .unavailable(detail: "\(problem).\(since) Requests that write are refused until this is fixed.")
        }
        let age = reading.checkedInstant.duration(to: .now).components.seconds
        guard age * 1000 <= staleAfterMilliseconds else {
            return .unavailable(detail: "The last check of the store was \(age) s ago: the server is not making progress.")
        }
        return .ready(checkedAt: reading.checkedAt)
    }
}

/// Checks, every `healthCheckIntervalSeconds`, that the database commits a write and the
/// data folder takes an fsynced file, and records the outcome in `HealthState`.
struct HealthMonitor: Service {
    let app: AppServices
    let logger: Logger

    func run() async throws {
        let interval = Duration.seconds(app.settings.limits.healthCheckIntervalSeconds)
        while !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully { break }
            await check()
        }
    }

    /// One check, recorded; returns the problem found, if any.
    @discardableResult
    func check() async -> String? {
        let now = app.settings.clock.now()
        var problem: String? = nil
        do {
            try await app.catalog.probeWrite(at: now)
        } catch {
            problem = "The database refuses writes (\(error))"
        }
        if problem == nil {
            do {
                try await app.blobs.probeWrite()
            } catch {
                problem = "The data folder refuses writes (\(error))"
            }
        }
        let previous = app.health.record(.init(checkedAt: now, problem: problem))
        if let problem, previous?.problem == nil {
            logger.error("health check failed", metadata: ["problem": "\(problem)"])
        } else if problem == nil, previous?.problem != nil {
            logger.notice("health check passes again")
        }
        return problem
    }
}

/// The body of a `/health` answer: `{"status":"ok","checked_at":…}` (200) or a problem
/// (503, type `unavailable`) that says what is wrong.
enum HealthAnswer {
    /// `/health/live`: the process answers (on its event loop), whatever its store does; an
    /// orchestrator restarts a server only when this fails, and stops sending it traffic
    /// while `/health/ready` (the same as `/health`) fails.
    static let live: [UInt8] = Array(#"{"status":"live"}"#.utf8)

    static func make(_ verdict: HealthState.Verdict, requestID: String) -> (status: Int, body: [UInt8]) {
        switch verdict {
        case .ready(let checkedAt):
            let body = JSONValue.object(["status": .string("ok"), "checked_at": .string(checkedAt.rfc3339)])
            return (200, (try? JSONWriter.encode(body)) ?? [])
        case .unavailable(let detail):
            let body = JSONValue.object([
                "type": .string(Problem.typeBase + "unavailable"), "title": .string("The server cannot serve writes"),
                "status": .integer(503), "detail": .string(detail), "request_id": .string(requestID),
            ])
            return (503, (try? JSONWriter.encode(body)) ?? [])
        }
    }
}
