import Catalog
import Hummingbird
import SyncletCore

/// Stem packs: one archive in, a track with its stems out.
struct PacksController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/packs", use: create)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.PackResult> {
        let party = try context.requireParty(.composer)
        let body = try await request.decodeJSON(Wire.CreatePack.self, schema: "CreatePack",
                                                byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let made = try await PackIntake(app: app).createPack(body, owner: party)
        let presenter = AssetPresenter(app: app)
        let result = Wire.PackResult(track: try await presenter.presentDetail(made.track, viewer: party),
                                     stems: try await presenter.present(made.stems, viewer: party),
                                     attachments: made.attachments)
        var headers = HTTPFields()
        headers[.location] = "/v1/assets/\(made.track.id)"
        return JSONResponse(status: made.repeated ? .ok : .created, result, headers: headers)
    }
}
