import GRDB
import SyncletCore

public enum LedgerAccountTag: IdentifierKind { public static let prefix = "acc_" }
public enum TransferTag: IdentifierKind { public static let prefix = "trf_" }
public typealias LedgerAccountID = Identifier<LedgerAccountTag>
public typealias TransferID = Identifier<TransferTag>

/// What an account is for. Party accounts name their party; platform accounts have none.
public enum AccountPurpose: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    /// Money a licensee can spend (credited by payments and grants, debited by licenses and usage).
    case licenseeWallet = "licensee_wallet"
    /// What a composer has earned and not yet been paid out.
    case composerEarnings = "composer_earnings"
    /// The platform's fee.
    case platformRevenue = "platform_revenue"
    /// The counterpart of money coming in from the payment provider (goes negative as it does).
    case paymentClearing = "payment_clearing"
    /// The counterpart of the operator's grants (promotional credit).
    case grants
}

/// The double-entry ledger: accounts, and immutable transfers between them. A balance is
/// what came in minus what went out, so the sum of all balances is zero by construction,
/// and a check recomputes it. Every transfer is written in the transaction of the
/// business fact that caused it, through the `Database`-taking functions here.
public enum Ledger {
    /// SQL for triggers that make SQLite refuse, on insert and on update, a value of `columns`
    /// that is not an integer within its range. SQLite turns an integer sum that overflows
    /// into a floating-point number without a word (a balance once became -1.8446e+19 and
    /// the ledger no longer summed to zero); with these the statement fails instead, and
    /// its transaction with it. Ranges of columns written by upserts must admit the deltas
    /// inserted (reversals insert negative ones), since BEFORE INSERT triggers see those.
    public static func integerChecks(table: String, columns: [(name: String, range: ClosedRange<Int64>, nullable: Bool)]) -> String {
        columns.map { column in
            let broken = "(typeof(NEW.\(column.name)) != 'integer' OR NEW.\(column.name) < \(column.range.lowerBound) OR NEW.\(column.name) > \(column.range.upperBound))"
            let when = column.nullable ? "NEW.\(column.name) IS NOT NULL AND \(broken)" : broken
            let raise = "SELECT RAISE(ABORT, '\(table).\(column.name) must be an integer from \(column.range.lowerBound) to \(column.range.upperBound)')"
            return """
                CREATE TRIGGER \(table)_\(column.name)_integer_insert BEFORE INSERT ON \(table) WHEN \(when) BEGIN \(raise); END;
                CREATE TRIGGER \(table)_\(column.name)_integer_update BEFORE UPDATE OF \(column.name) ON \(table) WHEN \(when) BEGIN \(raise); END;
                """
        }.joined(separator: "\n")
    }

