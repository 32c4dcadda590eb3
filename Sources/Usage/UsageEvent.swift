import SyncletCore

/// One usage event as reported.
public struct UsageEventInput: Codable, Sendable, Equatable {
    public var eventID: String
    /// A license id (`lic_…`), code (`SYN-…`) or key (`v4.public.…`).
    public var license: String
    public var kind: UsageKind
    public var quantity: Int64
    public var platform: String
    public var channelID: String?
    public var videoID: String?
    public var country: String?
    public var occurredAt: Timestamp
    /// For a reversal: the `event_id` of the earlier event it takes back.
    public var reverses: String?

    public init(eventID: String, license: String, kind: UsageKind, quantity: Int64, platform: String, channelID: String? = nil,
                videoID: String? = nil, country: String? = nil, occurredAt: Timestamp, reverses: String? = nil) {
        self.eventID = eventID
        self.license = license
        self.kind = kind
        self.quantity = quantity
        self.platform = platform
        self.channelID = channelID
        self.videoID = videoID
        self.country = country
        self.occurredAt = occurredAt
        self.reverses = reverses
    }

    enum CodingKeys: String, CodingKey {
        case license, kind, quantity, platform, country, reverses
        case eventID = "event_id"
        case channelID = "channel_id"
        case videoID = "video_id"
        case occurredAt = "occurred_at"
    }
}

/// What became of one event.
public struct UsageEventResult: Codable, Sendable, Equatable {
    /// accepted, duplicate, flagged or rejected.
    public var status: String
    public var eventID: String?
    /// The 1-based position in the batch (the line number for NDJSON).
    public var line: Int
    public var reason: String?
    /// For flagged events: the envelope limit broken, and a template that would cover the use.
    public var limit: String?
    public var suggestedTemplate: String?
    public var chargedMicros: Int64?

    public init(status: String, eventID: String?, line: Int, reason: String? = nil, limit: String? = nil,
                suggestedTemplate: String? = nil, chargedMicros: Int64? = nil) {
        self.status = status
        self.eventID = eventID
        self.line = line
        self.reason = reason
        self.limit = limit
        self.suggestedTemplate = suggestedTemplate
        self.chargedMicros = chargedMicros
    }

    enum CodingKeys: String, CodingKey {
        case status, line, reason, limit
        case eventID = "event_id"
        case suggestedTemplate = "suggested_template"
        case chargedMicros = "charged_micros"
    }
}
