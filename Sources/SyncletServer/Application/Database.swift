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

    static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            // An acknowledged commit must survive power loss: no weaker setting, ever.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Opens (creating if needed) the database at `path` in WAL mode and migrates it.
    public static func open(path: String) throws -> DatabasePool {
        let pool = try DatabasePool(path: path, configuration: configuration())
        try migrator.migrate(pool)
        // Refresh the planner's statistics where they are stale (cheap when they are not).
        try pool.write { db in try db.execute(sql: "PRAGMA optimize") }
        return pool
    }

    /// An in-memory database for unit tests.
    public static func inMemory() throws -> DatabaseQueue {
        let queue = try DatabaseQueue(configuration: configuration())
        try migrator.migrate(queue)
        return queue
    }
}
