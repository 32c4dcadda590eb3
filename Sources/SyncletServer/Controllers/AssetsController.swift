import Catalog
import Hummingbird
import SyncletCore

extension Request: QueryReading {
    /// An empty value (`?cursor=`, or a bare `?cursor`) counts as absent, as forms and
    /// URL builders send it for "not set"; every optional parameter reads through here.
    func query(_ name: String) -> String? {
        guard let value = uri.queryParameters.get(name), !value.isEmpty else { return nil }
        return value
    }
}

/// The catalog's assets: create from an upload, search, show, edit, publish, withdraw, splits.
struct AssetsController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/assets", use: create)
        router.get("/v1/assets", use: search)
        router.get("/v1/assets/:id", use: show)
        router.patch("/v1/assets/:id", use: update)
        router.post("/v1/assets/:id/publish", use: publish)
        router.post("/v1/assets/:id/withdraw", use: withdraw)
        router.get("/v1/assets/:id/splits", use: splitVersions)
        router.put("/v1/assets/:id/splits", use: replaceSplits)
    }

    var presenter: AssetPresenter { AssetPresenter(app: app) }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Asset> {
        let party = try context.requireParty(.composer)
        let body = try await request.decodeJSON(Wire.CreateAsset.self, schema: "CreateAsset",
                                                byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let created = try await AssetIntake(app: app).createAsset(body, owner: party)
        var headers = HTTPFields()
        headers[.location] = "/v1/assets/\(created.record.id)"
        return JSONResponse(status: created.repeated ? .ok : .created, try await presenter.presentDetail(created.record, viewer: party),
                            headers: headers)
    }

    /// Search for any authenticated party: published assets, or with `mine=true` your own.
    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Page<Wire.Asset>> {
        let party = try context.requireParty()
        let query = try SearchQuery(parameters: request.query, limits: app.settings.limits)
        let page = try app.page(request)
        let after = try page.after.map { (text) throws(Problem) -> SearchPosition in
            guard let position = SearchPosition(encoded: text, sort: query.sort) else {
                throw .badRequest("This cursor belongs to another sort order; start again without it.", field: "cursor")
            }
            return position
        }
        let result = try await app.catalog.search(query, caller: SearchCaller(party: party.id, isAdmin: party.kind == .admin),
                                                  after: after, limit: page.limit)
        let items = try await presenter.present(result.items, viewer: party, names: result.composerNames)
        return JSONResponse(Wire.Page(items: items, nextCursor: result.next.map { app.cursors.encode($0.encoded) }))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Asset> {
        let record = try await app.visibleAsset(context)
        return JSONResponse(try await presenter.presentDetail(record, viewer: context.party))
    }

    @Sendable func update(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Asset> {
        let party = try context.requireParty(.composer)
        let id = try Self.assetID(context)
        let body = try await request.decodeJSON(Wire.UpdateAsset.self, schema: "UpdateAsset",
                                                byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let changes = try AssetChanges(validating: body, limits: app.settings.limits)
        let record = try await app.catalog.update(id, owner: party.id, changes: changes, now: app.settings.clock.now())
        if changes.touchesPreview { app.previewSignal.wake() }
        return JSONResponse(try await presenter.presentDetail(record, viewer: party))
    }

    @Sendable func publish(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Asset> {
        try await transition(context, to: .published)
    }

    @Sendable func withdraw(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Asset> {
        try await transition(context, to: .withdrawn)
    }

    func transition(_ context: AppRequestContext, to status: AssetStatus) async throws -> JSONResponse<Wire.Asset> {
        let party = try context.requireParty(.composer)
        let record = try await app.catalog.setStatus(try Self.assetID(context), to: status, owner: party.id,
                                                     now: app.settings.clock.now())
        return JSONResponse(try await presenter.presentDetail(record, viewer: party))
    }

    @Sendable func splitVersions(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Page<Wire.SplitVersion>> {
        let record = try await app.ownedAsset(context)
        let versions = try await app.catalog.splitVersions(of: record.id)
            .map { Wire.SplitVersion(version: $0.version, effectiveAt: $0.effectiveAt, splits: $0.shares) }
        return JSONResponse(Wire.Page(items: versions, nextCursor: nil))
    }

    @Sendable func replaceSplits(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.SplitVersion> {
        let party = try context.requireParty(.composer)
        let id = try Self.assetID(context)
        let body = try await request.decodeJSON(Wire.ReplaceSplits.self, schema: "ReplaceSplits",
                                                byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let splits = try Splits(validating: body.splits)
        let now = app.settings.clock.now()
        let version = try await app.catalog.replaceSplits(id, owner: party.id, splits: splits, now: now)
        return JSONResponse(status: .created, Wire.SplitVersion(version: version, effectiveAt: now, splits: splits.shares))
    }

    static func assetID(_ context: AppRequestContext) throws(Problem) -> AssetID {
        let text = context.parameters.get("id") ?? ""
        guard let id = AssetID(text) else { throw .notFound("Asset \(text)") }
        return id
    }
}

extension AppServices {
    /// The asset if the caller owns it (or is the operator); 404 otherwise, so nobody
    /// learns that someone else's asset exists.
    func ownedAsset(_ context: AppRequestContext) async throws -> AssetRecord {
        let party = try context.requireParty(.composer)
        let id = try AssetsController.assetID(context)
        guard let record = try await catalog.asset(id), record.ownerID == party.id || party.kind == .admin else {
            throw Problem.notFound("Asset \(id)")
        }
        return record
    }

    /// The asset if it is published, or the caller owns it, or is the operator; 404 otherwise.
    /// Works without a key for published assets (previews and waveforms are public).
    func visibleAsset(_ context: AppRequestContext) async throws -> AssetRecord {
        let id = try AssetsController.assetID(context)
        guard let record = try await catalog.asset(id) else { throw Problem.notFound("Asset \(id)") }
        if record.status == .published { return record }
        guard let party = context.party, party.id == record.ownerID || party.kind == .admin else {
            throw Problem.notFound("Asset \(id)")
        }
        return record
    }
}
