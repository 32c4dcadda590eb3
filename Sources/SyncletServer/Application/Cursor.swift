import Foundation
import SyncletCore
import SyncletCrypto

/// Opaque, tamper-evident page cursors: the last id of a page, MAC'd with the instance's
/// cursor key. A cursor that was edited or made elsewhere is a 400, never a silent skip.
struct CursorCodec: Sendable {
    let key: [UInt8]
    static let macByteCount = 12

    func encode(_ lastID: String) -> String {
        let payload = Array(lastID.utf8)
        let mac = HMACSHA256.authenticate(payload, key: key).prefix(Self.macByteCount)
        return Base64URL.encode(payload + mac)
    }

    func decode(_ cursor: String) throws(Problem) -> String {
        guard let bytes = Base64URL.decode(cursor), bytes.count > Self.macByteCount else {
            throw .badRequest("The cursor is not one we issued; pass next_cursor from the previous page unchanged.", field: "cursor")
        }
        let payload = Array(bytes.dropLast(Self.macByteCount))
        let mac = Array(bytes.suffix(Self.macByteCount))
        let expected = Array(HMACSHA256.authenticate(payload, key: key).prefix(Self.macByteCount))
        guard SecureBytes.constantTimeEqual(mac, expected), let text = String(bytes: payload, encoding: .utf8) else {
            throw .badRequest("The cursor is not one we issued; pass next_cursor from the previous page unchanged.", field: "cursor")
        }
        return text
    }
}

/// Reads `limit` and `cursor` query parameters within the configured bounds.
struct PageRequest {
    var limit: Int
    var after: String?

    init(query: (String) -> String?, limits: Limits, cursors: CursorCodec) throws(Problem) {
        if let text = query("limit") {
            guard let value = Int(text), value >= 1, value <= limits.pageSizeMax else {
                throw .badRequest("limit must be an integer from 1 to \(limits.pageSizeMax).", field: "limit")
            }
            limit = value
        } else {
            limit = limits.pageSizeDefault
        }
        after = try query("cursor").map { (text) throws(Problem) in try cursors.decode(text) }
    }
}

/// Operator tooling: a page cursor for a search position, signed with the storage folder's
/// cursor key (benchmarks use it to ask for a deep page without paging there).
public func mintSearchCursor(storage: String, encodedPosition: String) throws -> String {
    let key = try loadOrCreateSecret(at: StorageLayout(root: storage).cursorKey)
    return CursorCodec(key: key).encode(encodedPosition)
}
