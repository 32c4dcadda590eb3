import Foundation
import Blocking
import GRDB
import HTTPTypes
import Hummingbird
import Ledger
import Licensing
import Synchronization
import SyncletCore
import ServiceLifecycle
import Usage

/// Tells live earnings streams that money was booked. Each stream then re-reads its own
/// composer's totals and sends them if they changed: cheap, and it can never send totals
/// from a commit that did not happen. Holds at most `earningsStreamCountMax` streams, and
/// `earningsStreamCountPerPartyMax` per composer, so open connections stay bounded.
final class EarningsHub: Sendable {
    private struct Subscriber {
        let party: PartyID
        let continuation: AsyncStream<Void>.Continuation
    }

    private let subscribers = Mutex<[UUID: Subscriber]>([:])
    private let streamCountMax: Int
    private let streamCountPerPartyMax: Int
    /// Counts commits that moved money: totals read after generation g include every one.
    private let generations = Atomic<UInt64>(0)
    /// One read of a composer's totals serves all its streams.
    let totals: EarningsTotals

    init(limits: Limits) {
        streamCountMax = limits.earningsStreamCountMax
        streamCountPerPartyMax = limits.earningsStreamCountPerPartyMax
        totals = EarningsTotals(minimumInterval: .milliseconds(limits.earningsRefreshIntervalMilliseconds))
    }

    /// The number of money-moving commits so far.
    var generation: UInt64 { generations.load(ordering: .acquiring) }

    /// A new subscription for `party`; a 429 when the party holds as many streams as it may,
    /// a 503 when the server does.
    func subscribe(party: PartyID) throws(Problem) -> (UUID, AsyncStream<Void>) {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        let (total, own): (Int, Int) = subscribers.withLock { subscribers in
            let counts = (subscribers.count, subscribers.values.filter { $0.party == party }.count)
            if counts.0 < streamCountMax && counts.1 < streamCountPerPartyMax {
                subscribers[id] = Subscriber(party: party, continuation: continuation)
            }
            return counts
        }
        if own >= streamCountPerPartyMax {
            throw Problem(status: 429, type: "too-many-streams", title: "Too many earnings streams",
                          detail: "You hold \(own) open earnings streams, the most allowed; close one (another tab or client) and connect again.",
                          extensions: ["retry_after": "30"])
        }
        if total >= streamCountMax {
            throw Problem(status: 503, type: "too-many-streams", title: "Too many earnings streams",
                          detail: "The server holds as many earnings streams as it allows (\(streamCountMax)); connect again in a minute.",
                          extensions: ["retry_after": "60"])
        }
        return (id, stream)
    }

    func unsubscribe(_ id: UUID) {
        let (removed, othersOfParty): (Subscriber?, Bool) = subscribers.withLock { subscribers in
            let removed = subscribers.removeValue(forKey: id)
            return (removed, removed.map { gone in subscribers.values.contains { $0.party == gone.party } } ?? true)
        }
        removed?.continuation.finish()
        if let party = removed?.party, !othersOfParty {
            let totals = totals
            Task { await totals.forget(party) }
        }
    }

    /// Called after a commit that moved money.
    func notify() {
        generations.wrappingAdd(1, ordering: .releasing)
        for subscriber in subscribers.withLock({ Array($0.values) }) { subscriber.continuation.yield() }
    }

    /// Ends every stream (the server is stopping): their responses end, so their
    /// connections close instead of holding the shutdown back.
    func closeAll() {
        let all = subscribers.withLock { subscribers in
            defer { subscribers.removeAll() }
            return Array(subscribers.values)
        }
        for subscriber in all { subscriber.continuation.finish() }
    }
}

