import BlobStore
import Catalog
import Logging
import ServiceLifecycle
import SyncletCore

/// Removes abandoned uploads (past `Upload-Expires`) with their bytes, and upload files
/// whose row is gone (a crash between the two). Runs until graceful shutdown.
struct UploadSweeper: Service {
    let app: AppServices
    let logger: Logger

    func run() async throws {
        let interval = Duration.seconds(app.settings.limits.uploadSweepIntervalSeconds)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let removed = try await sweep()
                if removed > 0 { logger.info("removed abandoned uploads", metadata: ["count": "\(removed)"]) }
            } catch {
                logger.error("upload sweep failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass; returns how many uploads were removed.
    func sweep() async throws -> Int {
        let expired = try await app.catalog.expiredUploads(at: app.settings.clock.now())
        for upload in expired {
            try await app.uploadLocks.withLock(upload.id) {
                try await app.catalog.deleteUpload(upload.id)
                try await app.uploadFiles.remove(upload.id)
            }
        }
        let known = try await app.catalog.allUploadIDs()
        var orphans = 0
        for name in try await app.uploadFiles.storedIDs() where !known.contains(name) {
            if let id = UploadID(name) {
                // Lock so a create that has made its file but not yet its row is left alone.
                try await app.uploadLocks.withLock(id) {
                    if try await app.catalog.upload(id) == nil { try await app.uploadFiles.remove(id) }
                }
                orphans += 1
            }
        }
        return expired.count + orphans
    }
}
