import Catalog
import GRDB
import SyncletCore

public enum DropTag: IdentifierKind { public static let prefix = "drp_" }
public typealias DropID = Identifier<DropTag>

/// A limited drop: `quantity` licenses of one template for one asset, on sale between
/// `startsAt` and `endsAt`. `sold` only grows by a guarded increment inside the license's
/// own transaction, so a drop is never oversold.
public struct DropRecord: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "drop_sale"
    public var id: DropID
    public var assetID: AssetID
    public var templateID: String
    public var quantity: Int
    public var sold: Int
    public var startsAt: Timestamp
    public var endsAt: Timestamp
    public var createdAt: Timestamp

    public init(id: DropID, assetID: AssetID, templateID: String, quantity: Int, sold: Int, startsAt: Timestamp,
                endsAt: Timestamp, createdAt: Timestamp) {
        self.id = id
        self.assetID = assetID
        self.templateID = templateID
        self.quantity = quantity
        self.sold = sold
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case id, quantity, sold
        case assetID = "asset_id"
        case templateID = "template_id"
        case startsAt = "starts_at"
        case endsAt = "ends_at"
        case createdAt = "created_at"
    }

    /// scheduled, open, sold_out or closed, at `now`.
    public func state(at now: Timestamp) -> String {
        if now < startsAt { return "scheduled" }
        if now >= endsAt { return "closed" }
        return sold >= quantity ? "sold_out" : "open"
    }

    /// Takes one license from the drop, or throws the problem that says why not. Must run in
    /// the transaction that issues the license.
    public static func claimOne(_ db: Database, _ id: DropID, assetID: AssetID, templateID: String, now: Timestamp) throws {
        guard let drop = try DropRecord.fetchOne(db, key: id), drop.assetID == assetID, drop.templateID == templateID else {
            throw Problem.invalid("Drop \(id) does not sell \(templateID) licenses of \(assetID).", field: "drop_id")
        }
        switch drop.state(at: now) {
        case "scheduled":
            throw Problem.conflict("drop-not-open", "Drop \(id) opens at \(drop.startsAt); try again then.")
        case "closed":
            throw Problem.conflict("drop-closed", "Drop \(id) closed at \(drop.endsAt).")
        case "sold_out":
            throw Problem.conflict("drop-sold-out", "All \(drop.quantity) licenses of drop \(id) are sold.")
        default:
            try db.execute(sql: "UPDATE drop_sale SET sold = sold + 1 WHERE id = ? AND sold < quantity", arguments: [id.rawValue])
            guard db.changesCount == 1 else {
                throw Problem.conflict("drop-sold-out", "All \(drop.quantity) licenses of drop \(id) are sold.")
            }
        }
    }
}

/// How far below zero usage may take a licensee's wallet: the operator's figure for that
/// licensee, or the server's `usage-credit-limit`. Past it, usage is flagged
/// `insufficient_funds` instead of charged.
public enum CreditLimit {
    static let amount = LicenseeAmount(table: "credit_limit", column: "limit_micros")

    /// The limit the operator set for this licensee, if any.
    public static func limit(_ db: Database, party: PartyID) throws -> Int64? { try amount.read(db, party: party) }

    public static func set(_ db: Database, party: PartyID, micros: Int64?) throws { try amount.write(db, party: party, micros: micros) }
}

/// An amount the operator sets per licensee, one row per licensee in a table of its own;
/// removing it (nil) deletes the row.
struct LicenseeAmount {
    let table: String
    let column: String

    func read(_ db: Database, party: PartyID) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT \(column) FROM \(table) WHERE party_id = ?"), arguments: [party.rawValue])
    }

    func write(_ db: Database, party: PartyID, micros: Int64?) throws {
        if let micros {
            try db.execute(sql: "INSERT INTO \(table) (party_id, \(column)) VALUES (?, ?) ON CONFLICT(party_id) DO UPDATE SET \(column) = excluded.\(column)",
                           arguments: [party.rawValue, micros])
        } else {
            try db.execute(sql: "DELETE FROM \(table) WHERE party_id = ?", arguments: [party.rawValue])
        }
    }
}

/// Monthly spending caps per licensee.
public enum SpendingCap {
    static let amount = LicenseeAmount(table: "spending_cap", column: "monthly_cap_micros")

    /// The cap of a licensee, if the operator set one.
    public static func cap(_ db: Database, party: PartyID) throws -> Int64? { try amount.read(db, party: party) }

    public static func set(_ db: Database, party: PartyID, micros: Int64?) throws { try amount.write(db, party: party, micros: micros) }

    /// What left the licensee's wallet since `monthStart` (the start of the current period),
    /// net of what came back through reversals.
    public static func spent(_ db: Database, wallet: String, since start: Timestamp) throws -> Int64 {
        let monthStart = start.millisecondsSince1970
        let out = try Int64.fetchOne(db, sql: """
            SELECT coalesce(sum(amount_micros), 0) FROM ledger_transfer WHERE debit_account = ? AND created_at >= ?
            """, arguments: [wallet, monthStart]) ?? 0
        let back = try Int64.fetchOne(db, sql: """
            SELECT coalesce(sum(amount_micros), 0) FROM ledger_transfer
            WHERE credit_account = ? AND created_at >= ? AND (reverses IS NOT NULL OR reason = 'usage.reversal')
            """, arguments: [wallet, monthStart]) ?? 0
        return out - back
    }
}