/// A composer's running totals, read once for all its streams: a stream that wakes after a
/// commit asks for totals at least as new as that commit; a read already under way that
/// started after it serves it, and so does one waiting to start. Reads of one composer
/// start at most once per `minimumInterval`, so a burst of commits costs one read, however
/// many streams watch.
actor EarningsTotals {
    private struct Entry {
        /// The newest totals and the generation their read started at.
        var value: EarningsUpdate?
        var valueGeneration: UInt64 = 0
        /// The read in progress (or waiting for its turn), and the generation it started at
        /// (`nil` while it waits: it will start later, so it serves any generation seen now).
        var pending: Task<(EarningsUpdate?, UInt64), Never>?
        var pendingGeneration: UInt64?
        var lastStart: ContinuousClock.Instant?
    }

    private var entries: [PartyID: Entry] = [:]
    private let minimumInterval: Duration

    init(minimumInterval: Duration) { self.minimumInterval = minimumInterval }

    /// Totals read no earlier than `generation`; `read` is called at most once per interval.
    func totals(of party: PartyID, generation: UInt64, current: @escaping @Sendable () -> UInt64,
                read: @escaping @Sendable () async -> EarningsUpdate?) async -> EarningsUpdate? {
        var entry = entries[party] ?? Entry()
        if let value = entry.value, entry.valueGeneration >= generation { return value }
        if let pending = entry.pending, (entry.pendingGeneration ?? .max) >= generation {
            return await pending.value.0
        }
        let wait = entry.lastStart.map { max(.zero, minimumInterval - $0.duration(to: .now)) } ?? .zero
        entry.lastStart = ContinuousClock.now.advanced(by: wait)
        let task = Task { [weak self] () -> (EarningsUpdate?, UInt64) in
            if wait > .zero { try? await Task.sleep(for: wait) }
            let startedAt = current()
            await self?.started(party, at: startedAt)
            return (await read(), startedAt)
        }
        entry.pending = task
        entry.pendingGeneration = nil
        entries[party] = entry
        let (value, startedAt) = await task.value
        if var latest = entries[party] {
            if startedAt >= latest.valueGeneration, let value {
                latest.value = value
                latest.valueGeneration = startedAt
            }
            if latest.pendingGeneration == startedAt || latest.pending == task {
                latest.pending = nil
                latest.pendingGeneration = nil
            }
            entries[party] = latest
        }
        return value
    }

    private func started(_ party: PartyID, at generation: UInt64) {
        entries[party]?.pendingGeneration = generation
    }

    /// Forgets a composer's totals (its last stream closed).
    func forget(_ party: PartyID) {
        entries[party] = nil
    }
}

/// Waits for the server to stop, then ends the long-lived responses (earnings streams).
struct StreamCloser: Service {
    let earnings: EarningsHub

    func run() async throws {
        try? await gracefulShutdown()
        earnings.closeAll()
    }
}

