import Foundation
import Hummingbird
import NIOCore
import SyncletCore

extension Request {
    /// Collects a body of at most `byteCountMax` bytes (413 beyond), for handlers that need
    /// the exact bytes (idempotency hashes, webhook signatures).
    mutating func collectLimitedBody(upTo byteCountMax: Int) async throws -> ByteBuffer {
        if let length = headers[.contentLength].flatMap(Int.init), length > byteCountMax {
            throw Problem.tooLarge("Bodies here may be at most \(byteCountMax) bytes.")
        }
        do {
            return try await collectBody(upTo: byteCountMax) as ByteBuffer
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.tooLarge("Bodies here may be at most \(byteCountMax) bytes.")
        } catch is NIOTooManyBytesError {
            // A chunked body has no Content-Length: the limit is found while reading.
            throw Problem.tooLarge("Bodies here may be at most \(byteCountMax) bytes.")
        }
    }

    /// Whether a Content-Type header names `mediaType` (parameters such as charset aside).
    static func isMediaType(_ header: String, _ mediaType: String) -> Bool {
        header.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() == mediaType } ?? false
    }

    /// Checks collected JSON bytes against the named schema and decodes them: one parse
    /// (which also refuses repeated member names), the schema walk over that tree, then
    /// the typed value read from the same tree.
    func decodeJSON<T: Decodable>(_ type: T.Type, schema: String, bytes: ByteBuffer) throws -> T {
        if let contentType = headers[.contentType], !Self.isMediaType(contentType, "application/json") {
            throw Problem.unsupportedMediaType("Send the body as application/json.")
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes.readableBytesView)
        } catch {
            switch error.reason {
            case .duplicateMember(let name):
                throw Problem.badRequest("The member \"\(name.prefix(60))\" appears twice in one object; send each member once.")
            case .tooDeep:
                throw Problem.badRequest("The body is nested more than \(JSONParser.depthMax) levels deep.")
            case .numberOutOfRange:
                throw Problem.badRequest("The body holds a number out of range (at byte \(error.offset)).")
            case .malformed:
                throw Problem.badRequest("The body is not valid JSON (at byte \(error.offset)). Send a JSON object with Content-Type: application/json.")
            }
        }
        try OpenAPIDocument.shared.validate(value, schema: schema)
        return try JSONValueDecoder.decode(T.self, from: value)
    }

    /// Reads a JSON body of at most `byteCountMax` bytes, checks it against the named
    /// schema of the API document, and decodes it.
    func decodeJSON<T: Decodable>(_ type: T.Type, schema: String, byteCountMax: Int) async throws -> T {
        if let contentType = headers[.contentType], !Self.isMediaType(contentType, "application/json") {
            throw Problem.unsupportedMediaType("Send the body as application/json.")
        }
        if let length = headers[.contentLength].flatMap(Int.init), length > byteCountMax {
            throw Problem.tooLarge("JSON bodies may be at most \(byteCountMax) bytes.")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await self.body.collect(upTo: byteCountMax)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.tooLarge("JSON bodies may be at most \(byteCountMax) bytes.")
        } catch is NIOTooManyBytesError {
            throw Problem.tooLarge("JSON bodies may be at most \(byteCountMax) bytes.")
        }
        return try decodeJSON(type, schema: schema, bytes: buffer)
    }
}

/// JSON responses with a status.
struct JSONResponse<Body: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var body: Body
    var headers: HTTPFields = [:]

    init(status: HTTPResponse.Status = .ok, _ body: Body, headers: HTTPFields = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let bytes = try JSONWriter.encode(body)
        var headers = self.headers
        headers[.contentType] = "application/json"
        headers[.contentLength] = String(bytes.count)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
