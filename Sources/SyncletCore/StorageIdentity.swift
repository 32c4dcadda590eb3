/// Whether a storage folder and the database in it belong together, decided from facts
/// read at start (`decide`), before anything in the folder is swept, migrated or served.
///
/// The folder keeps its id in `synclet.folder`; the database keeps the same id. A server
/// started on a folder whose database was deleted, emptied or swapped for another folder's
/// once made a fresh database and deleted every stored file as "left by a crash". Now such
/// a start is refused, and the message says how to recover.
public enum StorageIdentity {
    /// What the start does.
    public enum Decision: Equatable, Sendable {
        /// They match: serve.
        case matches
        /// A first start (or one interrupted before both ids were written), or a folder from
        /// before ids: give both this id. `writeFile` when `synclet.folder` must be written.
        case adopt(id: String, writeFile: Bool)
        /// They do not belong together: refuse to start, with this message.
        case refuse(String)
    }

    /// - Parameters:
    ///   - folderID: the id in `synclet.folder`, if the file exists.
    ///   - databaseID: the id the database holds, if any.
    ///   - folderHoldsFiles: stored files or unfinished uploads are in the folder.
    ///   - databaseHoldsData: the database has parties (a marketplace, not a fresh file).
    ///   - newID: an id for a folder that has none.
    public static func decide(folderID: String?, databaseID: String?, folderHoldsFiles: Bool, databaseHoldsData: Bool,
                              folder: String, newID: String) -> Decision {
        let database = "\(folder)/synclet.sqlite"
        switch (folderID, databaseID) {
        case let (folder?, stored?):
            return folder == stored ? .matches : .refuse("""
                \(database) belongs to another storage folder (its folder id is \(stored); this folder's, in synclet.folder, is \(folder)). \
                Nothing was changed. Put this folder's own database back (from a backup), or start with --storage pointing at the folder \
                this database belongs to.
                """)
        case (let folder?, nil):
            // The database has no id. With a marketplace in it, it is this folder's from before
            // ids (a start that wrote the file and died before the row, or a backup from then):
            // adopt. Empty, in a folder without files: a first start cut short: adopt.
            if databaseHoldsData || !folderHoldsFiles { return .adopt(id: folder, writeFile: false) }
            return .refuse("""
                \(database) is new or empty (or not this folder's), but the folder holds the files of a marketplace (folder id \(folder)). \
                Nothing was changed and no file was removed. Restore the folder's database from a backup (with the server stopped), \
                or, to start a new marketplace, move blobs/, uploads/, keys/ and synclet.folder out of \(folderDescription(database)).
                """)
        case (nil, let stored?):
            return .refuse("""
                \(database) belongs to a storage folder with id \(stored), but this folder has no synclet.folder. Nothing was changed. \
                If this is that folder, write the id back: echo \(stored) > \(folderDescription(database))/synclet.folder
                """)
        case (nil, nil):
            if folderHoldsFiles && !databaseHoldsData {
                return .refuse("""
                    \(database) is new or empty, but the folder holds stored files or uploads. Nothing was changed and no file was \
                    removed. Restore the folder's database from a backup (with the server stopped), or, to start a new marketplace, \
                    move blobs/ and uploads/ out of \(folderDescription(database)).
                    """)
            }
            return .adopt(id: newID, writeFile: true)
        }
    }

    private static func folderDescription(_ database: String) -> String {
        String(database.dropLast("/synclet.sqlite".count))
    }
}
