import GRDB
import Synchronization

/// Calls `onCommit` after every transaction that moved money (inserted a ledger transfer)
/// has committed: a purchase, a revocation, a grant, a payment, usage, a payout. One place,
/// on the write path itself, so no operation can forget to tell live earnings streams (or
/// metrics) that totals changed, and none tells them before its commit is durable.
public final class LedgerCommits: TransactionObserver, @unchecked Sendable {
    // Touched only on the database's writer queue, one transaction at a time.
    private var moved = false
    private let onCommit: @Sendable () -> Void

    public init(onCommit: @escaping @Sendable () -> Void) { self.onCommit = onCommit }

    /// Registers an observer on `writer` for as long as the database is open.
    public static func observe(_ writer: any DatabaseWriter, onCommit: @escaping @Sendable () -> Void) {
        let observer = LedgerCommits(onCommit: onCommit)
        writer.add(transactionObserver: observer, extent: .databaseLifetime)
    }

    public func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool {
        if case .insert(let table) = eventKind { return table == "ledger_transfer" }
        return false
    }

    public func databaseDidChange(with event: DatabaseEvent) {
        moved = true
        stopObservingDatabaseChangesUntilNextTransaction()
    }

    public func databaseDidCommit(_ db: Database) {
        guard moved else { return }
        moved = false
        onCommit()
    }

    public func databaseDidRollback(_ db: Database) {
        moved = false
    }
}
