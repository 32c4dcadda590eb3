/// Every limit the server enforces, in one place, each with its unit in its name.
///
/// `synclet serve` sets any of them by `--limit NAME=VALUE` or by the environment variable
/// `SYNCLET_NAME`, both through the one table `Limits.settings`; tests shrink them directly.
/// A property without a row in that table fails `LimitsTests`, and so does a row missing
/// from the README: nothing here can be forgotten by the flags or the documentation.
public struct Limits: Sendable, Equatable {
    // MARK: Requests

    /// Largest JSON request body.
    public var jsonBodyByteCountMax: Int = 256 * 1024
    /// Items per page when the client does not say.
    public var pageSizeDefault: Int = 50
    /// Items per page a client may ask for.
    public var pageSizeMax: Int = 500
    /// How long a connection may stay silent (no request, or a request body that stops
    /// arriving) before it is closed, so idle sockets cannot pile up. A response being sent
    /// (a download, an earnings stream) is never cut by it. Longer than the 60 s for which
    /// HTTP clients commonly keep an idle connection, so a client does not race the close.
    public var httpIdleTimeoutSeconds: Int64 = 75
    /// How long a key that authenticated is trusted without reading the database again. A
    /// revocation on the same server takes effect at once; 0 reads the key every time.
    public var apiKeyCacheSeconds: Int64 = 5
    /// How long a write waits for SQLite's lock (held by a checkpoint or another process)
    /// before it fails.
    public var databaseBusyTimeoutSeconds: Int64 = 10
    /// Connections served at once. The next ones (a sixteenth more, up to 256) are answered
    /// 503 with Retry-After and closed; past those the server stops accepting until some
    /// close. Lowered at start to fit under the process's limit on open files.
    public var httpConnectionCountMax: Int = 10_000
    /// How long a request's header block may take to arrive from its first byte.
    public var httpHeaderTimeoutSeconds: Int64 = 10
    /// How long a response may wait for a client that does not read it.
    public var httpWriteStallTimeoutSeconds: Int64 = 60
    /// How long a stopping server (SIGTERM, SIGINT) lets requests in flight finish before
    /// it closes their connections.
    public var shutdownGraceSeconds: Int64 = 3
    /// How often the server checks that its database and data folder take writes (what
    /// `/health` reports).
    public var healthCheckIntervalSeconds: Int64 = 2
    /// Zip bundles streamed at once (each is built on a thread of its own); more are
    /// answered 503 with Retry-After.
    public var bundleStreamCountMax: Int = 32

    // MARK: Uploads

    /// Largest file an upload may declare or send.
    public var uploadByteCountMax: Int64 = 4 * 1024 * 1024 * 1024
    /// Upload-Metadata header length.
    public var uploadMetadataByteCountMax: Int = 4 * 1024
    /// How long an unfinished upload lives after its last byte arrived.
    public var uploadIdleSecondsMax: Int64 = 24 * 60 * 60
    /// Unfinished uploads one party may hold at once.
    public var openUploadCountPerPartyMax: Int = 64
    /// How often abandoned uploads are looked for.
    public var uploadSweepIntervalSeconds: Int64 = 60

    // MARK: Catalog

    /// Text fields: titles, names, labels.
    public var titleCharacterCountMax: Int = 200
    /// Tags, moods, genres, instruments: entries per list.
    public var tagCountMax: Int = 32
    /// Tags, moods, genres, instruments: characters per entry.
    public var tagCharacterCountMax: Int = 40
    /// How far a stated duration may differ from the file's own before it is refused.
    public var durationToleranceMilliseconds: Int64 = 500
    /// Characters of a search's text (`q`).
    public var searchTextCharacterCountMax: Int = 200
    /// Words of a search's text that are used; the rest are ignored.
    public var searchWordCountMax: Int = 12
    /// How often the preview worker looks for work it was not woken for (rows written by
    /// another process, a missed wake).
    public var previewRecheckIntervalSeconds: Int64 = 30

    // MARK: Stem packs

