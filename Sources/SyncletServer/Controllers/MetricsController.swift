import Hummingbird
import SyncletCore

/// `GET /metrics`: the server's metrics in the Prometheus text format, for the operator.
///
/// Route names, volumes and money-moving activity are business data, so the route takes an
/// admin key like the other operator routes; Prometheus sends one with
/// `authorization: { type: Bearer, credentials_file: … }` in its scrape config.
struct MetricsController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/metrics", use: metrics)
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireAdmin()
        var headers = HTTPFields()
        headers[.contentType] = ServerMetrics.contentType
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: app.metrics.exposition())))
    }
}
