import Foundation
import Catalog
import Hummingbird
import SyncletCore
import SyncletCrypto

/// Reads `Authorization: Bearer`, finds the key by its lookup part and compares the
/// token's SHA-256 in constant time. A presented but bad or revoked key is a 401 on
/// every route; no header leaves the request anonymous for the route to judge.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let catalog: CatalogStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        var context = context
        let (key, party) = try await authenticate(header: header)
        context.party = party
        context.keyID = key.id
        context.logger[metadataKey: "party"] = .string(party.id.rawValue)
        context.facts.partyID = party.id
        return try await next(request, context)
    }

    func authenticate(header: String) async throws -> (APIKeyRecord, PartyRecord) {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("Use `Authorization: Bearer syn_…` with your API key.")
        }
        guard let token = APIKeyToken(presented: String(parts[1].trimmingCharacters(in: .whitespaces))),
              let (key, party) = try await catalog.keyAndParty(lookup: token.lookup),
              SecureBytes.constantTimeEqual(SHA256Hasher.digest(Array(token.token.utf8)), key.tokenSHA256)
        else {
            throw Problem.unauthorized("This API key is not valid. Check that you copied it whole, or ask the operator for a new one.")
        }
        guard key.revokedAt == nil else {
            throw Problem.unauthorized("This API key was revoked on \(key.revokedAt!). Ask the operator for a new one.")
        }
        return (key, party)
    }
}