    /// Entries in a stem pack, directories included.
    public var packEntryCountMax: Int = 512
    /// Bytes a pack may unpack to in all, counted as they stream.
    public var packUncompressedByteCountMax: Int64 = 8 * 1024 * 1024 * 1024
    /// Bytes one entry of a pack may unpack to, counted as they stream: 4 GiB, the most a
    /// WAV file can hold (its sizes are 32-bit) and the default largest upload.
    public var packEntryUncompressedByteCountMax: Int64 = 4 * 1024 * 1024 * 1024
    /// Uncompressed ÷ compressed bytes for one pack entry past `packRatioCheckByteCountMin`:
    /// above it, a bomb.
    public var packCompressionRatioMax: Int64 = 100
    /// Bytes an entry must unpack to before its compression ratio is checked. Digital silence
    /// deflates about 1000:1 and real vocal and FX stems are mostly silence, so below this
    /// only the size limits judge an entry; 256 MiB is a quarter of an hour of 48 kHz 24-bit
    /// stereo, longer than a stem mostly is. What one pack may make the server write is
    /// bounded by `packUncompressedByteCountMax` whatever it compresses to.
    public var packRatioCheckByteCountMin: Int64 = 256 * 1024 * 1024
    /// Bytes of a pack's `pack.json`.
    public var packManifestByteCountMax: Int = 1024 * 1024

    // MARK: Public verification

    /// Public verify requests per client address: a burst, refilled at a steady rate.
    public var verifyBurstRequestCountMax: Int = 60
    /// The steady rate that refills the burst.
    public var verifyRequestsPerMinutePerAddress: Int = 120
    /// Client addresses the verify rate limiter remembers before it forgets the idle ones.
    public var verifyAddressCountMax: Int = 100_000

    // MARK: Licenses and money

    /// Channels one license may clear.
    public var licenseChannelCountMax: Int = 50
    /// Licenses one limited drop may offer.
    public var dropLicenseCountMax: Int = 1_000_000
    /// Movements a wallet shows (the most recent).
    public var walletMovementCountMax: Int = 50
    /// Largest single credit to a wallet, by an operator grant or a payment notice.
    public var walletCreditMicrosMax: Int64 = 1_000_000 * Money.microsPerUnit
    /// Smallest balance paid out when a period closes; smaller ones carry forward.
    public var payoutMicrosMin: Int64 = 10 * Money.microsPerUnit
    /// How far a payment webhook's timestamp may be from the server's clock.
    public var webhookToleranceSeconds: Int64 = 300

    // MARK: Usage

    /// Events in one usage batch.
    public var usageBatchEventCountMax: Int = 10_000
    /// Bytes of one usage batch (JSON array or NDJSON).
    public var usageBatchByteCountMax: Int = 16 * 1024 * 1024
    /// How far in the future an event may be dated.
    public var usageFutureToleranceSeconds: Int64 = 300
    /// The largest quantity one usage event may report, per kind (the API document allows
    /// 10^12; a bigger event is rejected, so a mistaken or hostile report cannot book
    /// an absurd charge).
    public var usageViewsPerEventMax: Int64 = 1_000_000_000
    public var usagePlaysPerEventMax: Int64 = 1_000_000_000
    public var usageUsesPerEventMax: Int64 = 1_000
    public var usageSecondsPerEventMax: Int64 = 100_000_000
    /// How far below zero usage may take a licensee's wallet unless the operator set another
    /// figure for that licensee (`PUT /v1/wallets/{party}/credit-limit`): 10 units. Past it,
    /// usage is flagged `insufficient_funds` and not charged.
    public var usageCreditLimitMicros: Int64 = 10 * Money.microsPerUnit
    /// Write jobs per group commit: bounds the latency a big batch adds to its first job.
    public var groupCommitJobCountMax: Int = 256

    // MARK: Earnings streams

