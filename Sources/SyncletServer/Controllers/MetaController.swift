import Hummingbird
import SyncletCore

/// Routes about the service itself.
struct MetaController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/health", use: health)
        router.get("/health/ready", use: health)
        router.get("/health/live", use: live)
        router.get("/openapi.json", use: openAPI)
    }

    /// `/health` as the router serves it: the same answer `HealthFastPath` gives on the event
    /// loop (it takes every plain GET or HEAD /health; requests with a key come here).
    @Sendable func live(_ request: Request, context: AppRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: HealthAnswer.live)))
    }

    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (status, body) = HealthAnswer.make(app.health.verdict(now: app.settings.clock.now()), requestID: context.requestID)
        var headers = HTTPFields()
        headers[.contentType] = status == 200 ? "application/json" : "application/problem+json"
        headers[.cacheControl] = "no-store"
        if status != 200 { headers[.retryAfter] = "5" }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    @Sendable func openAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.shared.bytes)))
    }
}
