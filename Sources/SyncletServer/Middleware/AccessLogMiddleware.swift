import HTTPTypes
import Hummingbird
import Logging
import SyncletCore

/// Just inside `RequestIDMiddleware`, outside `ProblemMiddleware`: sees every answer, problems
/// included, counts it in the server's metrics and writes one structured line for it at
/// info: method, route template, status, duration, request id and the caller. It never
/// logs headers or bodies, so API keys stay out of the log; the raw path is logged only
/// for requests no route matched (without its query), since a template says nothing there.
///
/// Time is measured to the response head: a streamed body (a download) is not included.
struct AccessLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: ServerMetrics

    /// The longest raw path we log for an unmatched request.
    static let loggedPathCharacterCountMax = 200

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        do {
            let response = try await next(request, context)
            record(request, context, status: response.status, duration: start.duration(to: .now))
            return response
        } catch {
            // ProblemMiddleware answers every error; this is a backstop that still counts it.
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            record(request, context, status: status, duration: start.duration(to: .now))
            throw error
        }
    }

    func record(_ request: Request, _ context: Context, status: HTTPResponse.Status, duration: Duration) {
        metrics.recordRequest(method: request.method, route: context.endpointPath, status: status, duration: duration)
        let route = ServerMetrics.routeLabel(context.endpointPath)
        var metadata: Logger.Metadata = [
            "method": .string(ServerMetrics.methodLabel(request.method)),
            "route": .string(route),
            "status": .string(String(status.code)),
            "duration_ms": .string(Self.milliseconds(duration)),
        ]
        if let party = context.facts.partyID { metadata["party"] = .string(party.rawValue) }
        if route == ServerMetrics.unmatchedRoute {
            metadata["path"] = .string(String(request.uri.path.prefix(Self.loggedPathCharacterCountMax)))
        }
        context.logger.info("request", metadata: metadata)
    }

    /// Milliseconds with three decimals (microsecond resolution), e.g. "12.345".
    static func milliseconds(_ duration: Duration) -> String {
        let micros = duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
        let fraction = String(micros % 1_000)
        return "\(micros / 1_000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
