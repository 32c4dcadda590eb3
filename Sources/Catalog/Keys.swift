import GRDB
import SyncletCore
import SyncletCrypto

extension CatalogStore {
    /// Creates a key for `party` and returns its row and the token, which is shown this
    /// once and never stored: only its SHA-256 is.
    public func issueKey(for party: PartyID, label: String, now: Timestamp) async throws -> (APIKeyRecord, String) {
        var random = SecureRandom()
        let token = APIKeyToken(lookupBytes: SecureBytes.random(count: 8), secretBytes: SecureBytes.random(count: 32))
        let record = APIKeyRecord(
            id: APIKeyID.make(millisecondsSince1970: now.millisecondsSince1970, random: &random),
            partyID: party, lookup: token.lookup, tokenSHA256: SHA256Hasher.digest(Array(token.token.utf8)),
            hint: String(token.token.prefix(APIKeyToken.prefix.count + 6)) + "…", label: label, createdAt: now)
        try await insertKey(record)
        return (record, token.token)
    }

    /// The operator: the first admin party made (the one the first start bootstrapped).
    public func operatorParty() async throws -> PartyRecord? {
        try await writer.pooledRead { db in
            try PartyRecord.fetchOne(db, sql: "SELECT * FROM party WHERE kind = 'admin' ORDER BY created_at, id LIMIT 1")
        }
    }

    /// Creates a party with a fresh id.
    public func createParty(kind: PartyKind, displayName: String, now: Timestamp) async throws -> PartyRecord {
        var random = SecureRandom()
        let party = PartyRecord(id: PartyID.make(millisecondsSince1970: now.millisecondsSince1970, random: &random),
                                kind: kind, displayName: displayName, createdAt: now)
        try await createParty(party)
        return party
    }

    /// On an empty database, creates the operator party and its first key and returns the
    /// token (to be printed once); on any later start returns `nil`. One transaction, so
    /// two processes racing on a new folder cannot both bootstrap.
    public func bootstrapIfEmpty(now: Timestamp) async throws -> (PartyRecord, String)? {
        var random = SecureRandom()
        let token = APIKeyToken(lookupBytes: SecureBytes.random(count: 8), secretBytes: SecureBytes.random(count: 32))
        let party = PartyRecord(id: PartyID.make(millisecondsSince1970: now.millisecondsSince1970, random: &random),
                                kind: .admin, displayName: "Operator", createdAt: now)
        let key = APIKeyRecord(
            id: APIKeyID.make(millisecondsSince1970: now.millisecondsSince1970, random: &random),
            partyID: party.id, lookup: token.lookup, tokenSHA256: SHA256Hasher.digest(Array(token.token.utf8)),
            hint: String(token.token.prefix(APIKeyToken.prefix.count + 6)) + "…", label: "bootstrap", createdAt: now)
        let created = try await writer.write { db -> Bool in
            guard try PartyRecord.fetchCount(db) == 0 else { return false }
            try party.insert(db)
            try key.insert(db)
            return true
        }
        return created ? (party, token.token) : nil
    }
}
