import HTTPTypes
import Hummingbird
import SyncletCore

extension HTTPField.Name {
    static let requestID = Self("X-Request-Id")!
    static let tusResumable = Self("Tus-Resumable")!
    static let tusVersion = Self("Tus-Version")!
    static let tusExtension = Self("Tus-Extension")!
    static let tusMaxSize = Self("Tus-Max-Size")!
    static let uploadOffset = Self("Upload-Offset")!
    static let uploadLength = Self("Upload-Length")!
    static let uploadMetadata = Self("Upload-Metadata")!
    static let uploadExpires = Self("Upload-Expires")!
    static let uploadDeferLength = Self("Upload-Defer-Length")!
}

/// Outermost: stamps every response, errors included, with the request id and the tus
/// version (tus asks for `Tus-Resumable` on every response; it harms nothing elsewhere).
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.requestID] = context.requestID
        response.headers[.tusResumable] = TusProtocol.version
        return response
    }
}
