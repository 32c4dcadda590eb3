import BlobStore
import Blocking
import Hummingbird
import SyncletCore

/// Streams a stored file with single-range support (RFC 9110 §14): 206 with
/// Content-Range, 416 outside the file, 304 on a matching If-None-Match, and the whole
/// file otherwise. Bytes come from disk in chunks; the file is never loaded whole.
enum FileResponder {
    static func respond(path: String, byteCount: Int64, etag: String, contentType: String, filename: String,
                        request: Request, context: AppRequestContext, disposition: String = "attachment") async throws -> Response {
        var headers = HTTPFields()
        headers[.eTag] = etag
        headers[.acceptRanges] = "bytes"
        headers[.contentType] = contentType
        headers[.contentDisposition] = ContentDisposition.header(disposition, filename: filename)
        headers[.cacheControl] = "private, no-cache"

        if let match = request.headers[.ifNoneMatch], match == etag || match == "*" {
            return Response(status: .notModified, headers: headers)
        }
        // If-Range with another validator: the representation changed, send it whole.
        let rangeHeader = request.headers[.ifRange].map { $0 == etag } ?? true ? request.headers[.range] : nil
        switch ByteRange.parse(header: rangeHeader, length: byteCount) {
        case .whole:
            headers[.contentLength] = String(byteCount)
            let body = try await FileIO(threadPool: Blocking.files).loadFile(path: path, context: context)
            return Response(status: .ok, headers: headers, body: request.method == .head ? .init() : body)
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
