import Blocking
import Catalog
import Ledger
import Licensing
import Usage
import GRDB
import SyncletCore

/// Opening the one SQLite database: WAL, `synchronous=FULL`, foreign keys on, and every
/// engine's migrations in order.
public enum SyncletDatabase {
    /// All migrations of all engines, in the order their tables depend on each other.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        CatalogSchema.register(in: &migrator)
        Ledger.register(in: &migrator)
        LicensingSchema.register(in: &migrator)
        UsageSchema.register(in: &migrator)
        StatementBook.register(in: &migrator)
        return migrator
    }

    static func configuration(limits: Limits = Limits(), periods: PeriodCalendar = .utc) -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        // As many readers as `Blocking.database` has threads: a pooled read never waits.
        configuration.maximumReaderCount = Blocking.readerCount
        configuration.busyMode = .timeout(Double(limits.databaseBusyTimeoutSeconds))
        configuration.prepareDatabase { db in
            // An acknowledged commit must survive power loss: no weaker setting, ever.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            if !db.configuration.readonly {
                // Each job of a group commit runs in a savepoint, and trigger-firing statements
                // open statement journals: SQLite keeps those rollback copies in temp files,
                // which cost ~20 page-sized writes per usage event. In memory they cost a copy.
                // (They only serve rollbacks inside a transaction; durability is the WAL's.)
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
                // A group commit dirties thousands of pages: keep them in memory until commit.
                try db.execute(sql: "PRAGMA cache_size = -65536")
            }
            db.add(function: Ledger.periodFunction(periods))
        }
        return configuration
    }

    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it. Its
    /// periods are kept in `periods`' zone; a folder whose books use another zone is refused.
    public static func open(path: String, limits: Limits = Limits(), periods: PeriodCalendar = .utc) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration(limits: limits, periods: periods))
        try migrator.migrate(pool)
        try pool.write { db in try Ledger.adoptPeriodZone(db, periods) }
        // Refresh the planner's statistics where they are stale (cheap when they are not).
        try pool.write { db in try db.execute(sql: "PRAGMA optimize") }
        return pool
    }

    /// An in-memory database for unit tests.
    public static func inMemory(periods: PeriodCalendar = .utc) throws -> DatabaseQueue {
        let queue = try DatabaseQueue(configuration: configuration(periods: periods))
        try migrator.migrate(queue)
        try queue.write { db in try Ledger.adoptPeriodZone(db, periods) }
        return queue
    }
}