/// `GET /v1/earnings/stream` and `GET /v1/wallet/spend`.
struct EarningsController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/earnings/stream", use: stream)
        router.get("/v1/wallet/spend", use: spend)
    }

    /// Server-Sent Events: the composer's running totals at once, then after every booking
    /// that changes them; a comment every `earningsKeepAliveSeconds` keeps proxies from
    /// closing the stream.
    @Sendable func stream(_ request: Request, context: AppRequestContext) async throws -> Response {
        let party = try context.requireParty(.composer)
        let app = self.app
        let (id, changes) = try app.earnings.subscribe(party: party.id)
        let limits = app.settings.limits
        let (body, output) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(limits.earningsStreamQueuedMessageCountMax))
        let producer = Task {
            let ticks = AsyncStream<Void> { continuation in
                let timer = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(limits.earningsKeepAliveSeconds))
                        continuation.yield()
                    }
                }
                continuation.onTermination = { _ in timer.cancel() }
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await _ in ticks { output.yield(ByteBuffer(string: ": keep-alive\n\n")) }
                }
                group.addTask {
                    let hub = app.earnings
                    func fresh() async -> EarningsUpdate? {
                        await hub.totals.totals(of: party.id, generation: hub.generation, current: { hub.generation }) {
                            try? await Self.totals(app, party.id)
                        }
                    }
                    var last: EarningsUpdate? = nil
                    if let totals = await fresh() {
                        last = totals
                        output.yield(Self.event(totals))
                    }
                    for await _ in changes {
                        guard let totals = await fresh() else { continue }
                        var comparable = totals
                        comparable.at = last?.at ?? totals.at
                        if comparable != last {
                            last = totals
                            output.yield(Self.event(totals))
                        }
                    }
                }
                await group.next()
                group.cancelAll()
            }
            // The changes ended (the server is stopping): end the response too.
            output.finish()
        }
        output.onTermination = { _ in
            producer.cancel()
            app.earnings.unsubscribe(id)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: ResponseBody(asyncSequence: body))
    }

    static func event(_ totals: EarningsUpdate) -> ByteBuffer {
        let json = (try? JSONWriter.string(totals)) ?? "{}"
        return ByteBuffer(string: "event: earnings\ndata: \(json)\n\n")
    }

    static func totals(_ app: AppServices, _ party: PartyID) async throws -> EarningsUpdate {
        let now = app.settings.clock.now()
        let currency = app.settings.currency
        let periods = app.settings.periods
        return try await app.database.pooledRead { db in
            let period = periods.period(containing: now)
            let statement = try StatementBook.statement(db, owner: party, period: period, periods: periods, currency: currency, now: now)
            return EarningsUpdate(partyID: party, period: period, usageMicros: statement.usageMicros,
                          licenseSalesMicros: statement.licenseSalesMicros, closingBalanceMicros: statement.closingBalanceMicros,
                          lineCount: statement.lines.count, at: now)
        }
    }

    /// A licensee's spend in a period: per license (purchases and usage), per platform
    /// (usage), the total, and its cap.
    @Sendable func spend(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<WalletSpend> {
        let party = try context.requireParty(.licensee)
        let now = app.settings.clock.now()
        let period = try request.query("period").map { text throws(Problem) -> Period in
            guard let period = Period(text) else { throw .badRequest("period is YYYY-MM, e.g. 2026-11.", field: "period") }
            return period
        } ?? app.settings.periods.period(containing: now)
        let range = app.settings.periods.range(of: period)
        return JSONResponse(try await app.database.pooledRead { db in
            let from = range.lowerBound.millisecondsSince1970
            let to = range.upperBound.millisecondsSince1970
            // Counted as the spending cap counts, by when money moved: a purchase in its
            // period and its refund in the revocation's; a use in the period it was booked and
            // its reversal in the reversal's. So the total here is what the cap sees.
            let purchases = try Row.fetchAll(db, sql: """
                SELECT id, code, price_micros FROM license WHERE licensee_id = ?1 AND issued_at >= ?2 AND issued_at < ?3
                UNION ALL
                SELECT id, code, -price_micros FROM license WHERE licensee_id = ?1 AND revoked_at >= ?2 AND revoked_at < ?3
                """, arguments: [party.id.rawValue, from, to])
            let usage = try Row.fetchAll(db, sql: """
                SELECT e.license_id, l.code, e.platform, sum(e.charged_micros) AS spent FROM usage_event e JOIN license l ON l.id = e.license_id
                WHERE l.licensee_id = ?1 AND e.period = ?2 AND e.status = 'accepted'
                GROUP BY e.license_id, e.platform
                UNION ALL
                SELECT o.license_id, l.code, o.platform, -sum(o.charged_micros) FROM usage_event r
                JOIN usage_event o ON o.seq = r.reverses_seq JOIN license l ON l.id = o.license_id
                WHERE l.licensee_id = ?1 AND r.period = ?2 AND r.status = 'reversal' AND o.status = 'accepted'
                GROUP BY o.license_id, o.platform
                """, arguments: [party.id.rawValue, period.description])
            // Sums of amounts the database holds (each at most 10^15 µ): checked all the same,
            // so a report can fail but never end the process.
            func add(_ a: Int64, _ b: Int64) throws -> Int64 {
                let (sum, overflow) = a.addingReportingOverflow(b)
                if overflow { throw Problem.invalid("This spend report is too large to total; ask for a narrower period.") }
                return sum
            }
            var byLicense = [String: WalletSpend.LicenseSpend]()
            for row in purchases {
                let id: String = row["id"]
                var entry = byLicense[id] ?? .init(licenseID: LicenseID(id)!, code: row["code"], spentMicros: 0)
                entry.spentMicros = try add(entry.spentMicros, row[2] as Int64)
                byLicense[id] = entry
            }
            var byPlatform = [String: Int64]()
            for row in usage {
                let id: String = row["license_id"]
                let spent: Int64 = row[3]
                var entry = byLicense[id] ?? .init(licenseID: LicenseID(id)!, code: row["code"], spentMicros: 0)
                entry.spentMicros = try add(entry.spentMicros, spent)
                byLicense[id] = entry
                byPlatform[row["platform"]] = try add(byPlatform[row["platform"]] ?? 0, spent)
            }
            let licenses = byLicense.values.sorted { $0.licenseID < $1.licenseID }
            return WalletSpend(partyID: party.id, period: period, capMicros: try SpendingCap.cap(db, party: party.id),
                         spentMicros: try licenses.reduce(0) { try add($0, $1.spentMicros) }, byLicense: licenses,
                         byPlatform: byPlatform.map { .init(platform: $0.key, spentMicros: $0.value) }.sorted { $0.platform < $1.platform })
        })
    }
}
