import Catalog
import Foundation
import Blocking
import GRDB
import HTTPTypes
import Hummingbird
import Ledger
import Licensing
import SyncletCore
import SyncletCrypto
import Usage

extension HTTPField.Name {
    /// On `format=sealed`: the SHA-256 recorded when the statement was sealed.
    static let sealedSHA256 = Self("Synclet-Sealed-SHA256")!
}

/// Usage in (a batch of events, each with its own result), statements out.
struct UsageController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/usage", use: ingest)
        router.get("/v1/statements", use: statement)
        router.get("/v1/statements/lines/:n/events", use: lineEvents)
        router.post("/v1/periods/:period/close", use: closePeriod)
        router.get("/v1/periods/:period/payouts", use: payouts)
        router.put("/v1/reporters/:id/platforms", use: setPlatforms)
    }

    /// A batch as a JSON array or NDJSON (`application/x-ndjson`). A malformed event is
    /// rejected with its line; it never fails the good events beside it. The 200 leaves
    /// only after the batch's group commit.
    /// The usage engine as this server configures it (limits, fee, periods, signing keys):
    /// for usage batches, and for charging flagged uses when a wallet is topped up.
    static func book(_ app: AppServices) -> UsageBook {
        let limits = app.settings.limits
        let keys = app.signingKeys
        var draft = UsageBook(templates: app.templates, feeBasisPoints: app.settings.platformFeeBasisPoints,
                             futureToleranceSeconds: limits.usageFutureToleranceSeconds, periods: app.settings.periods,
                             keyResolver: { token in (try? VerifyController.verifiedClaims(token, keys: keys)).flatMap { LicenseID($0.jti) } })
        draft.quantityPerEventMax = [.view: limits.usageViewsPerEventMax, .play: limits.usagePlaysPerEventMax,
                                     .use: limits.usageUsesPerEventMax, .seconds: limits.usageSecondsPerEventMax]
        draft.creditLimitDefaultMicros = limits.usageCreditLimitMicros
        return draft
    }

    @Sendable func ingest(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<UsageBatchResult> {
        let party = try context.requireParty(.licensee, .reporter)
        var request = request
        let limits = app.settings.limits
        let bytes = try await request.collectLimitedBody(upTo: limits.usageBatchByteCountMax)
        let lines = try Self.parse(Array(bytes.readableBytesView), contentType: request.headers[.contentType] ?? "application/json",
                                   eventCountMax: limits.usageBatchEventCountMax)
        let book = Self.book(app)
        let clock = app.settings.clock
        let results = try await app.groupCommitter.submit { db in
            // The time of booking is read by the writer, so a period close committed just
            // before this job is never followed by usage booked into the sealed period.
            let now = clock.now()
            let cache = UsageBook.BatchCache()
            let results = try lines.enumerated().map { index, parsed -> UsageEventResult in
                switch parsed {
                case .failure(let reason):
                    return UsageEventResult(status: "rejected", eventID: nil, line: index + 1, reason: reason.text)
                case .success(let event):
                    return try book.book(db, event, line: index + 1, reporter: party.id, reporterKind: party.kind, now: now, cache: cache)
                }
            }
            // The batch's money, per statement line, in this same transaction.
            try book.flush(db, cache: cache, now: now)
            return results
        }
        func count(_ status: String) -> Int { results.filter { $0.status == status }.count }
        let batch = UsageBatchResult(accepted: count("accepted"), duplicate: count("duplicate"), flagged: count("flagged"),
                                     rejected: count("rejected"), results: results)
        app.metrics.recordUsage(accepted: batch.accepted, duplicate: batch.duplicate, flagged: batch.flagged, rejected: batch.rejected)
        return JSONResponse(batch)
    }

    /// Splits a body into events: each parsed, or the reason it could not be.
    static func parse(_ bytes: [UInt8], contentType: String, eventCountMax: Int) throws(Problem) -> [Result<UsageEventInput, ReasonError>] {
        let decoder = JSONDecoder()
        let parsed: [Result<UsageEventInput, ReasonError>]
        guard Request.isMediaType(contentType, "application/x-ndjson") || Request.isMediaType(contentType, "application/json") else {
            throw .unsupportedMediaType("Send events as application/json (an array) or application/x-ndjson (one per line).")
        }
        if Request.isMediaType(contentType, "application/x-ndjson") {
            let chunks = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                .reversed().drop(while: { $0.allSatisfy { $0 == 32 || $0 == 13 } }).reversed()
            guard chunks.count <= eventCountMax else {
                throw .tooLarge("A batch may hold at most \(eventCountMax) events; split it.")
            }
            // Read as one JSON array (one decoder pass for the whole batch) when every line is
            // one object, so element n is line n; otherwise line by line, to name the bad ones.
            var array = [UInt8]()
            array.reserveCapacity(bytes.count + 2)
            array.append(UInt8(ascii: "["))
            for (index, chunk) in chunks.enumerated() {
                if index > 0 { array.append(UInt8(ascii: ",")) }
                array.append(contentsOf: chunk)
            }
            array.append(UInt8(ascii: "]"))
            if chunks.allSatisfy({ JSONMembers.isSingleObject($0) }),
               let elements = try? decoder.decode([BatchElement].self, from: Data(array)), elements.count == chunks.count {
                parsed = elements.map { element in element.parsed.mapError { ReasonError($0.reason) } }
            } else {
                parsed = chunks.map { chunk in
                    guard let element = try? decoder.decode(BatchElement.self, from: Data(chunk)) else {
                        return .failure(ReasonError("not a valid event (malformed JSON)"))
                    }
                    return element.parsed.mapError { ReasonError($0.reason) }
                }
            }
        } else {
            guard let elements = try? decoder.decode([BatchElement].self, from: Data(bytes)) else {
                throw .badRequest("Send a JSON array of events, or NDJSON with Content-Type: application/x-ndjson.")
            }
            guard elements.count <= eventCountMax else {
                throw .tooLarge("A batch may hold at most \(eventCountMax) events; split it.")
            }
            parsed = elements.map { element in element.parsed.mapError { ReasonError($0.reason) } }
        }
        guard !parsed.isEmpty else { throw .badRequest("The batch holds no events.") }
        return parsed
    }

    struct ReasonError: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    /// A composer's statement for a period, current to the last acknowledged event.
    @Sendable func statement(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (owner, period) = try Self.statementTarget(request, context)
        let format = request.query("format") ?? "json"
        if format == "sealed" {
            // The exact bytes that were sealed, so anyone can check them against the hash.
            let sealed = try await app.database.pooledRead { db in try StatementBook.sealed(db, owner: owner, period: period) }
            guard let sealed else {
                throw Problem.conflict("period-open", "\(period) is not closed yet; a statement is sealed when its period is closed.")
            }
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            headers[.sealedSHA256] = sealed.sha256
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: sealed.content)))
        }
        let statement = try await build(owner, period)
        let (contentType, body): (String, String) = switch format {
        case "json": ("application/json", try JSONWriter.string(statement))
        case "csv": ("text/csv; charset=utf-8", statement.csv)
        case "tsv", "dsr": ("text/tab-separated-values; charset=utf-8", statement.dsrTSV)
        case "html": ("text/html; charset=utf-8", statement.html)
        default: throw Problem.badRequest("format must be json, csv, tsv, html or sealed.", field: "format")
        }
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Whose statement and which period: a composer its own; the operator any (`party=`).
    static func statementTarget(_ request: Request, _ context: AppRequestContext) throws -> (PartyID, Period) {
        let caller = try context.requireParty(.composer)
        guard let period = request.query("period").flatMap(Period.init) else {
            throw Problem.badRequest("Give the period as YYYY-MM, e.g. /v1/statements?period=2026-11.", field: "period")
        }
        if let text = request.query("party") {
            guard caller.kind == .admin, let id = PartyID(text) else { throw Problem.notFound("Statement of \(text)") }
            return (id, period)
        }
        return (caller.id, period)
    }

    /// The sealed statement of a closed period, or the live one of an open period.
    func build(_ owner: PartyID, _ period: Period) async throws -> Usage.Statement {
        let now = app.settings.clock.now()
        let currency = app.settings.currency
        let periods = app.settings.periods
        return try await app.database.pooledRead { db in
            // The operator may name any party (`party=`): one that does not exist has no statement.
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM party WHERE id = ?)", arguments: [owner.rawValue]) ?? false else {
                throw Problem.notFound("Statement of \(owner)")
            }
            if let sealed = try StatementBook.sealed(db, owner: owner, period: period) {
                var statement = try JSONDecoder().decode(Usage.Statement.self, from: Data(sealed.content.utf8))
                statement.sealedSHA256 = sealed.sha256
                return statement
            }
            return try StatementBook.statement(db, owner: owner, period: period, periods: periods, currency: currency, now: now)
        }
    }

    /// The operator closes a period: statements sealed, payouts made, small balances carried.
    @Sendable func closePeriod(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<StatementBook.CloseResult> {
        _ = try context.requireAdmin()
        let text = context.parameters.get("period") ?? ""
        guard let period = Period(text) else { throw Problem.badRequest("The period is YYYY-MM, e.g. 2026-11.", field: "period") }
        let now = app.settings.clock.now()
        let threshold = app.settings.limits.payoutMicrosMin
        let currency = app.settings.currency
        let periods = app.settings.periods
        let result = try await app.groupCommitter.submit { db in
            try StatementBook.close(db, period: period, periods: periods, thresholdMicros: threshold, currency: currency, now: now,
                                    hash: { SHA256Hasher.digest(Array($0.utf8)).hex })
        }
        return JSONResponse(result)
    }

    /// The payout batch of a closed period, as CSV for finance.
    @Sendable func payouts(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireAdmin()
        let text = context.parameters.get("period") ?? ""
        guard let period = Period(text) else { throw Problem.badRequest("The period is YYYY-MM, e.g. 2026-11.", field: "period") }
        let currency = app.settings.currency
        let csv = try await app.database.pooledRead { db -> String in
            guard try StatementBook.isClosed(db, period) else { throw Problem.notFound("A payout batch for \(period) (close the period first)") }
            return try StatementBook.payoutCSV(db, period: period, currency: currency)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/csv; charset=utf-8"
        headers[.contentDisposition] = ContentDisposition.header(filename: "payouts-\(period).csv")
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    static func lines(_ db: Database, _ owner: PartyID, _ period: Period) throws -> [Usage.Statement.Line] {
        try StatementBook.lines(db, owner: owner, period: period)
    }

    /// The events behind statement line `n` (1-based, in the statement's order), with their
    /// license and its terms hash.
    @Sendable func lineEvents(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Page<StatementLineEvent>> {
        let (owner, period) = try Self.statementTarget(request, context)
        guard let n = context.parameters.get("n").flatMap(Int.init), n >= 1 else { throw Problem.notFound("Statement line") }
        let page = try app.page(request)
        let limit = page.limit
        let after = page.after.flatMap(Int64.init)
        let events = try await app.database.pooledRead { db -> [(Int64, StatementLineEvent)] in
            let lines = try Self.lines(db, owner, period)
            guard n <= lines.count else { throw Problem.notFound("Line \(n) of this statement") }
            let line = lines[n - 1]
            // Accepted events, and reversals of accepted events (booked in this period, with the
            // quantity and charge they take back, negative): together they add up to the line.
            return try Row.fetchAll(db, sql: """
                SELECT e.seq, e.event_id, e.license_id, l.terms_sha256,
                       CASE WHEN e.status = 'reversal' THEN -o.quantity ELSE e.quantity END AS quantity,
                       CASE WHEN e.status = 'reversal' THEN -o.charged_micros ELSE e.charged_micros END AS charged_micros,
                       coalesce(e.channel_id, o.channel_id) AS channel_id, coalesce(e.video_id, o.video_id) AS video_id,
                       e.occurred_at, o.event_id AS reverses
                FROM usage_event e JOIN license l ON l.id = e.license_id LEFT JOIN usage_event o ON o.seq = e.reverses_seq
                WHERE e.period = ? AND (e.status = 'accepted' OR (e.status = 'reversal' AND o.status = 'accepted'))
                  AND l.asset_id = ? AND l.template_id = ? AND coalesce(o.platform, e.platform) = ? AND coalesce(o.kind, e.kind) = ?
                  AND e.seq > ? ORDER BY e.seq LIMIT ?
                """, arguments: [period.description, line.assetID, line.template, line.platform, line.kind, after ?? 0, limit + 1]).map { row in
                (row["seq"], StatementLineEvent(eventID: row["event_id"], licenseID: LicenseID(row["license_id"] as String)!, termsSHA256: row["terms_sha256"],
                                         quantity: row["quantity"], chargedMicros: row["charged_micros"], channelID: row["channel_id"],
                                         videoID: row["video_id"], occurredAt: row["occurred_at"], reverses: row["reverses"]))
            }
        }
        let items = events.prefix(limit).map(\.1)
        let next = events.count > limit ? events.prefix(limit).last.map { app.cursors.encode(String($0.0)) } : nil
        return JSONResponse(Wire.Page(items: Array(items), nextCursor: next))
    }

    struct Platforms: Codable, Sendable {
        var platforms: [String]
    }

    /// The operator registers the platforms a reporter party reports for.
    @Sendable func setPlatforms(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Platforms> {
        _ = try context.requireAdmin()
        let text = context.parameters.get("id") ?? ""
        guard let id = PartyID(text), let party = try await app.catalog.party(id), party.kind == .reporter else {
            throw Problem.notFound("Reporter \(text)")
        }
        let body = try await request.decodeJSON(Platforms.self, schema: "ReporterPlatforms", byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let platforms = Array(Set(body.platforms.map { $0.lowercased() })).sorted()
        try await app.database.write { db in
            try db.execute(sql: "DELETE FROM reporter_platform WHERE reporter_id = ?", arguments: [id.rawValue])
            for platform in platforms {
                try db.execute(sql: "INSERT INTO reporter_platform (reporter_id, platform) VALUES (?, ?)", arguments: [id.rawValue, platform])
            }
        }
        return JSONResponse(Platforms(platforms: platforms))
    }
}
