import HTTPTypes
import Hummingbird
import SyncletCore

extension Request {
    /// RFC 9110 §13.2.2 for a GET or HEAD of the representation tagged `etag`: `true` when
    /// If-None-Match names it (answer 304), `false` to answer in full; an If-Match that names
    /// no current representation throws 412 `precondition-failed`.
    func isNotModified(etag: EntityTag) throws(Problem) -> Bool {
        switch ConditionalRequest.evaluate(ifMatch: headers[.ifMatch], ifNoneMatch: headers[.ifNoneMatch], current: etag) {
        case .proceed:
            return false
        case .notModified:
            return true
        case .preconditionFailed:
            throw .preconditionFailed(
                "If-Match does not name the current version (ETag \(etag.header)); fetch it again, or send If-Match: \(etag.header) or *.")
        }
    }
}

extension Response {
    /// The fields a 304 repeats from the 200 it stands for (RFC 9110 §15.4.5). Nothing that
    /// describes a body (Content-Type, Content-Length, Content-Range, Content-Disposition):
    /// a 304 has none, and a cache would take them for the stored response's.
    static let notModifiedFieldNames: Set<HTTPField.Name> = [.eTag, .cacheControl, .contentLocation, .date, .expires, .vary]

    /// A 304 for the 200 that would have carried `headers`.
    static func notModified(from headers: HTTPFields) -> Response {
        var kept = HTTPFields()
        for field in headers where notModifiedFieldNames.contains(field.name) { kept.append(field) }
        var response = Response(status: .notModified, headers: kept)
        response.headers[.contentLength] = nil  // the empty body's "0" describes no representation
        return response
    }
}
