import GRDB

/// Whether an error is the database's file system being full (SQLITE_FULL), so the HTTP
/// layer can answer 507 without knowing the database library.
public enum DatabaseStorage {
    public static func isFull(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_FULL
    }
}
