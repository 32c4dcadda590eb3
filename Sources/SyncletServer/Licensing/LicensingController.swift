import Blocking
import GRDB
import HTTPTypes
import Catalog
import Foundation
import Hummingbird
import Licensing
import SyncletCore
import SyncletCrypto

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
}

/// Templates, quotes and licenses.
struct LicensingController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/license-templates", use: templates)
        router.post("/v1/quotes", use: quote)
        router.post("/v1/licenses", use: issue)
        router.get("/v1/licenses", use: list)
        router.get("/v1/licenses/:id", use: show)
        router.post("/v1/licenses/:id/revoke", use: revoke)
        router.get("/v1/clearances", use: clearances)
    }

    struct TemplateList: Codable, Sendable {
        var items: [TemplateView]
    }

    struct TemplateView: Codable, Sendable {
        var id: String
        var version: Int
        var name: String
        var summary: String
        var envelope: Envelope
        var pricing: Pricing
        var terms: String
        var termsSHA256: String
        var beyondEnvelope: BeyondEnvelope

        enum CodingKeys: String, CodingKey {
            case id, version, name, summary, envelope, pricing, terms
            case termsSHA256 = "terms_sha256"
            case beyondEnvelope = "beyond_envelope"
        }
    }

    /// Public: anyone may read what each license allows and costs.
    @Sendable func templates(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<TemplateList> {
        JSONResponse(TemplateList(items: app.templates.templates.map {
            TemplateView(id: $0.id, version: $0.version, name: $0.name, summary: $0.summary, envelope: $0.envelope,
                         pricing: $0.pricing, terms: $0.terms, termsSHA256: $0.termsSHA256, beyondEnvelope: $0.beyondEnvelope)
        }))
    }

    @Sendable func quote(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Quote> {
        _ = try context.requireParty()
        let body = try await request.decodeJSON(Wire.QuoteRequest.self, schema: "QuoteRequest",
                                                byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        guard let asset = try await app.catalog.asset(body.assetID), asset.status == .published else {
            throw Problem.notFound("Published asset \(body.assetID)")
        }
        let use = try body.use.validated()
        let usage = try ExpectedUsage(views: use.expectedViews, productions: body.expectedProductions, plays: body.expectedPlays)
        let options = try app.templates.quote(use, expecting: usage)
        return JSONResponse(Wire.Quote(assetID: asset.id, use: use, assumed: usage, currency: app.settings.currency, options: options))
    }

    /// Money moves here, so an `Idempotency-Key` is required: a retry returns the first
    /// answer and charges nothing again; the same key with another body is a 422.
    @Sendable func issue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let licensee = try context.requireParty(.licensee)
        let key = try Self.idempotencyKey(request)
        var request = request
        let bytes = try await request.collectLimitedBody(upTo: app.settings.limits.jsonBodyByteCountMax)
        let body = try request.decodeJSON(Wire.IssueLicense.self, schema: "IssueLicense", bytes: bytes)
        let (stored, newID) = try await LicenseDesk(app: app).issue(body, licensee: licensee, idempotencyKey: key,
                                                                    requestSHA256: SHA256Hasher.digest(bytes.readableBytesView).hex)
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        // A replay's license id is in its first answer (a replay of a refusal has none).
        let replayedID = newID == nil ? (try? JSONParser.parse(stored.body.utf8)).flatMap { value -> String? in
            if case .object(let members) = value, case .string(let id)? = members["id"] { id } else { nil }
        } : nil
        if let id = newID?.rawValue ?? replayedID { headers[.location] = "/v1/licenses/\(id)" }
        return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: stored.body)))
    }

    static func idempotencyKey(_ request: Request) throws(Problem) -> String {
        guard let key = request.headers[.idempotencyKey], !key.isEmpty else {
            throw .badRequest("Money-moving requests need an Idempotency-Key header (e.g. a UUID you keep for retries).",
                              field: "Idempotency-Key")
        }
        guard key.count <= Idempotency.keyCharacterCountMax, key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw .badRequest("Idempotency-Key must be 1 to \(Idempotency.keyCharacterCountMax) visible ASCII characters.",
                              field: "Idempotency-Key")
        }
        return key
    }

    /// A licensee's own licenses (the operator: all), newest first.
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Page<Wire.License>> {
        let party = try context.requireParty(.licensee)
        let page = try app.page(request)
        let now = app.settings.clock.now()
        let limit = page.limit
        let before = page.after
        // Two statements without a transaction: channels never change once a license exists.
        let (items, more) = try await app.database.pooledStatementRead { db -> ([Wire.License], Bool) in
            var sql = "SELECT \(LicenseRecord.columns("license")) FROM license WHERE 1 = 1"
            var arguments: [(any DatabaseValueConvertible)?] = []
            if party.kind != .admin { sql += " AND licensee_id = ?"; arguments.append(party.id.rawValue) }
            if let before { sql += " AND id < ?"; arguments.append(before) }
            sql += " ORDER BY id DESC LIMIT ?"
            arguments.append(limit + 1)
            // Decoded on the cursor: columns read straight from the statement.
            let records = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: StatementArguments(arguments))
                .map { try LicenseRecord(row: $0, at: 0) }.reduce(into: []) { $0.append($1) }
            let page = Array(records.prefix(limit))
            let channels = try LicenseRecord.channels(db, of: page.map(\.id))
            return (page.map { Wire.License($0, channels: channels[$0.id] ?? [], now: now) }, records.count > limit)
        }
        return JSONResponse(Wire.Page(items: items, nextCursor: more ? items.last.map { app.cursors.encode($0.id.rawValue) } : nil))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.License> {
        let party = try context.requireParty(.licensee)
        let text = context.parameters.get("id") ?? ""
        let now = app.settings.clock.now()
        guard let id = LicenseID(text), let license = try await app.database.pooledStatementRead({ db -> Wire.License? in
            guard let record = try Row.fetchCursor(db.cachedStatement(sql: "SELECT \(LicenseRecord.columns("license")) FROM license WHERE id = ?"),
                                                   arguments: [id.rawValue]).map({ try LicenseRecord(row: $0, at: 0) }).next(),
                  record.licenseeID == party.id || party.kind == .admin else { return nil }
            return Wire.License(record, channels: try LicenseRecord.channels(db, of: id), now: now)
        }) else { throw Problem.notFound("License \(text)") }
        return JSONResponse(license)
    }

    /// The operator revokes (refund, fraud): the charge is reversed transfer by transfer.
    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.License> {
        _ = try context.requireAdmin()
        let text = context.parameters.get("id") ?? ""
        guard let id = LicenseID(text) else { throw Problem.notFound("License \(text)") }
        let body = try await request.decodeJSON(Wire.Revoke.self, schema: "Revoke", byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let record = try await LicenseDesk(app: app).revoke(id, reason: body.reason)
        let channels = try await app.database.pooledRead { db in try LicenseRecord.channels(db, of: id) }
        return JSONResponse(Wire.License(record, channels: channels, now: app.settings.clock.now()))
    }

    struct Clearance: Codable, Sendable {
        var platform: String
        var channelID: String
        var licenseID: String
        var code: String
        var assetID: String
        var status: String
        var expiresAt: Timestamp?
        enum CodingKeys: String, CodingKey {
            case platform, code, status
            case channelID = "channel_id"
            case licenseID = "license_id"
            case assetID = "asset_id"
            case expiresAt = "expires_at"
        }
    }

    /// For claim administrators (operator): the channels licenses clear, by platform.
    @Sendable func clearances(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Page<Clearance>> {
        _ = try context.requireAdmin()
        guard let platform = request.query("platform")?.lowercased(), !platform.isEmpty else {
            throw Problem.badRequest("Name the platform: /v1/clearances?platform=youtube", field: "platform")
        }
        let channel = request.query("channel_id")
        let page = try app.page(request)
        let now = app.settings.clock.now()
        let limit = page.limit
        let after = page.after
        let rows = try await app.database.pooledRead { db -> [Clearance] in
            var sql = """
                SELECT c.platform, c.channel_id, l.* FROM license_channel c JOIN license l ON l.id = c.license_id
                WHERE c.platform = ?
                """
            var arguments: [(any DatabaseValueConvertible)?] = [platform]
            if let channel { sql += " AND c.channel_id = ?"; arguments.append(channel) }
            if let after { sql += " AND (c.channel_id || '|' || l.id) > ?"; arguments.append(after) }
            sql += " ORDER BY c.channel_id, l.id LIMIT \(limit + 1)"
            return try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                let record = try LicenseRecord(row: row)
                return Clearance(platform: row["platform"], channelID: row["channel_id"], licenseID: record.id.rawValue,
                                 code: record.code, assetID: record.assetID.rawValue, status: record.state(at: now),
                                 expiresAt: record.expiresAt)
            }
        }
        let items = Array(rows.prefix(limit))
        let next = rows.count > limit ? items.last.map { app.cursors.encode("\($0.channelID)|\($0.licenseID)") } : nil
        return JSONResponse(Wire.Page(items: items, nextCursor: next))
    }
}