    /// Seconds between keep-alive comments on an earnings stream, so proxies keep it open.
    public var earningsKeepAliveSeconds: Int64 = 15
    /// Messages queued for one slow earnings stream; older ones are dropped (each update
    /// carries the full totals, so only the newest matters).
    public var earningsStreamQueuedMessageCountMax: Int = 16
    /// Earnings streams open at once on the server.
    public var earningsStreamCountMax: Int = 1_000
    /// Earnings streams one composer may hold open at once.
    public var earningsStreamCountPerPartyMax: Int = 8
    /// A composer's totals are read for its streams at most this often: a burst of bookings
    /// costs one read, however many streams watch.
    public var earningsRefreshIntervalMilliseconds: Int64 = 100

    public init() {}
}

// MARK: - The table

extension Limits {
    /// Why some limits can be lowered but not raised.
    private static let apiDocument = "openapi.json promises it to clients"
    private static let apiAndDatabase = "openapi.json promises it and the database enforces it"

    /// Every limit, once: its name, unit, bounds and meaning. The flags, the environment,
    /// `--list-limits` and the README table are all made from it.
    public static let settings: [LimitSetting] = [
        // Requests
        LimitSetting("json-body-max-bytes", \.jsonBodyByteCountMax, .bytes,
                     "Largest JSON request body."),
        LimitSetting("page-size-default", \.pageSizeDefault, .count, max: 500, ceiling: apiDocument,
                     "Items per page when a list request gives no `limit`; at most page-size-max."),
        LimitSetting("page-size-max", \.pageSizeMax, .count, max: 500, ceiling: apiDocument,
                     "Largest `limit` a list request may ask for."),
        LimitSetting("http-idle-timeout-seconds", \.httpIdleTimeoutSeconds, .seconds,
                     "A connection silent this long (between requests, or in a stalled request body) is closed; responses being sent are never cut."),
        LimitSetting("api-key-cache-seconds", \.apiKeyCacheSeconds, .seconds, min: 0,
                     "A key that authenticated is trusted this long without a database read; a revocation on this server takes effect at once, 0 reads every time."),
        LimitSetting("database-busy-timeout-seconds", \.databaseBusyTimeoutSeconds, .seconds,
                     "How long a write waits for the SQLite lock before it fails."),
        LimitSetting("http-max-connections", \.httpConnectionCountMax, .count,
                     "Connections served at once; the next ones get 503 with Retry-After. Lowered at start to fit the open-files limit."),
        LimitSetting("http-header-timeout-seconds", \.httpHeaderTimeoutSeconds, .seconds,
                     "A request's headers must arrive whole within this time of their first byte, or the connection is closed."),
        LimitSetting("http-write-stall-timeout-seconds", \.httpWriteStallTimeoutSeconds, .seconds,
                     "A connection whose client stops reading its response for this long is closed."),
        LimitSetting("shutdown-grace-seconds", \.shutdownGraceSeconds, .seconds,
                     "On SIGTERM or SIGINT, requests in flight get this long to finish before their connections are closed."),
        LimitSetting("health-check-interval-seconds", \.healthCheckIntervalSeconds, .seconds,
                     "How often the server checks that the database and the data folder take writes; /health reports the outcome."),
        LimitSetting("bundle-max-streams", \.bundleStreamCountMax, .count,
                     "Zip bundles (track bundles, licensed downloads) streamed at once; more get 503 with Retry-After."),
        // Uploads
        LimitSetting("upload-max-bytes", \.uploadByteCountMax, .bytes,
                     "Largest file an upload may declare or send (`Tus-Max-Size`)."),
        LimitSetting("upload-metadata-max-bytes", \.uploadMetadataByteCountMax, .bytes,
                     "Largest `Upload-Metadata` header."),
        LimitSetting("upload-idle-seconds", \.uploadIdleSecondsMax, .seconds,
                     "An unfinished upload expires this long after its last byte."),
        LimitSetting("open-uploads-max-per-party", \.openUploadCountPerPartyMax, .count,
                     "Unfinished uploads one party may hold at once."),
        LimitSetting("upload-sweep-interval-seconds", \.uploadSweepIntervalSeconds, .seconds,
                     "How often expired uploads are removed."),
        // Catalog
        LimitSetting("title-max-characters", \.titleCharacterCountMax, .count, max: 200, ceiling: apiAndDatabase,
                     "Characters of a title or display name."),
        LimitSetting("tags-max-per-list", \.tagCountMax, .count, max: 32, ceiling: apiDocument,
                     "Entries in each of tags, moods, genres and instruments."),
        LimitSetting("tag-max-characters", \.tagCharacterCountMax, .count, max: 40, ceiling: apiDocument,
                     "Characters of one tag, mood, genre or instrument."),
        LimitSetting("duration-tolerance-milliseconds", \.durationToleranceMilliseconds, .milliseconds, min: 0,
                     "How far a stated duration may differ from the file's own before the file is refused."),
        LimitSetting("search-text-max-characters", \.searchTextCharacterCountMax, .count, max: 200, ceiling: apiDocument,
                     "Characters of a search's text (`q`)."),
        LimitSetting("search-max-words", \.searchWordCountMax, .count,
                     "Words of a search's text that are used; the rest are ignored."),
        LimitSetting("preview-recheck-interval-seconds", \.previewRecheckIntervalSeconds, .seconds,
                     "How often the preview worker looks for pending previews it was not told about."),
        // Stem packs
        LimitSetting("pack-max-entries", \.packEntryCountMax, .count,
                     "Entries in a stem pack, folders included."),
        LimitSetting("pack-unpacked-max-bytes", \.packUncompressedByteCountMax, .bytes,
                     "Bytes a pack may unpack to in all."),
        LimitSetting("pack-entry-unpacked-max-bytes", \.packEntryUncompressedByteCountMax, .bytes,
                     "Bytes one entry of a pack may unpack to (a WAV file holds at most 4 GiB)."),
        LimitSetting("pack-max-compression-ratio", \.packCompressionRatioMax, .count,
                     "Unpacked ÷ packed size above which an entry, once past pack-ratio-check-min-bytes, is refused as a bomb."),
        LimitSetting("pack-ratio-check-min-bytes", \.packRatioCheckByteCountMin, .bytes, min: 0,
                     "An entry is held to the compression ratio only once it has unpacked this many bytes: silence, much of a real stem, deflates about 1000:1."),
        LimitSetting("pack-manifest-max-bytes", \.packManifestByteCountMax, .bytes,
                     "Largest `pack.json`."),
        // Public verification
        LimitSetting("verify-burst-max-requests", \.verifyBurstRequestCountMax, .count,
                     "Public verify requests one address may make at once."),
        LimitSetting("verify-requests-per-minute", \.verifyRequestsPerMinutePerAddress, .count,
                     "The rate at which an address's verify burst refills."),
        LimitSetting("verify-max-addresses", \.verifyAddressCountMax, .count,
                     "Addresses the verify rate limiter remembers before it forgets idle ones."),
        // Licenses and money
        LimitSetting("license-max-channels", \.licenseChannelCountMax, .count, max: 50, ceiling: apiDocument,
                     "Channels one license may clear."),
        LimitSetting("drop-max-licenses", \.dropLicenseCountMax, .count, max: 1_000_000, ceiling: apiDocument,
                     "Licenses one limited drop may offer."),
        LimitSetting("wallet-max-movements", \.walletMovementCountMax, .count,
                     "Recent movements a wallet shows."),
        LimitSetting("wallet-credit-max-amount", \.walletCreditMicrosMax, .amount, max: Money.amountMicrosMax,
                     "Largest single credit to a wallet, by an operator grant or a payment notice."),
        LimitSetting("payout-threshold", \.payoutMicrosMin, .amount, min: 0,
                     "Balances at or over this amount are paid out when a period closes; smaller ones carry forward."),
        LimitSetting("webhook-tolerance-seconds", \.webhookToleranceSeconds, .seconds,
                     "How far a payment webhook's timestamp may be from the server's clock."),
        // Usage
        LimitSetting("usage-batch-max-events", \.usageBatchEventCountMax, .count,
                     "Events in one usage batch."),
        LimitSetting("usage-batch-max-bytes", \.usageBatchByteCountMax, .bytes,
                     "Bytes of one usage batch (JSON array or NDJSON)."),
        LimitSetting("usage-future-tolerance-seconds", \.usageFutureToleranceSeconds, .seconds, min: 0,
                     "How far in the future a usage event may be dated."),
        LimitSetting("usage-max-views-per-event", \.usageViewsPerEventMax, .count, max: 1_000_000_000_000, ceiling: apiDocument,
                     "Views one usage event may report; a bigger event is rejected."),
        LimitSetting("usage-max-plays-per-event", \.usagePlaysPerEventMax, .count, max: 1_000_000_000_000, ceiling: apiDocument,
                     "Plays one usage event may report; a bigger event is rejected."),
        LimitSetting("usage-max-uses-per-event", \.usageUsesPerEventMax, .count, max: 1_000_000_000_000, ceiling: apiDocument,
                     "Uses (productions) one usage event may report; a bigger event is rejected."),
        LimitSetting("usage-max-seconds-per-event", \.usageSecondsPerEventMax, .seconds, max: 1_000_000_000_000, ceiling: apiDocument,
                     "Seconds of use one usage event may report; a bigger event is rejected."),
        LimitSetting("usage-credit-limit", \.usageCreditLimitMicros, .amount, min: 0, max: Money.amountMicrosMax,
                     "How far below zero usage may take a licensee's wallet (unless set for that licensee); past it, usage is flagged insufficient_funds."),
        LimitSetting("group-commit-max-jobs", \.groupCommitJobCountMax, .count,
                     "Write jobs (licenses, usage batches) committed together in one transaction."),
        // Earnings streams
        LimitSetting("earnings-keep-alive-seconds", \.earningsKeepAliveSeconds, .seconds,
                     "Seconds between keep-alive comments on an earnings stream, so proxies keep it open."),
        LimitSetting("earnings-stream-max-queued", \.earningsStreamQueuedMessageCountMax, .count,
                     "Messages queued for a slow earnings stream; older ones are dropped."),
        LimitSetting("earnings-max-streams", \.earningsStreamCountMax, .count,
                     "Earnings streams open at once on the server."),
        LimitSetting("earnings-max-streams-per-party", \.earningsStreamCountPerPartyMax, .count,
                     "Earnings streams one composer may hold open at once."),
        LimitSetting("earnings-refresh-interval-milliseconds", \.earningsRefreshIntervalMilliseconds, .milliseconds, min: 0,
                     "A composer's totals are read for its earnings streams at most this often (one read serves all its streams)."),
    ]