    public static func register(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("ledger-1-accounts-transfers") { db in
            try db.execute(sql: """
                CREATE TABLE ledger_account (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'acc\\_%' ESCAPE '\\'),
                    owner TEXT NOT NULL,               -- a party id, or 'platform'
                    party_id TEXT REFERENCES party(id),
                    purpose TEXT NOT NULL CHECK (purpose IN
                        ('licensee_wallet', 'composer_earnings', 'platform_revenue', 'payment_clearing', 'grants')),
                    created_at INTEGER NOT NULL,
                    UNIQUE (owner, purpose),
                    CHECK ((party_id IS NULL) = (owner = 'platform'))
                );

                CREATE TABLE ledger_transfer (
                    id TEXT PRIMARY KEY NOT NULL CHECK (id LIKE 'trf\\_%' ESCAPE '\\'),
                    debit_account TEXT NOT NULL REFERENCES ledger_account(id),
                    credit_account TEXT NOT NULL REFERENCES ledger_account(id),
                    amount_micros INTEGER NOT NULL CHECK (amount_micros > 0),
                    reason TEXT NOT NULL,
                    cause_type TEXT NOT NULL,
                    cause_id TEXT NOT NULL,
                    reverses TEXT UNIQUE REFERENCES ledger_transfer(id),
                    created_at INTEGER NOT NULL,
                    CHECK (debit_account != credit_account)
                );
                CREATE INDEX ledger_transfer_debit ON ledger_transfer(debit_account, created_at);
                CREATE INDEX ledger_transfer_credit ON ledger_transfer(credit_account, created_at);
                CREATE INDEX ledger_transfer_cause ON ledger_transfer(cause_type, cause_id);

                -- Rows are never changed or removed: a correction is a new, reversing transfer.
                CREATE TRIGGER ledger_transfer_immutable_update BEFORE UPDATE ON ledger_transfer
                BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable; book a reversing transfer'); END;
                CREATE TRIGGER ledger_transfer_immutable_delete BEFORE DELETE ON ledger_transfer
                BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable; book a reversing transfer'); END;

                -- Balances, kept in step with the transfers in the same statement.
                CREATE TABLE ledger_balance (
                    account_id TEXT PRIMARY KEY NOT NULL REFERENCES ledger_account(id),
                    balance_micros INTEGER NOT NULL DEFAULT 0
                );
                CREATE TRIGGER ledger_account_balance AFTER INSERT ON ledger_account
                BEGIN INSERT INTO ledger_balance (account_id, balance_micros) VALUES (new.id, 0); END;
                CREATE TRIGGER ledger_transfer_balance AFTER INSERT ON ledger_transfer BEGIN
                    UPDATE ledger_balance SET balance_micros = balance_micros - new.amount_micros WHERE account_id = new.debit_account;
                    UPDATE ledger_balance SET balance_micros = balance_micros + new.amount_micros WHERE account_id = new.credit_account;
                END;
                """)
        }

        // Per account, calendar month (UTC) and kind of reason, the money in and out, kept
        // by trigger: statements read a few rows instead of summing every transfer, so they
        // cost the same at a million events as at a hundred.
        migrator.registerMigration("ledger-2-period-totals") { db in
            try db.execute(sql: """
                CREATE TABLE ledger_period_total (
                    account_id TEXT NOT NULL REFERENCES ledger_account(id),
                    period TEXT NOT NULL,
                    reason_class TEXT NOT NULL,
                    in_micros INTEGER NOT NULL DEFAULT 0,
                    out_micros INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (account_id, period, reason_class)
                );
                CREATE TRIGGER ledger_transfer_period_total AFTER INSERT ON ledger_transfer BEGIN
                    INSERT INTO ledger_period_total (account_id, period, reason_class, in_micros)
                    VALUES (new.credit_account, strftime('%Y-%m', new.created_at / 1000, 'unixepoch'),
                            CASE WHEN new.reason LIKE 'usage.%' THEN 'usage' WHEN new.reason LIKE 'license.%' THEN 'license'
                                 WHEN new.reason = 'payout' THEN 'payout' ELSE 'other' END, new.amount_micros)
                    ON CONFLICT (account_id, period, reason_class) DO UPDATE SET in_micros = in_micros + excluded.in_micros;
                    INSERT INTO ledger_period_total (account_id, period, reason_class, out_micros)
                    VALUES (new.debit_account, strftime('%Y-%m', new.created_at / 1000, 'unixepoch'),
                            CASE WHEN new.reason LIKE 'usage.%' THEN 'usage' WHEN new.reason LIKE 'license.%' THEN 'license'
                                 WHEN new.reason = 'payout' THEN 'payout' ELSE 'other' END, new.amount_micros)
                    ON CONFLICT (account_id, period, reason_class) DO UPDATE SET out_micros = out_micros + excluded.out_micros;
                END;
                INSERT INTO ledger_period_total (account_id, period, reason_class, in_micros, out_micros)
                SELECT account, period, class, sum(in_m), sum(out_m) FROM (
                    SELECT credit_account AS account, strftime('%Y-%m', created_at / 1000, 'unixepoch') AS period,
                           CASE WHEN reason LIKE 'usage.%' THEN 'usage' WHEN reason LIKE 'license.%' THEN 'license'
                                WHEN reason = 'payout' THEN 'payout' ELSE 'other' END AS class, amount_micros AS in_m, 0 AS out_m
                    FROM ledger_transfer
                    UNION ALL
                    SELECT debit_account, strftime('%Y-%m', created_at / 1000, 'unixepoch'),
                           CASE WHEN reason LIKE 'usage.%' THEN 'usage' WHEN reason LIKE 'license.%' THEN 'license'
                                WHEN reason = 'payout' THEN 'payout' ELSE 'other' END, 0, amount_micros
                    FROM ledger_transfer)
                GROUP BY account, period, class;
                """)
        }

        // Periods follow the deployment's time zone (`PeriodCalendar`): the trigger asks
        // `synclet_period(ms)`, which every connection registers (see `periodFunction`).
        migrator.registerMigration("ledger-3-period-zone") { db in
            try db.execute(sql: """
                CREATE TABLE ledger_setting (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                DROP TRIGGER ledger_transfer_period_total;
                CREATE TRIGGER ledger_transfer_period_total AFTER INSERT ON ledger_transfer BEGIN
                    INSERT INTO ledger_period_total (account_id, period, reason_class, in_micros)
                    VALUES (new.credit_account, synclet_period(new.created_at),
                            CASE WHEN new.reason LIKE 'usage.%' THEN 'usage' WHEN new.reason LIKE 'license.%' THEN 'license'
                                 WHEN new.reason = 'payout' THEN 'payout' ELSE 'other' END, new.amount_micros)
                    ON CONFLICT (account_id, period, reason_class) DO UPDATE SET in_micros = in_micros + excluded.in_micros;
                    INSERT INTO ledger_period_total (account_id, period, reason_class, out_micros)
                    VALUES (new.debit_account, synclet_period(new.created_at),
                            CASE WHEN new.reason LIKE 'usage.%' THEN 'usage' WHEN new.reason LIKE 'license.%' THEN 'license'
                                 WHEN new.reason = 'payout' THEN 'payout' ELSE 'other' END, new.amount_micros)
                    ON CONFLICT (account_id, period, reason_class) DO UPDATE SET out_micros = out_micros + excluded.out_micros;
                END;
                """)
        }
    }

