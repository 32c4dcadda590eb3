import BlobStore
import Blocking
import Hummingbird
import SyncletCore

/// Streams a stored file with single-range support (RFC 9110 §14): 206 with
/// Content-Range, 416 outside the file, and the whole file otherwise; before that the
/// preconditions (§13.2.2): 412 when If-Match fails, 304 when If-None-Match names the file.
/// Bytes come from disk in chunks; the file is never loaded whole.
enum FileResponder {
    /// `etag` is the file's strong entity tag, quoted (`"sha256"`).
    static func respond(path: String, byteCount: Int64, etag: String, contentType: String, filename: String,
                        request: Request, context: AppRequestContext, disposition: String = "attachment") async throws -> Response {
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.acceptRanges] = "bytes"
        headers[.contentType] = contentType
        headers[.contentDisposition] = ContentDisposition.header(disposition, filename: filename)
        headers[.cacheControl] = "private, no-cache"

        guard let current = EntityTag(etag) else { preconditionFailure("\(etag) is not an entity tag") }
        if try request.isNotModified(etag: current) {
            return Response.notModified(from: headers)
        }
        let rangeHeader: String?
        if request.method == .head {
            rangeHeader = nil  // Range is defined for GET alone (§14.2): a HEAD answers as the whole GET would.
        } else if let ifRange = request.headers[.ifRange], ifRange != etag {
            rangeHeader = nil  // If-Range with another validator: the representation changed, send it whole.
        } else {
            rangeHeader = request.headers[.range]
        }
        switch ByteRange.parse(header: rangeHeader, length: byteCount) {
        case .whole:
            headers[.contentLength] = String(byteCount)
            if request.method == .head { return Response(status: .ok, headers: headers) }
            let body = try await FileIO(threadPool: Blocking.files).loadFile(path: path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        case .partial(let range):
            headers[.contentLength] = String(range.count)
            headers[.contentRange] = range.contentRange(totalLength: byteCount)
            let body = try await FileIO(threadPool: Blocking.files).loadFile(path: path, range: Int(range.first)...Int(range.last), context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        case .unsatisfiable:
            var problem = ProblemMiddleware.response(
                for: .rangeNotSatisfiable("The file has \(byteCount) bytes; ask for a range inside 0-\(byteCount - 1)."),
                context: context)
            problem.headers[.contentRange] = "bytes */\(byteCount)"
            return problem
        }
    }
}