    /// The setting called `name`, if there is one.
    public static func setting(named name: String) -> LimitSetting? {
        settings.first { $0.name == name }
    }

    /// The limits after the environment (`SYNCLET_…`; an empty variable counts as unset),
    /// then the assignments from flags, in order: a flag wins over the environment. Every
    /// value is checked, and so is the whole.
    public static func resolved(environment: [String: String], assignments: [LimitAssignment] = []) throws(LimitError) -> Limits {
        var limits = Limits()
        for setting in settings {
            guard let text = environment[setting.environment], !text.trimmingWhitespace().isEmpty else { continue }
            setting.set(try setting.parse(text, from: setting.environment), in: &limits)
        }
        for assignment in assignments {
            guard let match = Self.setting(named: assignment.name) else {
                throw LimitError.unknown(assignment.name, source: assignment.source)
            }
            match.set(try match.parse(assignment.value, from: assignment.source), in: &limits)
        }
        try limits.checkConsistency()
        return limits
    }

    /// Refuses limits that contradict each other.
    public func checkConsistency() throws(LimitError) {
        guard pageSizeDefault <= pageSizeMax else {
            throw LimitError("page-size-default (\(pageSizeDefault)) must not exceed page-size-max (\(pageSizeMax)); lower the first or raise the second.")
        }
    }
}
