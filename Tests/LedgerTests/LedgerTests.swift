import GRDB
import Ledger
import SyncletCore
import Testing

/// A database with just the tables the ledger needs (parties are referenced by accounts).
func makeLedgerDatabase() throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.prepareDatabase { db in db.add(function: Ledger.periodFunction(.utc)) }
    let queue = try DatabaseQueue(configuration: configuration)
    var migrator = DatabaseMigrator()
    migrator.registerMigration("parties") { db in
        try db.execute(sql: "CREATE TABLE party (id TEXT PRIMARY KEY NOT NULL)")
    }
    Ledger.register(in: &migrator)
    try migrator.migrate(queue)
    return queue
}

let t0 = Timestamp(millisecondsSince1970: 1_795_000_000_000)

func party(_ db: Database, _ n: Int) throws -> PartyID {
    var random = SystemRandomNumberGenerator()
    let id = PartyID.make(millisecondsSince1970: Int64(n), random: &random)
    try db.execute(sql: "INSERT INTO party (id) VALUES (?)", arguments: [id.rawValue])
    return id
}

@Suite("The ledger is double entry, immutable and always sums to zero")
struct LedgerTests {
    @Test("a transfer moves money from one balance to another")
    func transferMovesMoney() throws {
        let db = try makeLedgerDatabase()
        try db.write { db in
            let lia = try party(db, 1)
            let clearing = try Ledger.account(db, party: nil, purpose: .paymentClearing, now: t0)
            let wallet = try Ledger.account(db, party: lia, purpose: .licenseeWallet, now: t0)
            #expect(try Ledger.account(db, party: lia, purpose: .licenseeWallet, now: t0) == wallet)
            try Ledger.transfer(db, from: clearing, to: wallet, amount: 25_000_000, reason: "wallet.topup",
                                cause: .init(type: "payment", id: "pay_1"), now: t0)
            #expect(try Ledger.balance(db, wallet) == 25_000_000)
            #expect(try Ledger.balance(db, clearing) == -25_000_000)
            #expect(try Ledger.balance(db, party: lia, purpose: .licenseeWallet) == 25_000_000)
            #expect(try Ledger.balance(db, party: lia, purpose: .composerEarnings) == 0)
            #expect(try Ledger.transfer(db, from: clearing, to: wallet, amount: 0, reason: "x", cause: .init(type: "t", id: "0"), now: t0) == nil)
            let audit = try Ledger.audit(db)
            #expect(audit.balanceSum == 0 && audit.mismatchedAccounts == 0)
        }
    }

    @Test("transfers cannot be changed or deleted, and a transfer to the same account is refused")
    func immutable() throws {
        let db = try makeLedgerDatabase()
        try db.write { db in
            let a = try Ledger.account(db, party: nil, purpose: .paymentClearing, now: t0)
            let b = try Ledger.account(db, party: nil, purpose: .platformRevenue, now: t0)
            let id = try #require(try Ledger.transfer(db, from: a, to: b, amount: 5, reason: "r", cause: .init(type: "t", id: "1"), now: t0))
            #expect(throws: DatabaseError.self) { try db.execute(sql: "UPDATE ledger_transfer SET amount_micros = 6 WHERE id = ?", arguments: [id.rawValue]) }
            #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM ledger_transfer WHERE id = ?", arguments: [id.rawValue]) }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO ledger_transfer VALUES ('trf_x', ?, ?, 1, 'r', 't', '2', NULL, 0)", arguments: [a.rawValue, a.rawValue])
            }
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO ledger_transfer VALUES ('trf_y', ?, ?, -1, 'r', 't', '2', NULL, 0)", arguments: [a.rawValue, b.rawValue])
            }
            #expect(try Ledger.balance(db, b) == 5)
        }
    }

    @Test("reversing a cause books the exact opposite transfers once, each naming its original")
    func reversals() throws {
        let db = try makeLedgerDatabase()
        try db.write { db in
            let lia = try party(db, 1)
            let ada = try party(db, 2)
            let wallet = try Ledger.account(db, party: lia, purpose: .licenseeWallet, now: t0)
            let earnings = try Ledger.account(db, party: ada, purpose: .composerEarnings, now: t0)
            let revenue = try Ledger.account(db, party: nil, purpose: .platformRevenue, now: t0)
            let cause = Ledger.Cause(type: "license", id: "lic_1")
            try Ledger.transfer(db, from: wallet, to: revenue, amount: 1_000_000, reason: "license.fee", cause: cause, now: t0)
            try Ledger.transfer(db, from: wallet, to: earnings, amount: 3_990_000, reason: "license.share", cause: cause, now: t0)
            let revoke = Ledger.Cause(type: "revocation", id: "lic_1")
            #expect(try Ledger.reverseAll(db, of: cause, reason: "license.revoked", reversal: revoke, now: t0) == 2)
            #expect(try Ledger.reverseAll(db, of: cause, reason: "license.revoked", reversal: revoke, now: t0) == 0)
            #expect(try Ledger.balance(db, wallet) == 0)
            #expect(try Ledger.balance(db, earnings) == 0)
            #expect(try Ledger.balance(db, revenue) == 0)
            let reversed = try Int.fetchOne(db, sql: "SELECT count(*) FROM ledger_transfer WHERE reverses IS NOT NULL")
            #expect(reversed == 2)
            let audit = try Ledger.audit(db)
            #expect(audit.balanceSum == 0 && audit.mismatchedAccounts == 0)
        }
    }

    @Test("ten thousand random transfers and reversals keep the sum at zero and every balance equal to its transfers")
    func randomOperations() throws {
        let db = try makeLedgerDatabase()
        var random = SystemRandomNumberGenerator()
        try db.write { db in
            var accounts = [LedgerAccountID]()
            for n in 0..<20 {
                let owner = try party(db, n)
                for purpose in [AccountPurpose.licenseeWallet, .composerEarnings] {
                    accounts.append(try Ledger.account(db, party: owner, purpose: purpose, now: t0))
                }
            }
            accounts.append(try Ledger.account(db, party: nil, purpose: .platformRevenue, now: t0))
            accounts.append(try Ledger.account(db, party: nil, purpose: .paymentClearing, now: t0))
            var causes = [Ledger.Cause]()
            for step in 0..<10_000 {
                if step % 10 == 9, let cause = causes.randomElement(using: &random) {
                    try Ledger.reverseAll(db, of: cause, reason: "reversal", reversal: .init(type: "reversal", id: "\(step)"), now: t0)
                    continue
                }
                let from = accounts.randomElement(using: &random)!
                var to = accounts.randomElement(using: &random)!
                while to == from { to = accounts.randomElement(using: &random)! }
                let cause = Ledger.Cause(type: "op", id: "\(step % 997)")
                causes.append(cause)
                try Ledger.transfer(db, from: from, to: to, amount: Int64.random(in: 0...5_000_000_000, using: &random),
                                    reason: "random", cause: cause, now: t0)
            }
            let audit = try Ledger.audit(db)
            #expect(audit.balanceSum == 0)
            #expect(audit.mismatchedAccounts == 0)
        }
    }
}
