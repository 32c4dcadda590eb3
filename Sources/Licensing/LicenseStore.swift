import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import Synchronization
import SyncletCore

/// Signs license keys; the server backs it with PASETO v4.public and its current key.
public protocol LicenseSigner: Sendable {
    /// The PASERK id (`k4.pid.…`) of the signing key, written into every key's footer.
    var keyID: String { get }
    func sign(message: [UInt8], footer: [UInt8]) -> String
}

/// A channel a license clears (a claim on it can be released).
public struct ClearedChannel: Codable, Sendable, Hashable {
    public var platform: String
    public var channelID: String
    public init(platform: String, channelID: String) {
        self.platform = platform
        self.channelID = channelID
    }
    enum CodingKeys: String, CodingKey {
        case platform
        case channelID = "channel_id"
    }
}

/// The claims a license key carries. Anyone holding the public key can read and trust them.
public struct LicenseClaims: Codable, Sendable, Equatable {
    public var issuer = "synclet"
    /// The license id.
    public var jti: String
    /// The licensee's party id.
    public var sub: String
    public var licensee: String
    public var asset: String
    public var assetTitle: String
    public var composer: String
    /// `template@version`.
    public var template: String
    public var termsSHA256: String
    public var code: String
    public var channels: [ClearedChannel]
    public var envelope: Envelope
    public var iat: String
    public var exp: String?

    public init(jti: String, sub: String, licensee: String, asset: String, assetTitle: String, composer: String,
                template: String, termsSHA256: String, code: String, channels: [ClearedChannel], envelope: Envelope,
                iat: String, exp: String?) {
        self.jti = jti
        self.sub = sub
        self.licensee = licensee
        self.asset = asset
        self.assetTitle = assetTitle
        self.composer = composer
        self.template = template
        self.termsSHA256 = termsSHA256
        self.code = code
        self.channels = channels
        self.envelope = envelope
        self.iat = iat
        self.exp = exp
    }

    enum CodingKeys: String, CodingKey {
        case jti, sub, licensee, asset, composer, template, code, channels, envelope, iat, exp
        case issuer = "iss"
        case assetTitle = "asset_title"
        case termsSHA256 = "terms_sha256"
    }
}

/// A license row.
public struct LicenseRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "license"
    public var id: LicenseID
    public var code: String
    public var licenseeID: PartyID
    public var assetID: AssetID
    public var templateID: String
    public var templateVersion: Int
    public var termsSHA256: String
    public var envelope: Envelope
    public var intendedUse: IntendedUse
    public var priceMicros: Int64
    public var feeMicros: Int64
    public var issuedAt: Timestamp
    public var expiresAt: Timestamp?
    public var revokedAt: Timestamp?
    public var revokeReason: String?
    public var keyID: String
    public var token: String
    /// The prices the license was sold with: usage is charged at these, whatever the
    /// template says later. nil only on licenses sold before prices were kept.
    public var pricing: Pricing?

    public init(id: LicenseID, code: String, licenseeID: PartyID, assetID: AssetID, templateID: String, templateVersion: Int,
                termsSHA256: String, envelope: Envelope, intendedUse: IntendedUse, priceMicros: Int64, feeMicros: Int64,
                issuedAt: Timestamp, expiresAt: Timestamp?, revokedAt: Timestamp?, revokeReason: String?, keyID: String, token: String,
                pricing: Pricing? = nil) {
        self.pricing = pricing
        self.id = id
        self.code = code
        self.licenseeID = licenseeID
        self.assetID = assetID
        self.templateID = templateID
        self.templateVersion = templateVersion
        self.termsSHA256 = termsSHA256
        self.envelope = envelope
        self.intendedUse = intendedUse
        self.priceMicros = priceMicros
        self.feeMicros = feeMicros
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.revokeReason = revokeReason
        self.keyID = keyID
        self.token = token
    }

    enum CodingKeys: String, CodingKey {
        case id, code, envelope, token, pricing
        case licenseeID = "licensee_id"
        case assetID = "asset_id"
        case templateID = "template_id"
        case templateVersion = "template_version"
        case termsSHA256 = "terms_sha256"
        case intendedUse = "intended_use"
        case priceMicros = "price_micros"
        case feeMicros = "fee_micros"
        case issuedAt = "issued_at"
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
        case revokeReason = "revoke_reason"
        case keyID = "key_id"
    }

    /// valid, expired or revoked, at `now`.
    public func state(at now: Timestamp) -> String {
        if revokedAt != nil { return "revoked" }
        if let expiresAt, expiresAt <= now { return "expired" }
        return "valid"
    }
}

