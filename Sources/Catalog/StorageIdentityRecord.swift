import GRDB

/// The database's half of a storage folder's identity (see `StorageIdentity`): read and
/// written once, at start, on the file pool.
public enum StorageIdentityRecord {
    /// The folder id the database holds, and whether it holds a marketplace (any party).
    public static func read(_ db: Database) throws -> (folderID: String?, holdsData: Bool) {
        let id = try String.fetchOne(db, sql: "SELECT folder_id FROM storage_identity WHERE id = 1")
        let holdsData = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM party)") ?? false
        return (id, holdsData)
    }

    public static func write(_ db: Database, folderID: String) throws {
        try db.execute(sql: "INSERT INTO storage_identity (id, folder_id) VALUES (1, ?) ON CONFLICT (id) DO NOTHING",
                       arguments: [folderID])
    }
}
