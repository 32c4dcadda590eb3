import Licensing
import SyncletCore

// The JSON shapes of the usage routes, shared by the server and the typed client so the
// two cannot drift apart.

/// What became of a usage batch: the count of each status, and every event's result in
/// batch order (`line` is the 1-based position, the line number for NDJSON).
public struct UsageBatchResult: Codable, Sendable, Equatable {
    public var accepted: Int
    public var duplicate: Int
    public var flagged: Int
    public var rejected: Int
    public var results: [UsageEventResult]

    public init(accepted: Int, duplicate: Int, flagged: Int, rejected: Int, results: [UsageEventResult]) {
        self.accepted = accepted
        self.duplicate = duplicate
        self.flagged = flagged
        self.rejected = rejected
        self.results = results
    }
}

/// One accepted usage event behind a statement line, with its license and terms hash.
public struct StatementLineEvent: Codable, Sendable, Equatable {
    public var eventID: String
    public var licenseID: LicenseID
    public var termsSHA256: String
    public var quantity: Int64
    public var chargedMicros: Int64
    public var channelID: String?
    public var videoID: String?
    public var occurredAt: Timestamp
    /// For a reversal: the event it takes back (its quantity and charge are then negative,
    /// so a line's events add up to the line).
    public var reverses: String?

    public init(eventID: String, licenseID: LicenseID, termsSHA256: String, quantity: Int64, chargedMicros: Int64,
                channelID: String?, videoID: String?, occurredAt: Timestamp, reverses: String? = nil) {
        self.eventID = eventID
        self.licenseID = licenseID
        self.termsSHA256 = termsSHA256
        self.quantity = quantity
        self.chargedMicros = chargedMicros
        self.channelID = channelID
        self.videoID = videoID
        self.occurredAt = occurredAt
        self.reverses = reverses
    }

    enum CodingKeys: String, CodingKey {
        case quantity, reverses
        case eventID = "event_id"
        case licenseID = "license_id"
        case termsSHA256 = "terms_sha256"
        case chargedMicros = "charged_micros"
        case channelID = "channel_id"
        case videoID = "video_id"
        case occurredAt = "occurred_at"
    }
}

/// A composer's running totals for the current period, as the earnings stream sends them:
/// once at connection, then after every booking that touches the composer.
public struct EarningsUpdate: Codable, Sendable, Equatable {
    public var partyID: PartyID
    public var period: Period
    public var usageMicros: Int64
    public var licenseSalesMicros: Int64
    public var closingBalanceMicros: Int64
    public var lineCount: Int
    public var at: Timestamp

    public init(partyID: PartyID, period: Period, usageMicros: Int64, licenseSalesMicros: Int64, closingBalanceMicros: Int64,
                lineCount: Int, at: Timestamp) {
        self.partyID = partyID
        self.period = period
        self.usageMicros = usageMicros
        self.licenseSalesMicros = licenseSalesMicros
        self.closingBalanceMicros = closingBalanceMicros
        self.lineCount = lineCount
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case period, at
        case partyID = "party_id"
        case usageMicros = "usage_micros"
        case licenseSalesMicros = "license_sales_micros"
        case closingBalanceMicros = "closing_balance_micros"
        case lineCount = "line_count"
    }
}

/// What a licensee spent in a month, against its monthly cap, by license and by platform.
public struct WalletSpend: Codable, Sendable, Equatable {
    /// Spending under one license.
    public struct LicenseSpend: Codable, Sendable, Equatable {
        public var licenseID: LicenseID
        public var code: String
        public var spentMicros: Int64
        public init(licenseID: LicenseID, code: String, spentMicros: Int64) {
            self.licenseID = licenseID
            self.code = code
            self.spentMicros = spentMicros
        }
        enum CodingKeys: String, CodingKey {
            case code
            case licenseID = "license_id"
            case spentMicros = "spent_micros"
        }
    }

    /// Spending on one platform.
    public struct PlatformSpend: Codable, Sendable, Equatable {
        public var platform: String
        public var spentMicros: Int64
        public init(platform: String, spentMicros: Int64) {
            self.platform = platform
            self.spentMicros = spentMicros
        }
        enum CodingKeys: String, CodingKey {
            case platform
            case spentMicros = "spent_micros"
        }
    }

    public var partyID: PartyID
    public var period: Period
    /// The monthly spending cap; `nil` when the licensee has none.
    public var capMicros: Int64?
    public var spentMicros: Int64
    public var byLicense: [LicenseSpend]
    public var byPlatform: [PlatformSpend]

    public init(partyID: PartyID, period: Period, capMicros: Int64?, spentMicros: Int64, byLicense: [LicenseSpend],
                byPlatform: [PlatformSpend]) {
        self.partyID = partyID
        self.period = period
        self.capMicros = capMicros
        self.spentMicros = spentMicros
        self.byLicense = byLicense
        self.byPlatform = byPlatform
    }

    enum CodingKeys: String, CodingKey {
        case period
        case partyID = "party_id"
        case capMicros = "cap_micros"
        case spentMicros = "spent_micros"
        case byLicense = "by_license"
        case byPlatform = "by_platform"
    }

    /// Written like the server writes it: `cap_micros` is `null` rather than missing.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(partyID, forKey: .partyID)
        try container.encode(period, forKey: .period)
        if let capMicros {
            try container.encode(capMicros, forKey: .capMicros)
        } else {
            try container.encodeNil(forKey: .capMicros)
        }
        try container.encode(spentMicros, forKey: .spentMicros)
        try container.encode(byLicense, forKey: .byLicense)
        try container.encode(byPlatform, forKey: .byPlatform)
    }
}