/// Idempotent replays of money-moving POSTs: the first answer is kept with a hash of the
/// request, in the same transaction as the money it moved.
public enum Idempotency {
    public struct Stored: Sendable, Equatable {
        public var status: Int
        public var body: String
        public init(status: Int, body: String) {
            self.status = status
            self.body = body
        }
    }

    public static let keyCharacterCountMax = 200

    /// The stored answer for (party, key), or nil; 422 when the key was used for another request.
    public static func replay(_ db: Database, party: PartyID, key: String, route: String, requestSHA256: String) throws -> Stored? {
        let select = try db.cachedStatement(sql: "SELECT route, request_sha256, status, response FROM idempotency WHERE party_id = ? AND key = ?")
        guard let row = try Row.fetchOne(select, arguments: [party.rawValue, key]) else { return nil }
        guard row["route"] as String == route, row["request_sha256"] as String == requestSHA256 else {
            throw Problem.invalid("This Idempotency-Key was already used for a different request. Use a new key for a new request.",
                                  field: "Idempotency-Key")
        }
        return Stored(status: row["status"], body: row["response"])
    }

    public static func record(_ db: Database, party: PartyID, key: String, route: String, requestSHA256: String,
                              stored: Stored, now: Timestamp) throws {
        try db.cachedStatement(sql: """
            INSERT INTO idempotency (party_id, key, route, request_sha256, status, response, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [party.rawValue, key, route, requestSHA256, stored.status, stored.body, now.millisecondsSince1970])
    }
}

extension LicenseRecord {
    /// The cleared channels of licenses, in one read.
    public static func channels(_ db: Database, of id: LicenseID) throws -> [ClearedChannel] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT platform, channel_id FROM license_channel WHERE license_id = ? ORDER BY platform, channel_id"),
                         arguments: [id.rawValue])
            .map { ClearedChannel(platform: $0[0], channelID: $0[1]) }
    }

    public static func find(_ db: Database, code: String) throws -> LicenseRecord? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT \(columns("license")) FROM license WHERE code = ?"), arguments: [code])
            .map { try LicenseRecord(row: $0, at: 0) }
    }

    /// Every column, in the order `init(row:at:)` reads them, as `table.column, …`.
    public static func columns(_ table: String) -> String {
        ["id", "code", "licensee_id", "asset_id", "template_id", "template_version", "terms_sha256", "envelope",
         "intended_use", "price_micros", "fee_micros", "issued_at", "expires_at", "revoked_at", "revoke_reason", "key_id",
         "token", "pricing"].map { "\(table).\($0)" }.joined(separator: ", ")
    }

    /// The number of columns `columns(_:)` names.
    public static let columnCount = 18

    /// A license from `columns(_:)` starting at `index` of `row`: read by position, and its
    /// JSON columns through the one-pass parser (GRDB's Codable decoding and Foundation's
    /// decoder cost most of a license list).
    public init(row: Row, at index: Int) throws {
        func json<T: Decodable & Sendable>(_ cache: DecodedColumns<T>, _ column: Int) throws -> T {
            try cache.value(of: row[index + column])
        }
        self.init(id: row[index], code: row[index + 1], licenseeID: row[index + 2], assetID: row[index + 3],
                  templateID: row[index + 4], templateVersion: row[index + 5], termsSHA256: row[index + 6],
                  envelope: try json(Self.envelopes, 7), intendedUse: try json(Self.uses, 8),
                  priceMicros: row[index + 9], feeMicros: row[index + 10], issuedAt: row[index + 11],
                  expiresAt: row[index + 12], revokedAt: row[index + 13], revokeReason: row[index + 14],
                  keyID: row[index + 15], token: row[index + 16],
                  pricing: (row[index + 17] as String?) == nil ? nil : try json(Self.prices, 17))
    }

    /// Envelopes, uses and prices repeat across licenses (one per template version, a few
    /// uses): each distinct text is parsed once.
    static let envelopes = DecodedColumns<Envelope>()
    static let uses = DecodedColumns<IntendedUse>()
    static let prices = DecodedColumns<Pricing>()

    /// Inserts the license with one prepared statement (GRDB's Codable persistence costs
    /// several times the insert on the purchase path); JSON columns as `JSONWriter` writes them.
    public func store(_ db: Database, dropID: String? = nil) throws {
        try db.cachedStatement(sql: """
            INSERT INTO license (id, code, licensee_id, asset_id, template_id, template_version, terms_sha256, envelope,
                                 intended_use, price_micros, fee_micros, issued_at, expires_at, revoked_at, revoke_reason, key_id,
                                 token, pricing, drop_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                id.rawValue, code, licenseeID.rawValue, assetID.rawValue, templateID, templateVersion, termsSHA256,
                try JSONWriter.string(envelope), try JSONWriter.string(intendedUse), priceMicros, feeMicros,
                issuedAt.millisecondsSince1970, expiresAt?.millisecondsSince1970, revokedAt?.millisecondsSince1970, revokeReason,
                keyID, token, try pricing.map { try JSONWriter.string($0) }, dropID])
    }

