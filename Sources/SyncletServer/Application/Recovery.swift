import BlobStore
import Blocking
import Catalog
import Foundation
import GRDB
import SyncletCore

/// `synclet admin recover-key --storage DIR`: a new operator key written to the storage
/// folder's database directly, with the server stopped. The way back when every operator
/// key is lost (the API refuses to revoke the last one, but a key can still be lost).
/// Whoever can run this can read the folder anyway; the key is printed once, like the first.
public func recoverOperatorKey(storage: String, now: Timestamp) async throws -> (party: PartyID, token: String) {
    let layout = StorageLayout(root: storage)
    let (lock, pool) = try await Blocking.file { () throws -> (FolderLock, DatabasePool) in
        guard FileManager.default.fileExists(atPath: layout.database) else {
            throw ServerSetupError(description: "\(storage) holds no Synclet database (\(layout.database)); give the folder the server runs on with --storage.")
        }
        let lock: FolderLock
        do {
            lock = try FolderLock.acquire(folder: layout.root)
        } catch {
            throw ServerSetupError(description: "\(error). Stop that server first: the key is written to the folder's database directly.")
        }
        do {
            return (lock, try DatabasePool(path: layout.database, configuration: SyncletDatabase.configuration()))
        } catch {
            lock.release()
            throw error
        }
    }
    defer { lock.release() }
    let catalog = CatalogStore(writer: pool)
    guard let party = try await catalog.operatorParty() else {
        throw ServerSetupError(description: "The database in \(storage) has no operator yet; start the server on it once (it prints the first key).")
    }
    let (_, token) = try await catalog.issueKey(for: party.id, label: "recovered", now: now)
    try await pool.close()
    return (party.id, token)
}
