/// Every limit the server enforces, in one place, each with its unit in its name.
/// `synclet serve` can override them by flag or environment; tests shrink them.
public struct Limits: Sendable, Equatable {
    /// Largest file an upload may declare or send.
    public var uploadByteCountMax: Int64 = 4 * 1024 * 1024 * 1024
    /// Largest JSON request body.
    public var jsonBodyByteCountMax: Int = 256 * 1024
    /// How long an unfinished upload lives after its last byte arrived.
    public var uploadIdleSecondsMax: Int64 = 24 * 60 * 60
    /// Unfinished uploads one party may hold at once.
    public var openUploadCountPerPartyMax: Int = 64
    /// Items per page when the client does not say.
    public var pageSizeDefault: Int = 50
    /// Items per page a client may ask for.
    public var pageSizeMax: Int = 500
    /// How far a stated duration may differ from the file's own before it is refused.
    public var durationToleranceMilliseconds: Int64 = 500
    /// Text fields: titles, names, labels.
    public var titleCharacterCountMax: Int = 200
    /// Tags, moods, genres, instruments: entries per list.
    public var tagCountMax: Int = 32
    /// Tags, moods, genres, instruments: characters per entry.
    public var tagCharacterCountMax: Int = 40
    /// Upload-Metadata header length.
    public var uploadMetadataByteCountMax: Int = 4 * 1024

    /// Entries in a stem pack, directories included.
    public var packEntryCountMax: Int = 512
    /// Bytes a pack may unpack to in all.
    public var packUncompressedByteCountMax: Int64 = 8 * 1024 * 1024 * 1024
    /// Uncompressed ÷ compressed bytes for one pack entry: above it, a bomb.
    public var packCompressionRatioMax: Int64 = 100

    /// Public verify requests per client address: a burst, refilled at a steady rate.
    public var verifyBurstRequestCountMax: Int = 60
    public var verifyRequestsPerMinutePerAddress: Int = 120

    /// Events in one usage batch.
    public var usageBatchEventCountMax: Int = 10_000
    /// Bytes of one usage batch (JSON array or NDJSON).
    public var usageBatchByteCountMax: Int = 8 * 1024 * 1024
    /// How far in the future an event may be dated.
    public var usageFutureToleranceSeconds: Int64 = 300

    public init() {}
}
