import BlobStore
import Catalog
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

    init(settings: ServerSettings, layout: StorageLayout, database: any DatabaseWriter, cursorKey: [UInt8],
         templates: TemplateCatalog, signingKeys: SigningKeys, webhookSecret: [UInt8]) throws {
        self.templates = templates
        self.signingKeys = signingKeys
        self.webhookSecret = webhookSecret
        let metrics = ServerMetrics()
        self.metrics = metrics
        self.groupCommitter = GroupCommitter(writer: database, jobCountMax: settings.limits.groupCommitJobCountMax, metrics: metrics)
        self.earnings = EarningsHub(limits: settings.limits)
        self.settings = settings
        self.layout = layout
        self.database = database
        self.catalog = CatalogStore(writer: database)
        self.blobs = try BlobStore(root: layout.blobs, tempRoot: layout.temp)
        self.uploadFiles = try UploadFiles(root: layout.uploads)
        self.cursors = CursorCodec(key: cursorKey)
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
