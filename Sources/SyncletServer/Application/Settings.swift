import SyncletCore

/// Everything `synclet serve` can be told. The executable fills it from flags and
/// environment; tests fill it directly.
public struct ServerSettings: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (tests); the bound port is reported through `onServerRunning`.
    public var port: Int = 8080
    /// The data folder: database, blobs, uploads, temp files and keys.
    public var storage: String = "Storage"
    /// Every limit: sizes, counts, rates, intervals, timeouts and the payout threshold.
    /// `synclet serve` fills it from `--limit NAME=VALUE` and `SYNCLET_…` through
    /// `Limits.settings`.
    public var limits: Limits = Limits()
    public var clock: Clock = .system
    /// Run the preview worker and the upload sweeper in the background. Tests turn them off
    /// and run them by hand (`renderPendingPreviews`, `sweepUploads`) to see exact states.
    public var runsBackgroundWorkers = true
    /// The folder of license templates (`ID.json` + `ID.md`); nil: the templates built
    /// into the binary (the repository's `Licenses/` at build time).
    public var licenses: String?
    /// The platform's cut of every license and usage charge, in basis points.
    public var platformFeeBasisPoints: BasisPoints = 2_000
    /// The deployment's currency; amounts are micro-units of it.
    public var currency: String = "USD"
    /// The payment provider's webhook secret; when nil one is made and kept in keys/.
    public var paymentWebhookSecret: String?

    /// Balances at or over this are paid out when a period closes; smaller ones carry
    /// forward. Shorthand for `limits.payoutMicrosMin`, where the value lives.
    public var payoutThresholdMicros: Int64 {
        get { limits.payoutMicrosMin }
        set { limits.payoutMicrosMin = newValue }
    }
    /// Periods (statements, closes, spending caps) are calendar months in this zone.
    public var periods: PeriodCalendar = .utc

    public init() {}
}

/// The layout of the data folder.
public struct StorageLayout: Sendable {
    public let root: String
    public var database: String { "\(root)/synclet.sqlite" }
    public var blobs: String { "\(root)/blobs" }
    public var uploads: String { "\(root)/uploads" }
    public var temp: String { "\(root)/tmp" }
    /// Stored files no row referred to at a start, set aside rather than deleted.
    public var orphans: String { "\(root)/orphans" }
    /// The folder's id (see `StorageIdentity`).
    public var folderID: String { "\(root)/synclet.folder" }
    public var keys: String { "\(root)/keys" }
    public var cursorKey: String { "\(keys)/cursor.key" }
    public var webhookKey: String { "\(keys)/payment-webhook.key" }
    public var signingKeys: String { "\(keys)/signing" }

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }
}