    /// `synclet_period(milliseconds)` → `YYYY-MM` in the deployment's zone, for the period
    /// totals trigger. Register it on every connection (`Configuration.prepareDatabase`).
    public static func periodFunction(_ calendar: PeriodCalendar) -> DatabaseFunction {
        DatabaseFunction("synclet_period", argumentCount: 1, pure: true) { values in
            guard let milliseconds = Int64.fromDatabaseValue(values[0]) else { return nil }
            return calendar.period(containing: Timestamp(millisecondsSince1970: milliseconds)).description
        }
    }

    /// The zone this database's periods are kept in, recorded on first use. Books already
    /// kept (in UTC, before the zone was a setting) count as UTC. Throws when `calendar`
    /// differs from the recorded zone: a period must never change shape once money is booked.
    public static func adoptPeriodZone(_ db: Database, _ calendar: PeriodCalendar) throws {
        let recorded = try String.fetchOne(db, sql: "SELECT value FROM ledger_setting WHERE key = 'period_time_zone'")
        if recorded == calendar.timeZoneIdentifier { return }
        let hasBooks = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM ledger_transfer)") ?? false
        // Until money is booked the zone may still change; books kept before the zone was
        // recorded were kept in UTC.
        let zone = hasBooks ? (recorded ?? "UTC") : calendar.timeZoneIdentifier
        try db.execute(sql: """
            INSERT INTO ledger_setting (key, value) VALUES ('period_time_zone', ?)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """, arguments: [zone])
        guard zone == calendar.timeZoneIdentifier else { throw PeriodZoneMismatch(recorded: zone, asked: calendar.timeZoneIdentifier) }
    }

    public struct PeriodZoneMismatch: Error, CustomStringConvertible {
        public let recorded: String
        public let asked: String
        public var description: String {
            "The books in this folder are kept in periods of \(recorded); they cannot move to \(asked) once money is booked. Start with --period-time-zone \(recorded)."
        }
    }

    /// Net money into an account over a range of periods (`from` inclusive, `to` exclusive,
    /// as YYYY-MM), for one reason class or all.
    public static func periodNet(_ db: Database, account: String, from: String?, to: String?, reasonClass: String?,
                                 excludingReasonClass excluded: String? = nil) throws -> Int64 {
        var sql = "SELECT coalesce(sum(in_micros - out_micros), 0) FROM ledger_period_total WHERE account_id = ?"
        var arguments: [(any DatabaseValueConvertible)?] = [account]
        if let from { sql += " AND period >= ?"; arguments.append(from) }
        if let to { sql += " AND period < ?"; arguments.append(to) }
        if let reasonClass { sql += " AND reason_class = ?"; arguments.append(reasonClass) }
        if let excluded { sql += " AND reason_class <> ?"; arguments.append(excluded) }
        return try Int64.fetchOne(db, sql: sql, arguments: StatementArguments(arguments)) ?? 0
    }

    /// The account of `party` (or of the platform, for `nil`) for `purpose`, created on first use.
    public static func account(_ db: Database, party: PartyID?, purpose: AccountPurpose, now: Timestamp) throws -> LedgerAccountID {
        let owner = party?.rawValue ?? "platform"
        // Cached statements: these run several times in every purchase.
        let lookup = try db.cachedStatement(sql: "SELECT id FROM ledger_account WHERE owner = ? AND purpose = ?")
        if let existing = try String.fetchOne(lookup, arguments: [owner, purpose.rawValue]) {
            return LedgerAccountID(existing)!
        }
        var random = SystemRandomNumberGenerator()
        let id = LedgerAccountID.make(millisecondsSince1970: now.millisecondsSince1970, random: &random)
        try db.execute(sql: "INSERT INTO ledger_account (id, owner, party_id, purpose, created_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [id.rawValue, owner, party?.rawValue, purpose.rawValue, now.millisecondsSince1970])
        return id
    }

    /// What caused a transfer: a license, a payment, a grant, a usage event…
    public struct Cause: Sendable, Equatable {
        public var type: String
        public var id: String
        public init(type: String, id: String) {
            self.type = type
            self.id = id
        }
    }

    /// One movement of money.
    public struct Transfer: Sendable, Equatable, Codable, FetchableRecord {
        public var id: TransferID
        public var debitAccount: LedgerAccountID
        public var creditAccount: LedgerAccountID
        public var amountMicros: Int64
        public var reason: String
        public var causeType: String
        public var causeID: String
        public var reverses: TransferID?
        public var createdAt: Timestamp

        enum CodingKeys: String, CodingKey {
            case id, reason, reverses
            case debitAccount = "debit_account"
            case creditAccount = "credit_account"
            case amountMicros = "amount_micros"
            case causeType = "cause_type"
            case causeID = "cause_id"
            case createdAt = "created_at"
        }
    }

    /// Moves `amount` from one account to another. Zero amounts book nothing (a 0 µ share
    /// of a split is not a movement).
    @discardableResult
    public static func transfer(_ db: Database, from debit: LedgerAccountID, to credit: LedgerAccountID, amount: Int64,
                                reason: String, cause: Cause, reverses: TransferID? = nil, now: Timestamp) throws -> TransferID? {
        precondition(amount >= 0, "a transfer moves a non-negative amount")
        guard amount > 0 else { return nil }
        var random = SystemRandomNumberGenerator()
        let id = TransferID.make(millisecondsSince1970: now.millisecondsSince1970, random: &random)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO ledger_transfer (id, debit_account, credit_account, amount_micros, reason, cause_type, cause_id, reverses, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        try insert.execute(arguments: [id.rawValue, debit.rawValue, credit.rawValue, amount, reason, cause.type, cause.id,
                                       reverses?.rawValue, now.millisecondsSince1970])
        return id
    }

    /// Books the exact opposite of every transfer of `cause` that is not yet reversed, each
    /// naming its original. Returns how many were reversed.
    @discardableResult
    public static func reverseAll(_ db: Database, of cause: Cause, reason: String, reversal: Cause, now: Timestamp) throws -> Int {
        let originals = try Transfer.fetchAll(db, sql: """
            SELECT * FROM ledger_transfer t
            WHERE cause_type = ? AND cause_id = ? AND reverses IS NULL
              AND NOT EXISTS (SELECT 1 FROM ledger_transfer r WHERE r.reverses = t.id)
            ORDER BY rowid
            """, arguments: [cause.type, cause.id])
        for original in originals {
            try transfer(db, from: original.creditAccount, to: original.debitAccount, amount: original.amountMicros,
                         reason: reason, cause: reversal, reverses: original.id, now: now)
        }
        return originals.count
    }

    public static func balance(_ db: Database, _ account: LedgerAccountID) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT balance_micros FROM ledger_balance WHERE account_id = ?"),
                           arguments: [account.rawValue]) ?? 0
    }

    /// The balance of a party's (or the platform's) account; zero when it has none yet.
    public static func balance(_ db: Database, party: PartyID?, purpose: AccountPurpose) throws -> Int64 {
        try Int64.fetchOne(db, sql: """
            SELECT b.balance_micros FROM ledger_account a JOIN ledger_balance b ON b.account_id = a.id
            WHERE a.owner = ? AND a.purpose = ?
            """, arguments: [party?.rawValue ?? "platform", purpose.rawValue]) ?? 0
    }

    /// The two numbers that must always hold: the sum of every balance (0), and how many
    /// balances differ from the sum of their transfers or of their period totals (0).
    public static func audit(_ db: Database) throws -> (balanceSum: Int64, mismatchedAccounts: Int) {
        let sum = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(balance_micros), 0) FROM ledger_balance") ?? 0
        let mismatched = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM ledger_balance b
            WHERE b.balance_micros !=
                coalesce((SELECT sum(amount_micros) FROM ledger_transfer WHERE credit_account = b.account_id), 0)
              - coalesce((SELECT sum(amount_micros) FROM ledger_transfer WHERE debit_account = b.account_id), 0)
               OR b.balance_micros != coalesce((SELECT sum(in_micros - out_micros) FROM ledger_period_total WHERE account_id = b.account_id), 0)
            """) ?? 0
        return (sum, mismatched)
    }

    /// An account's movements, newest first, seen from that account (+ in, − out).
    public static func movements(_ db: Database, account: LedgerAccountID, before: TransferID?, limit: Int) throws -> [Transfer] {
        var sql = "SELECT * FROM ledger_transfer WHERE (debit_account = ?1 OR credit_account = ?1)"
        var arguments: [(any DatabaseValueConvertible)?] = [account.rawValue]
        if let before {
            sql += " AND id < ?2"
            arguments.append(before.rawValue)
        }
        sql += " ORDER BY id DESC LIMIT \(limit)"
        return try Transfer.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
    }
}
