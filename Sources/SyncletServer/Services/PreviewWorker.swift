import Audio
import BlobStore
import Blocking
import Catalog
import Foundation
import Logging
import ServiceLifecycle
import SyncletCore

/// Wakes the preview worker when there is new work; many wakes before it looks count once.
public final class PreviewSignal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func wake() { continuation.yield() }

    var wakes: AsyncStream<Void> { stream }
}

/// Renders previews and waveforms in the background, one asset at a time, so an upload is
/// acknowledged without waiting for them. A failure is recorded on the asset (status
/// `failed`, with the reason) and never touches the asset itself. Pending work left by a
/// crash is picked up at start.
struct PreviewWorker: Service {
    let app: AppServices
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                let signal = app.previewSignal
                // Re-check now and then, in case a wake was missed (e.g. rows written by another process).
                let recheck = Duration.seconds(app.settings.limits.previewRecheckIntervalSeconds)
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: recheck)
                        signal.wake()
                    }
                }
                signal.wake()  // pick up whatever a previous run left pending
                for await _ in signal.wakes { _ = await renderPending() }
                group.cancelAll()
            }
        }
    }

    /// Renders until nothing is pending; returns how many assets were finished.
    func renderPending() async -> Int {
        var done = 0
        var skipped = Set<AssetID>()
        while !Task.isShuttingDownGracefully {
            let next: AssetRecord?
            do {
                next = try await app.catalog.nextPendingPreview(excluding: skipped)
            } catch {
                logger.error("preview queue unreadable", metadata: ["error": "\(error)"])
                return done
            }
            guard let asset = next else { return done }
            do {
                guard let outcome = await render(asset) else {
                    skipped.insert(asset.id)  // the disk is full: still pending, tried again at the next recheck
                    continue
                }
                if try await !app.catalog.finishPreview(of: asset, outcome: outcome) {
                    skipped.insert(asset.id)  // edited meanwhile: render again on the next pass
                }
                done += 1
            } catch {
                logger.error("preview not recorded", metadata: ["asset": "\(asset.id)", "error": "\(error)"])
                skipped.insert(asset.id)
            }
        }
        return done
    }

    /// The preview of `asset`, or nil when it could not be made for lack of disk space: it
    /// stays pending, and the worker's recheck renders it once space returns.
    func render(_ asset: AssetRecord) async -> CatalogStore.PreviewOutcome? {
        guard let source = asset.blobSHA256.map(app.blobs.path(of:)) else {
            return .failed(detail: "This asset has no file to preview.")
        }
        var options = PreviewOptions()
        options.startSeconds = Double(asset.previewStartMilliseconds) / 1000
        options.durationSeconds = min(Double(asset.previewDurationMilliseconds) / 1000, PreviewOptions.durationSecondsMax)
        options.watermark = asset.previewWatermark
        let chosen = options
        let temp = "\(app.layout.temp)/preview-\(asset.id)-\(UUID().uuidString.prefix(8))"
        do {
            let facts = try await Blocking.codec {
                try PreviewRenderer.render(source: source, destination: temp, options: chosen)
            }
            let preview = try await app.blobs.adopt(fileAt: temp)
            let peaks = try await Blocking.codec { try Waveform.peaks(path: source) }
            let waveform = try await app.blobs.store(bytes: try JSONWriter.encode(peaks))
            return .ready(previewSHA256: preview.sha256, byteCount: preview.byteCount, format: facts.format.rawValue,
                          waveformSHA256: waveform.sha256)
        } catch let problem as Problem {
            let outOfSpace = await isOutOfSpace(problem)  // measured before the partial file goes
            try? await Blocking.file { DurableFile.remove(temp) }
            if outOfSpace { return nil }
            return .failed(detail: problem.detail)
        } catch {
            let outOfSpace = await isOutOfSpace(error)
            try? await Blocking.file { DurableFile.remove(temp) }
            if outOfSpace { return nil }
            logger.error("preview failed", metadata: ["asset": "\(asset.id)", "error": "\(error)"])
            return .failed(detail: "The preview could not be rendered (an internal error); the original is unaffected.")
        }
    }

    /// Whether a failed render failed for lack of space: the error says so, or (codecs report
    /// a failed write in their own words) the data folder has less than a few MiB left.
    func isOutOfSpace(_ error: any Error) async -> Bool {
        if isDiskFull(error) { return true }
        let temp = app.layout.temp
        let available = try? await Blocking.file { DurableFile.availableBytes(temp) }
        guard let available = available ?? nil, available < Self.lowSpaceByteCount else { return false }
        logger.warning("preview postponed: the disk is full", metadata: ["available_bytes": "\(available)"])
        return true
    }

    /// Free space under which a failed render is taken for a full disk.
    static let lowSpaceByteCount: Int64 = 8 << 20

}
