import Foundation
import Synchronization
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
    let keys: KeyCache

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

    static let invalidKey = Problem.unauthorized("This API key is not valid. Check that you copied it whole, or ask the operator for a new one.")

    func authenticate(header: String) async throws -> (APIKeyRecord, PartyRecord) {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("Use `Authorization: Bearer syn_…` with your API key.")
        }
        guard let token = APIKeyToken(presented: String(parts[1].trimmingCharacters(in: .whitespaces))) else {
            throw Self.invalidKey
        }
        let found: (APIKeyRecord, PartyRecord)?
        if let cached = keys.lookup(token.lookup) { found = cached } else { found = try await catalog.keyAndParty(lookup: token.lookup) }
        guard let (key, party) = found,
              SecureBytes.constantTimeEqual(SHA256Hasher.digest(Array(token.token.utf8)), key.tokenSHA256)
        else { throw Self.invalidKey }
        guard key.revokedAt == nil else {
            throw Problem.unauthorized("This API key was revoked on \(key.revokedAt!). Ask the operator for a new one.")
        }
        keys.keep(key, party)
        return (key, party)
    }
}

/// Keys that authenticated recently, with their party, so the key check costs no database
/// read on every request (it was half the cost of a small authenticated request). Only keys
/// that passed are kept; the token's hash is still compared on every request. A revocation
/// on this server empties the cache at once; a key revoked elsewhere (another node, the
/// offline tools) stops working within `Limits.apiKeyCacheSeconds`.
final class KeyCache: Sendable {
    private struct Entry {
        let key: APIKeyRecord
        let party: PartyRecord
        let expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let lifetime: Duration
    /// Keys kept at most; past it the cache starts over (an attacker cannot fill it: only
    /// keys that authenticated are kept).
    static let entryCountMax = 10_000

    init(seconds: Int64) { lifetime = .seconds(seconds) }

    func lookup(_ lookup: String) -> (APIKeyRecord, PartyRecord)? {
        guard lifetime > .zero else { return nil }
        return entries.withLock { entries in
            guard let entry = entries[lookup] else { return nil }
            guard entry.expires > .now else {
                entries[lookup] = nil
                return nil
            }
            return (entry.key, entry.party)
        }
    }

    func keep(_ key: APIKeyRecord, _ party: PartyRecord) {
        guard lifetime > .zero else { return }
        entries.withLock { entries in
            if entries.count >= Self.entryCountMax { entries.removeAll(keepingCapacity: true) }
            entries[key.lookup] = Entry(key: key, party: party, expires: .now + lifetime)
        }
    }

    /// Forgets everything (a key was revoked).
    func removeAll() {
        entries.withLock { $0.removeAll() }
    }
}
