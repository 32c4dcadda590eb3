import Hummingbird
import SyncletCore

/// Routes about the service itself.
struct MetaController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health", use: health)
        router.get("/openapi.json", use: openAPI)
    }

    struct Health: Codable, Sendable {
        var status: String
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Health> {
        _ = try await app.catalog.partyCount()
        return JSONResponse(Health(status: "ok"))
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.shared.bytes)))
    }
}
