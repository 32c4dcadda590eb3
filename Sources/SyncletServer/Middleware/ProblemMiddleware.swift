import BlobStore
import Catalog
import Hummingbird
import NIOHTTP1
import SyncletCore

/// Turns every error into an RFC 9457 problem. Our `Problem`s pass through as they are;
/// framework errors get a type by status; anything else is a 500 that names only the
/// request id (the cause goes to the log, never to the client).
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Self.problem(for: error, context: context)
            // The request id is in the logger's metadata; the access line follows at info.
            if problem.status >= 500 {
                context.logger.error("request failed", metadata: ["status": "\(problem.status)", "error": "\(String(reflecting: error))"])
            } else {
                context.logger.debug("request refused", metadata: ["status": "\(problem.status)", "problem": "\(problem.type)",
                                                                   "detail": "\(problem.detail)"])
            }
            return Self.response(for: problem, context: context, head: request.method == .head)
        }
    }

    static func problem(for error: any Error, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as HTTPError:
            switch error.status.code {
            case 404: return .notFound("This route")
            case 413: return .tooLarge(error.body ?? "The request body is over the limit for this route.")
            case 400..<500:
                return Problem(status: error.status.code, type: "bad-request", title: error.status.reasonPhrase,
                               detail: error.body ?? "The request was refused (\(error.status.code)).")
            default: return .internalError(requestID: context.requestID)
            }
        case let error as DecodingError:
            return .badRequest(describe(error))
        case let error where isDiskFull(error):
            return .insufficientStorage()
        case let error as HTTPParserError:
            // The client's bytes broke HTTP/1.1 while the body was read (a malformed
            // chunk-size line, a connection that ended mid-body…): the client's fault.
            return .badRequest("The request is not valid HTTP/1.1 (\(error)): check the chunked encoding and send the whole body.")
        default:
            return .internalError(requestID: context.requestID)
        }
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "the body" : codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) has the wrong type; expected \(type)."
        case .valueNotFound(_, let context):
            return "\(path(context.codingPath)) must not be null."
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required."
        case .dataCorrupted(let context):
            return "\(path(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "The body could not be read."
        }
    }

    /// The problem+json response.
    static func response(for problem: Problem, context: Context, head: Bool = false) -> Response {
        var body: [String: JSONValue] = [
            "type": .string(problem.typeURI),
            "title": .string(problem.title),
            "status": .integer(Int64(problem.status)),
            "detail": .string(problem.detail),
            "request_id": .string(context.requestID),
        ]
        for (key, value) in problem.extensions { body[key] = .string(value) }
        let data = (try? JSONWriter.encode(JSONValue.object(body))) ?? []
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if problem.status == 401 { headers[.wwwAuthenticate] = "Bearer realm=\"synclet\"" }
        if let offset = problem.extensions["offset"] { headers[.uploadOffset] = offset }
        if let wait = problem.extensions["retry_after"] { headers[.retryAfter] = wait }
        if let allow = problem.extensions["allow"] { headers[.allow] = allow }
        // tus 1.0: a 412 for an unsupported version names the versions the server speaks.
        if problem.type == "tus-version" { headers[.tusVersion] = TusProtocol.version }
        headers[.contentLength] = String(data.count)
        return Response(status: .init(code: problem.status), headers: headers,
                        body: head ? .init() : .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
