import Catalog
import Hummingbird
import SyncletCore

/// Parties and their API keys. The operator creates parties and issues and revokes keys;
/// a party may read itself and its own keys, and revoke its own keys.
struct PartiesController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/me", use: me)
        router.post("/v1/parties", use: create)
        router.get("/v1/parties", use: list)
        router.get("/v1/parties/:id", use: show)
        router.post("/v1/parties/:id/keys", use: issueKey)
        router.get("/v1/parties/:id/keys", use: listKeys)
        router.delete("/v1/keys/:id", use: revokeKey)
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Party> {
        JSONResponse(try context.requireParty().wire)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Party> {
        _ = try context.requireAdmin()
        let body = try await request.decodeJSON(Wire.CreateParty.self, schema: "CreateParty",
                                                byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let name = body.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.unicodeScalars.count <= app.settings.limits.titleCharacterCountMax else {
            throw Problem.invalid("display_name must be 1 to \(app.settings.limits.titleCharacterCountMax) characters.", field: "display_name")
        }
        let party = try await app.catalog.createParty(kind: body.kind, displayName: name, now: app.settings.clock.now())
        var headers = HTTPFields()
        headers[.location] = "/v1/parties/\(party.id)"
        return JSONResponse(status: .created, party.wire, headers: headers)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Page<Wire.Party>> {
        _ = try context.requireAdmin()
        let page = try app.page(request)
        let after = try page.after.map { (text) throws(Problem) -> PartyID in
            guard let id = PartyID(text) else { throw .badRequest("The cursor is not one we issued.", field: "cursor") }
            return id
        }
        let records = try await app.catalog.parties(after: after, limit: page.limit + 1)
        let items = records.prefix(page.limit).map(\.wire)
        let next = records.count > page.limit ? items.last.map { app.cursors.encode($0.id.rawValue) } : nil
        return JSONResponse(Wire.Page(items: Array(items), nextCursor: next))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Party> {
        JSONResponse(try await visibleParty(context).wire)
    }

    @Sendable func issueKey(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.IssuedAPIKey> {
        _ = try context.requireAdmin()
        let party = try await visibleParty(context)
        let body = try await request.decodeJSON(Wire.CreateAPIKey.self, schema: "CreateAPIKey",
                                                byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let label = (body.label ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let (record, token) = try await app.catalog.issueKey(for: party.id, label: label.isEmpty ? "api" : label,
                                                             now: app.settings.clock.now())
        return JSONResponse(status: .created, Wire.IssuedAPIKey(key: record.wire, token: token))
    }

    @Sendable func listKeys(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Page<Wire.APIKey>> {
        let party = try await visibleParty(context)
        let keys = try await app.catalog.keys(of: party.id).map(\.wire)
        return JSONResponse(Wire.Page(items: keys, nextCursor: nil))
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.APIKey> {
        let caller = try context.requireParty()
        let text = context.parameters.get("id") ?? ""
        guard let id = APIKeyID(text), let key = try await app.catalog.key(id),
              caller.kind == .admin || key.partyID == caller.id
        else { throw Problem.notFound("API key \(text)") }
        let revoked = try await app.catalog.revokeKey(key.id, at: app.settings.clock.now())!
        app.keyCache.removeAll()
        return JSONResponse(revoked.wire)
    }

    /// The party named in the path if the caller is the operator or that party itself.
    func visibleParty(_ context: AppRequestContext) async throws -> PartyRecord {
        let caller = try context.requireParty()
        let text = context.parameters.get("id") ?? ""
        guard let id = PartyID(text), caller.kind == .admin || caller.id == id,
              let party = try await app.catalog.party(id)
        else { throw Problem.notFound("Party \(text)") }
        return party
    }
}
