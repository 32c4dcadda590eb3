import Archives
import BlobStore
import NIOCore
import Synchronization
import Catalog
import Ledger
import GRDB
import Licensing
import SyncletCore
import SyncletCrypto

/// Everything the handlers share: settings, stores and files. Built once by
/// `buildApplication`; tests reach it to check what changed and what did not.
public struct AppServices: Sendable {
    public let settings: ServerSettings
    public let layout: StorageLayout
    public let database: any DatabaseWriter
    public let catalog: CatalogStore
    public let blobs: BlobStore
    public let uploadFiles: UploadFiles
    let uploadLocks = UploadLocks()
    let cursors: CursorCodec
    let previewSignal = PreviewSignal()
    public let templates: TemplateCatalog
    let signingKeys: SigningKeys
    let webhookSecret: [UInt8]
    /// Money-moving writes go through group commits.
    let groupCommitter: GroupCommitter
    /// Live earnings streams to wake after money moves.
    let earnings: EarningsHub
    /// This server's own metrics registry, rendered at `/metrics`.
    public let metrics: ServerMetrics
    /// Zip bundles being streamed.
    let bundleSlots: BundleSlots
    /// The outcome of the last health check, which `/health` reports.
    public let health: HealthState
    /// Keys that authenticated in the last few seconds.
    let keyCache: KeyCache

    init(settings: ServerSettings, layout: StorageLayout, database: any DatabaseWriter, cursorKey: [UInt8],
         templates: TemplateCatalog, signingKeys: SigningKeys, webhookSecret: [UInt8]) throws {
        self.templates = templates
        self.signingKeys = signingKeys
        self.webhookSecret = webhookSecret
        let metrics = ServerMetrics()
        self.metrics = metrics
        self.groupCommitter = GroupCommitter(writer: database, jobCountMax: settings.limits.groupCommitJobCountMax, metrics: metrics)
        let earnings = EarningsHub(limits: settings.limits)
        self.earnings = earnings
        // Every commit that moved money wakes the live earnings streams, whichever engine made it.
        LedgerCommits.observe(database) { earnings.notify() }
        self.settings = settings
        self.layout = layout
        self.database = database
        self.catalog = CatalogStore(writer: database)
        self.blobs = try BlobStore(root: layout.blobs, tempRoot: layout.temp)
        self.uploadFiles = try UploadFiles(root: layout.uploads)
        self.cursors = CursorCodec(key: cursorKey)
        self.bundleSlots = BundleSlots(countMax: settings.limits.bundleStreamCountMax)
        self.health = HealthState(intervalSeconds: settings.limits.healthCheckIntervalSeconds)
        self.keyCache = KeyCache(seconds: settings.limits.apiKeyCacheSeconds)
    }

    /// A zip of `items`, streamed as it is built, holding a bundle slot while it lasts.
    func zipStream(_ items: [BundleItem]) throws(Problem) -> SlottedStream<AsyncThrowingStream<ByteBuffer, any Error>> {
        let slot = try bundleSlots.take()
        return SlottedStream(base: BundleWriter.zipStream(items), slot: slot)
    }

    /// The sizes of the group commits so far (tests check that batching happens).
    public var groupCommitBatchSizes: [Int] { groupCommitter.batchSizes }

    /// A fresh id of any kind, time-ordered.
    func newID<Kind>(_ now: Timestamp) -> Identifier<Kind> {
        var random = SecureRandom()
        return Identifier<Kind>.make(millisecondsSince1970: now.millisecondsSince1970, random: &random)
    }

    func page(_ request: some QueryReading) throws(Problem) -> PageRequest {
        try PageRequest(query: { request.query($0) }, limits: settings.limits, cursors: cursors)
    }
}

/// Anything that can answer a query parameter by name.
protocol QueryReading {
    func query(_ name: String) -> String?
}

/// Counts zip bundles being streamed: each is built on a thread of its own, so their
/// number is bounded (`Limits.bundleStreamCountMax`); past it a download is answered 503.
final class BundleSlots: Sendable {
    private let taken = Atomic<Int>(0)
    let countMax: Int

    init(countMax: Int) { self.countMax = countMax }

    /// A slot, held until the returned token is released (when its stream is dropped).
    func take() throws(Problem) -> Slot {
        let now = taken.wrappingAdd(1, ordering: .relaxed).newValue
        guard now <= countMax else {
            taken.wrappingSubtract(1, ordering: .relaxed)
            throw Problem(status: 503, type: "busy", title: "The server is busy",
                          detail: "\(countMax) downloads are being packed right now; try again in a few seconds.",
                          extensions: ["retry_after": "5"])
        }
        return Slot(slots: self)
    }

    var inUse: Int { taken.load(ordering: .relaxed) }

    /// Gives its slot back when the last reference to it goes.
    final class Slot: Sendable {
        private let slots: BundleSlots
        init(slots: BundleSlots) { self.slots = slots }
        deinit { slots.taken.wrappingSubtract(1, ordering: .relaxed) }
    }
}

/// A zip stream that holds a bundle slot for as long as it exists.
struct SlottedStream<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let slot: BundleSlots.Slot

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator(), slot: slot) }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let slot: BundleSlots.Slot
        mutating func next() async throws -> ByteBuffer? { try await base.next() }
    }
}
