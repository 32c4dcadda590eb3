import Foundation
import GRDB
import Ledger
import SyncletCore

/// Builds statements from the ledger and the statement lines; seals them when a period
/// closes, so a closed period's statements never change.
public enum StatementBook {
    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("usage-2-periods-sealed-payouts") { db in
            try db.execute(sql: """
                CREATE TABLE period_close (
                    period TEXT PRIMARY KEY NOT NULL,
                    closed_at INTEGER NOT NULL,
                    payout_threshold_micros INTEGER NOT NULL
                );
                -- The exact statement as sealed, and its SHA-256; never changed afterwards.
                CREATE TABLE sealed_statement (
                    period TEXT NOT NULL REFERENCES period_close(period),
                    party_id TEXT NOT NULL REFERENCES party(id),
                    content TEXT NOT NULL,
                    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
                    PRIMARY KEY (period, party_id)
                );
                CREATE TRIGGER sealed_statement_immutable BEFORE UPDATE ON sealed_statement
                BEGIN SELECT RAISE(ABORT, 'sealed statements never change'); END;
                CREATE TABLE payout (
                    period TEXT NOT NULL REFERENCES period_close(period),
                    party_id TEXT NOT NULL REFERENCES party(id),
                    amount_micros INTEGER NOT NULL CHECK (amount_micros > 0),
                    reference TEXT NOT NULL UNIQUE,
                    PRIMARY KEY (period, party_id)
                );
                """)
        }

