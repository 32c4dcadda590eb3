import HTTPTypes
import Hummingbird
import Synchronization
import SyncletCore

/// The router's routes as method and path templates, filled in once the routes are added.
final class RouteMethods: Sendable {
    private let templates = Mutex<[(method: String, segments: [Substring])]>([])

    /// Takes "METHOD /path/{param}" strings, as `SyncletApp.routes` lists them.
    func set(_ routes: [String]) {
        let parsed = routes.compactMap { route -> (String, [Substring])? in
            let parts = route.split(separator: " ", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), parts[1].split(separator: "/"))
        }
        templates.withLock { $0 = parsed.map { (method: $0.0, segments: $0.1) } }
    }

    /// The methods served at `path`, in the order routes were added.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        return templates.withLock { templates in
            var methods = [String]()
            for template in templates where template.segments.count == segments.count && !methods.contains(template.method) {
                let matches = zip(template.segments, segments).allSatisfy { pattern, segment in
                    pattern.hasPrefix("{") || pattern == segment
                }
                if matches { methods.append(template.method) }
            }
            return methods
        }
    }
}

/// A path served under other methods answers 405 with `Allow` instead of 404. (HEAD is
/// answered wherever GET is by the router itself: `.autoGenerateHeadEndpoints`.)
struct MethodMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let routes: RouteMethods

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let methods = routes.methods(for: request.uri.path)
        let served = methods.contains(request.method.rawValue) || (request.method == .head && methods.contains("GET"))
        if !methods.isEmpty, !served {
            let allowed = methods.contains("GET") && !methods.contains("HEAD") ? methods + ["HEAD"] : methods
            throw Problem(status: 405, type: "method-not-allowed", title: "Method not allowed",
                          detail: "\(request.uri.path) answers \(allowed.joined(separator: ", ")); \(request.method.rawValue) is not one of them.",
                          extensions: ["allow": allowed.joined(separator: ", ")])
        }
        return try await next(request, context)
    }
}