    /// Clears `channels` for license `id` (new licenses only).
    public static func storeChannels(_ db: Database, _ channels: [ClearedChannel], for id: LicenseID) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO license_channel (license_id, platform, channel_id) VALUES (?, ?, ?)")
        for channel in channels { try insert.execute(arguments: [id.rawValue, channel.platform, channel.channelID]) }
    }

    /// The cleared channels of many licenses in one query.
    public static func channels(_ db: Database, of ids: [LicenseID]) throws -> [LicenseID: [ClearedChannel]] {
        guard !ids.isEmpty else { return [:] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
        var result = [LicenseID: [ClearedChannel]]()
        for row in try Row.fetchAll(db, sql: """
            SELECT license_id, platform, channel_id FROM license_channel WHERE license_id IN (\(marks))
            ORDER BY license_id, platform, channel_id
            """, arguments: StatementArguments(ids.map(\.rawValue))) {
            result[row[0], default: []].append(ClearedChannel(platform: row[1], channelID: row[2]))
        }
        return result
    }
}

/// Values decoded from JSON columns, by their text: a column that repeats the same few
/// documents over thousands of rows is parsed once per document. Each thread keeps its own
/// table: every reader thread looks here for every row, and a shared table (even with the
/// lock held only for the lookup) cost a seventh of a license list in contention on the
/// lock and on the shared strings' reference counts. Bounded: past `entryCountMax`
/// documents a thread's table starts over.
final class DecodedColumns<Value: Decodable & Sendable>: Sendable {
    private final class Table {
        var values: [String: Value] = [:]
    }

    private let key: pthread_key_t
    static var entryCountMax: Int { 256 }

    init() {
        var key = pthread_key_t()
        let created = pthread_key_create(&key) { pointer in
            if let pointer { Unmanaged<AnyObject>.fromOpaque(pointer).release() }
        }
        precondition(created == 0, "no thread-local key left")
        self.key = key
    }

    private var table: Table {
        if let pointer = pthread_getspecific(key) {
            return Unmanaged<AnyObject>.fromOpaque(pointer).takeUnretainedValue() as! Table
        }
        let table = Table()
        pthread_setspecific(key, Unmanaged<AnyObject>.passRetained(table).toOpaque())
        return table
    }

    func value(of text: String) throws -> Value {
        let table = table
        if let known = table.values[text] { return known }
        let value = try JSONValueDecoder.decode(Value.self, from: text.utf8)
        if table.values.count >= Self.entryCountMax { table.values.removeAll(keepingCapacity: true) }
        table.values[text] = value
        return value
    }
}
