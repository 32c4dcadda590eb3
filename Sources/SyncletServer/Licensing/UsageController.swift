import Catalog
import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import Ledger
import Licensing
import SyncletCore
import Usage

/// Usage in (a batch of events, each with its own result), statements out.
struct UsageController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/usage", use: ingest)
        router.get("/v1/statements", use: statement)
        router.put("/v1/reporters/:id/platforms", use: setPlatforms)
    }

    struct BatchResult: Codable, Sendable {
        var accepted: Int
        var duplicate: Int
        var flagged: Int
        var rejected: Int
        var results: [UsageEventResult]
    }

    /// A batch as a JSON array or NDJSON (`application/x-ndjson`). A malformed event is
    /// rejected with its line; it never fails the good events beside it. The 200 leaves
    /// only after the batch's group commit.
    @Sendable func ingest(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<BatchResult> {
        let party = try context.requireParty(.licensee, .reporter)
        var request = request
        let limits = app.settings.limits
        let bytes = try await request.collectLimitedBody(upTo: limits.usageBatchByteCountMax)
        let lines = try Self.parse(Array(bytes.readableBytesView), contentType: request.headers[.contentType] ?? "application/json",
                                   eventCountMax: limits.usageBatchEventCountMax)
        let keys = app.signingKeys
        let book = UsageBook(templates: app.templates, feeBasisPoints: app.settings.platformFeeBasisPoints,
                             futureToleranceSeconds: limits.usageFutureToleranceSeconds,
                             keyResolver: { token in (try? VerifyController.verifiedClaims(token, keys: keys)).flatMap { LicenseID($0.jti) } })
        let now = app.settings.clock.now()
        let results = try await app.groupCommitter.submit { db in
            try lines.enumerated().map { index, parsed -> UsageEventResult in
                switch parsed {
                case .failure(let reason):
                    return UsageEventResult(status: "rejected", eventID: nil, line: index + 1, reason: reason.text)
                case .success(let event):
                    return try book.book(db, event, line: index + 1, reporter: party.id, reporterKind: party.kind, now: now)
                }
            }
        }
        func count(_ status: String) -> Int { results.filter { $0.status == status }.count }
        return JSONResponse(BatchResult(accepted: count("accepted"), duplicate: count("duplicate"), flagged: count("flagged"),
                                        rejected: count("rejected"), results: results))
    }

    /// Splits a body into events: each parsed, or the reason it could not be.
    static func parse(_ bytes: [UInt8], contentType: String, eventCountMax: Int) throws(Problem) -> [Result<UsageEventInput, ReasonError>] {
        let decoder = JSONDecoder()
        let chunks: [[UInt8]]
        if contentType.lowercased().hasPrefix("application/x-ndjson") {
            chunks = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
                .reversed().drop(while: { $0.allSatisfy { $0 == 32 || $0 == 13 } }).reversed()
        } else {
            guard let array = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] else {
                throw .badRequest("Send a JSON array of events, or NDJSON with Content-Type: application/x-ndjson.")
            }
            chunks = array.map { (try? JSONSerialization.data(withJSONObject: $0)).map(Array.init) ?? [] }
        }
        guard chunks.count <= eventCountMax else {
            throw .tooLarge("A batch may hold at most \(eventCountMax) events; split it.")
        }
        guard !chunks.isEmpty else { throw .badRequest("The batch holds no events.") }
        return chunks.map { chunk in
            do {
                let value = try decoder.decode(JSONValue.self, from: Data(chunk))
                try OpenAPIDocument.shared.validate(value, schema: "UsageEvent")
                return .success(try decoder.decode(UsageEventInput.self, from: Data(chunk)))
            } catch let problem as Problem {
                return .failure(ReasonError(problem.detail))
            } catch {
                return .failure(ReasonError("not a valid event (malformed JSON or wrong types)"))
            }
        }
    }

    struct ReasonError: Error {
        let text: String
        init(_ text: String) { self.text = text }
    }

    struct Line: Codable, Sendable {
        var assetID: String
        var template: String
        var platform: String
        var kind: String
        var quantity: Int64
        var grossMicros: Int64
        var feeMicros: Int64
        var shareMicros: Int64
        enum CodingKeys: String, CodingKey {
            case template, platform, kind, quantity
            case assetID = "asset_id"
            case grossMicros = "gross_micros"
            case feeMicros = "fee_micros"
            case shareMicros = "share_micros"
        }
    }

    struct Statement: Codable, Sendable {
        var partyID: String
        var period: String
        var currency: String
        var openingBalanceMicros: Int64
        var lines: [Line]
        var usageMicros: Int64
        var licenseSalesMicros: Int64
        var closingBalanceMicros: Int64
        enum CodingKeys: String, CodingKey {
            case period, currency, lines
            case partyID = "party_id"
            case openingBalanceMicros = "opening_balance_micros"
            case usageMicros = "usage_micros"
            case licenseSalesMicros = "license_sales_micros"
            case closingBalanceMicros = "closing_balance_micros"
        }
    }

    /// A composer's statement for a period, current to the last acknowledged event.
    @Sendable func statement(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Statement> {
        let caller = try context.requireParty(.composer)
        guard let period = request.query("period").flatMap(Period.init) else {
            throw Problem.badRequest("Give the period as YYYY-MM, e.g. /v1/statements?period=2026-11.", field: "period")
        }
        var party = caller.id
        if let text = request.query("party") {
            guard caller.kind == .admin, let id = PartyID(text) else { throw Problem.notFound("Statement of \(text)") }
            party = id
        }
        let owner = party
        return JSONResponse(try await app.database.read { db in
            let lines = try Row.fetchAll(db, sql: """
                SELECT * FROM earnings_line WHERE party_id = ? AND period = ? ORDER BY asset_id, template_id, platform, kind
                """, arguments: [owner.rawValue, period.description]).map { row in
                Line(assetID: row["asset_id"], template: row["template_id"], platform: row["platform"], kind: row["kind"],
                     quantity: row["quantity"], grossMicros: row["gross_micros"], feeMicros: row["fee_micros"], shareMicros: row["share_micros"])
            }
            let account = try String.fetchOne(db, sql: "SELECT id FROM ledger_account WHERE owner = ? AND purpose = 'composer_earnings'",
                                              arguments: [owner.rawValue])
            func moved(_ from: Timestamp, _ to: Timestamp, _ reasons: String) throws -> Int64 {
                guard let account else { return 0 }
                let inflow = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(amount_micros), 0) FROM ledger_transfer WHERE credit_account = ? AND created_at >= ? AND created_at < ? AND reason \(reasons)",
                                                arguments: [account, from.millisecondsSince1970, to.millisecondsSince1970]) ?? 0
                let outflow = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(amount_micros), 0) FROM ledger_transfer WHERE debit_account = ? AND created_at >= ? AND created_at < ? AND reason \(reasons)",
                                                 arguments: [account, from.millisecondsSince1970, to.millisecondsSince1970]) ?? 0
                return inflow - outflow
            }
            let origin = Timestamp(millisecondsSince1970: 0)
            let opening = try moved(origin, period.start, "IS NOT NULL")
            let usage = try moved(period.start, period.next.start, "LIKE 'usage.%'")
            let sales = try moved(period.start, period.next.start, "LIKE 'license.%'")
            let closing = try moved(origin, period.next.start, "IS NOT NULL")
            return Statement(partyID: owner.rawValue, period: period.description, currency: app.settings.currency,
                             openingBalanceMicros: opening, lines: lines, usageMicros: usage, licenseSalesMicros: sales,
                             closingBalanceMicros: closing)
        })
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
