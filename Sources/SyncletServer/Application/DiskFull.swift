import BlobStore
import Catalog

/// Whether an error is the disk being full: a file write (ENOSPC, EDQUOT) or the database's
/// (SQLITE_FULL). One question for the 507 answer, the start-up message and the preview worker.
func isDiskFull(_ error: any Error) -> Bool {
    if let error = error as? DurableFile.IOError { return error.isOutOfSpace }
    return DatabaseStorage.isFull(error)
}
