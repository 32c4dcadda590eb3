import SyncletCore

/// Everything `synclet serve` can be told. The executable fills it from flags and
/// environment; tests fill it directly.
public struct ServerSettings: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (tests); the bound port is reported through `onServerRunning`.
    public var port: Int = 8080
    /// The data folder: database, blobs, uploads, temp files and keys.
    public var storage: String = "Storage"
    public var limits: Limits = Limits()
    /// How often abandoned uploads are looked for.
    public var uploadSweepIntervalSeconds: Int64 = 60
    public var clock: Clock = .system
    /// Run the preview worker and the upload sweeper in the background. Tests turn them off
    /// and run them by hand (`renderPendingPreviews`, `sweepUploads`) to see exact states.
    public var runsBackgroundWorkers = true

    public init() {}
}

/// The layout of the data folder.
public struct StorageLayout: Sendable {
    public let root: String
    public var database: String { "\(root)/synclet.sqlite" }
    public var blobs: String { "\(root)/blobs" }
    public var uploads: String { "\(root)/uploads" }
    public var temp: String { "\(root)/tmp" }
    public var keys: String { "\(root)/keys" }
    public var cursorKey: String { "\(keys)/cursor.key" }

    public init(root: String) {
        self.root = root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root
    }
}
