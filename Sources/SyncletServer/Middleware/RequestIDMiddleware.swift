import HTTPTypes
import Hummingbird
import Logging
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

/// Outermost: settles the request id and stamps every response, errors included, with it
/// and with the tus version (tus asks for `Tus-Resumable` on every response; it harms
/// nothing elsewhere). A client's own `X-Request-Id` is kept when it is short and plain,
/// so a trace can span client and server; anything else is replaced by one of ours. The
/// id settled here is the one in every log line of the request and in problem bodies.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    /// The longest client-sent request id we keep.
    static let requestIDCharacterCountMax = 64

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let sent = request.headers[.requestID], Self.isAcceptable(sent) {
            context.requestID = sent
        }
        context.logger[metadataKey: "request_id"] = .string(context.requestID)
        // Hummingbird's own per-request id would be a second, different id on every line.
        context.logger[metadataKey: "hb.request.id"] = .string(context.requestID)
        var response = try await next(request, context)
        response.headers[.requestID] = context.requestID
        response.headers[.tusResumable] = TusProtocol.version
        return response
    }

    /// 1 to 64 characters of `A-Z a-z 0-9 . _ -`: safe in a header, a log line and a URL.
    static func isAcceptable(_ id: String) -> Bool {
        let bytes = id.utf8
        return !bytes.isEmpty && bytes.count <= requestIDCharacterCountMax && bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                true
            default:
                false
            }
        }
    }
}