        // Every amount and counter the books keep is an integer in range, held by the
        // database itself, so no path (a bug, an overflow SQLite would turn into a REAL)
        // can store one that is not. Registered last: it names tables of every money module.
        migrator.registerMigration("money-1-integer-amounts") { db in
            let amount = 1...Money.amountMicrosMax, nonNegativeAmount = 0...Money.amountMicrosMax
            let total = -Money.totalMicrosMax...Money.totalMicrosMax
            let checks: [(String, [(name: String, range: ClosedRange<Int64>, nullable: Bool)])] = [
                ("ledger_transfer", [("amount_micros", 1...Money.totalMicrosMax, false)]),  // a payout may be a large balance
                ("ledger_balance", [("balance_micros", total, false)]),
                ("ledger_period_total", [("in_micros", total, false), ("out_micros", total, false)]),
                ("license", [("price_micros", nonNegativeAmount, false), ("fee_micros", nonNegativeAmount, false)]),
                ("payment", [("amount_micros", amount, false)]),
                ("spending_cap", [("monthly_cap_micros", 0...Money.totalMicrosMax, false)]),
                ("usage_event", [("quantity", 1...Money.totalMicrosMax, false), ("charged_micros", nonNegativeAmount, false),
                                 ("fee_micros", nonNegativeAmount, true)]),
                ("usage_counter", [("total_quantity", total, false), ("charged_micros", total, false), ("uses", total, false)]),
                ("earnings_line", [("quantity", total, false), ("gross_micros", total, false), ("fee_micros", total, false),
                                   ("share_micros", total, false)]),
                ("payout", [("amount_micros", 1...Money.totalMicrosMax, false)]),
            ]
            for (table, columns) in checks {
                try db.execute(sql: Ledger.integerChecks(table: table, columns: columns))
            }
        }
    }

    public static func lines(_ db: Database, owner: PartyID, period: Period) throws -> [Statement.Line] {
        try Row.fetchAll(db, sql: """
            SELECT l.*, coalesce(a.title, '') AS asset_title FROM earnings_line l LEFT JOIN asset a ON a.id = l.asset_id
            WHERE l.party_id = ? AND l.period = ? ORDER BY l.asset_id, l.template_id, l.platform, l.kind
            """, arguments: [owner.rawValue, period.description]).map { row in
            Statement.Line(assetID: row["asset_id"], assetTitle: row["asset_title"], template: row["template_id"],
                           platform: row["platform"], kind: row["kind"], quantity: row["quantity"],
                           grossMicros: row["gross_micros"], feeMicros: row["fee_micros"], shareMicros: row["share_micros"])
        }
    }

    /// The live statement of `owner` for `period`, from the ledger and the lines.
    public static func statement(_ db: Database, owner: PartyID, period: Period, periods: PeriodCalendar, currency: String,
                                 now: Timestamp) throws -> Statement {
        let account = try String.fetchOne(db, sql: "SELECT id FROM ledger_account WHERE owner = ? AND purpose = 'composer_earnings'",
                                          arguments: [owner.rawValue])
        // Period totals kept by the ledger: a few rows, however many events the period holds.
        func net(from: String?, to: String?, _ reasonClass: String?, excluding excluded: String? = nil) throws -> Int64 {
            guard let account else { return 0 }
            return try Ledger.periodNet(db, account: account, from: from, to: to, reasonClass: reasonClass, excludingReasonClass: excluded)
        }
        let this = period.description
        let next = period.next.description
        let name = try String.fetchOne(db, sql: "SELECT display_name FROM party WHERE id = ?", arguments: [owner.rawValue]) ?? ""
        // A payout belongs to the period whose close made it, whenever its transfer was
        // booked (the close runs after the period ends): the statement it pays shows it, and
        // its closing balance is what was carried. So balances count every movement but the
        // payout transfers, and take off the payouts of the closes up to this period.
        func paidAtCloses(_ condition: String) throws -> Int64 {
            try Int64.fetchOne(db, sql: "SELECT coalesce(sum(amount_micros), 0) FROM payout WHERE party_id = ? AND period \(condition) ?",
                               arguments: [owner.rawValue, this]) ?? 0
        }
        let earnedBefore = try net(from: nil, to: this, nil, excluding: "payout")
        let earnedIn = try net(from: this, to: next, nil, excluding: "payout")
        let opening = earnedBefore - (try paidAtCloses("<"))
        let paidOut = try paidAtCloses("=")
        var result = Statement(
            partyID: owner.rawValue, partyName: name, period: period.description, currency: currency,
            openingBalanceMicros: opening, lines: try lines(db, owner: owner, period: period),
            usageMicros: try net(from: this, to: next, "usage"),
            licenseSalesMicros: try net(from: this, to: next, "license"),
            payoutsMicros: paidOut,
            closingBalanceMicros: opening + earnedIn - paidOut, generatedAt: now)
        result.timeZone = periods.timeZoneIdentifier
        result.adjustments = try adjustments(db, owner: owner, period: period, periods: periods)
        return result
    }

    /// What this statement's lines hold that belongs to an earlier, sealed period, on the
    /// assets this party earns from: events booked now that happened then (unless reversed
    /// in this same period), and reversals booked now of events a sealed statement holds
    /// (negative, naming the event they take back).
    static func adjustments(_ db: Database, owner: PartyID, period: Period, periods: PeriodCalendar) throws -> [Statement.Adjustment] {
        let closed = Set(try String.fetchAll(db, sql: "SELECT period FROM period_close"))
        guard !closed.isEmpty else { return [] }
        let late = try Row.fetchAll(db, sql: """
            SELECT e.seq, e.event_id, e.license_id, l.asset_id, e.occurred_at, e.quantity, e.charged_micros
            FROM usage_event e JOIN license l ON l.id = e.license_id
            WHERE e.period = ?1 AND e.status = 'accepted' AND e.occurred_at < ?2
              AND l.asset_id IN (SELECT asset_id FROM earnings_line WHERE party_id = ?3 AND period = ?1)
              AND NOT EXISTS (SELECT 1 FROM usage_event r WHERE r.reverses_seq = e.seq AND r.period = ?1)
            """, arguments: [period.description, periods.start(of: period).millisecondsSince1970, owner.rawValue]).compactMap { row -> (Int64, Statement.Adjustment)? in
            let occurredAt = Timestamp(millisecondsSince1970: row["occurred_at"])
            let original = periods.period(containing: occurredAt).description
            guard closed.contains(original) else { return nil }
            return (row["seq"], Statement.Adjustment(eventID: row["event_id"], licenseID: row["license_id"], assetID: row["asset_id"],
                                                     originalPeriod: original, occurredAt: occurredAt,
                                                     quantity: row["quantity"], chargedMicros: row["charged_micros"]))
        }
        let reversals = try Row.fetchAll(db, sql: """
            SELECT r.seq, r.event_id, r.license_id, l.asset_id, o.event_id AS original_id, o.occurred_at, o.quantity, o.charged_micros,
                   o.period AS original_period
            FROM usage_event r JOIN usage_event o ON o.seq = r.reverses_seq JOIN license l ON l.id = r.license_id
            WHERE r.period = ?1 AND r.status = 'reversal' AND o.status = 'accepted' AND o.period != ?1
              AND l.asset_id IN (SELECT asset_id FROM earnings_line WHERE party_id = ?2 AND period = ?1)
            """, arguments: [period.description, owner.rawValue]).compactMap { row -> (Int64, Statement.Adjustment)? in
            let original: String = row["original_period"]
            guard closed.contains(original) else { return nil }
            var adjustment = Statement.Adjustment(eventID: row["event_id"], licenseID: row["license_id"], assetID: row["asset_id"],
                                                  originalPeriod: original, occurredAt: Timestamp(millisecondsSince1970: row["occurred_at"]),
                                                  quantity: -(row["quantity"] as Int64), chargedMicros: -(row["charged_micros"] as Int64))
            adjustment.reverses = row["original_id"]
            return (row["seq"], adjustment)
        }
        return (late + reversals).sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// The sealed statement of a closed period, with its hash; nil while the period is open.
    public static func sealed(_ db: Database, owner: PartyID, period: Period) throws -> (content: String, sha256: String)? {
        guard let row = try Row.fetchOne(db, sql: "SELECT content, sha256 FROM sealed_statement WHERE period = ? AND party_id = ?",
                                         arguments: [period.description, owner.rawValue]) else { return nil }
        return (row["content"], row["sha256"])
    }

    public static func isClosed(_ db: Database, _ period: Period) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM period_close WHERE period = ?)", arguments: [period.description]) ?? false
    }

    public struct CloseResult: Codable, Sendable, Equatable {
        public var period: String
        public var sealedStatements: Int
        public var payouts: [Payout]
        public var carriedForwardParties: Int

        enum CodingKeys: String, CodingKey {
            case period, payouts
            case sealedStatements = "sealed_statements"
            case carriedForwardParties = "carried_forward_parties"
        }
    }

    public struct Payout: Codable, Sendable, Equatable {
        public var partyID: String
        public var amountMicros: Int64
        public var reference: String
        enum CodingKeys: String, CodingKey {
            case reference
            case partyID = "party_id"
            case amountMicros = "amount_micros"
        }
    }

    /// Closes a period in one transaction: seals every composer's statement (content and
    /// SHA-256), pays out balances at or over the threshold (a transfer to payment clearing
    /// and a payout row), and leaves smaller balances to carry forward. The period must be
    /// over; a period closes once.
    public static func close(_ db: Database, period: Period, periods: PeriodCalendar, thresholdMicros: Int64, currency: String,
                             now: Timestamp, hash: (String) -> String) throws -> CloseResult {
        let end = periods.start(of: period.next)
        guard now >= end else {
            throw Problem.conflict("period-open", "\(period) (\(periods.timeZoneIdentifier)) is not over yet; it can be closed from \(end).")
        }
        guard try !isClosed(db, period) else {
            throw Problem.conflict("period-closed", "\(period) is already closed; its statements are sealed.")
        }
        try db.execute(sql: "INSERT INTO period_close (period, closed_at, payout_threshold_micros) VALUES (?, ?, ?)",
                       arguments: [period.description, now.millisecondsSince1970, thresholdMicros])
        let composers = try String.fetchAll(db, sql: """
            SELECT party_id FROM ledger_account WHERE purpose = 'composer_earnings' AND party_id IS NOT NULL ORDER BY party_id
            """).compactMap { PartyID($0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var payouts = [Payout]()
        var carried = 0
        for party in composers {
            // Owed at the period's end: the statement before this close's payout.
            let owed = try statement(db, owner: party, period: period, periods: periods, currency: currency, now: now)
            let earnings = try Ledger.account(db, party: party, purpose: .composerEarnings, now: now)
            // What the sealed statement says is owed at the period's end, and no more than is
            // there now: earnings of the next period, already booked, wait for its close.
            let balance = min(owed.closingBalanceMicros, try Ledger.balance(db, earnings))
            if balance >= thresholdMicros && balance > 0 {
                let reference = "SYNPAY-\(period)-\(party.rawValue)"
                let clearing = try Ledger.account(db, party: nil, purpose: .paymentClearing, now: now)
                try Ledger.transfer(db, from: earnings, to: clearing, amount: balance, reason: "payout",
                                    cause: .init(type: "payout", id: reference), now: now)
                try db.execute(sql: "INSERT INTO payout (period, party_id, amount_micros, reference) VALUES (?, ?, ?, ?)",
                               arguments: [period.description, party.rawValue, balance, reference])
                payouts.append(Payout(partyID: party.rawValue, amountMicros: balance, reference: reference))
            } else if balance > 0 {
                carried += 1
            }
            // Sealed with the payout this close made, and what it carried forward.
            let sealed = try statement(db, owner: party, period: period, periods: periods, currency: currency, now: now)
            let content = String(decoding: try encoder.encode(sealed), as: UTF8.self)
            try db.execute(sql: "INSERT INTO sealed_statement (period, party_id, content, sha256) VALUES (?, ?, ?, ?)",
                           arguments: [period.description, party.rawValue, content, hash(content)])
        }
        return CloseResult(period: period.description, sealedStatements: composers.count, payouts: payouts, carriedForwardParties: carried)
    }

    /// The payout batch of a closed period as CSV for finance: party, amount, currency, reference.
    public static func payoutCSV(_ db: Database, period: Period, currency: String) throws -> String {
        let rows = try Row.fetchAll(db, sql: """
            SELECT p.party_id, coalesce(q.display_name, '') AS name, p.amount_micros, p.reference FROM payout p
            LEFT JOIN party q ON q.id = p.party_id WHERE p.period = ? ORDER BY p.party_id
            """, arguments: [period.description])
        var lines = ["party_id,party_name,amount,amount_micros,currency,reference"]
        for row in rows {
            let micros: Int64 = row["amount_micros"]
            lines.append([row["party_id"] as String, Statement.inertText(row["name"] as String), Money(micros: micros).decimal, String(micros), currency,
                          Statement.inertText(row["reference"] as String)].map(Statement.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
