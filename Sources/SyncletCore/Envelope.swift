/// The kinds of media a license can cover.
public enum MediaKind: String, Codable, Sendable, CaseIterable {
    case shortForm = "short_form"
    case longForm = "long_form"
    case live
    case podcast
    case ad
}

/// What a license allows: a usage envelope. `nil` on a list or limit means "no limit".
public struct Envelope: Codable, Sendable, Equatable {
    /// Platforms, lower-case (youtube, tiktok, instagram, twitch, facebook, podcast, web…); `nil` = any.
    public var platforms: [String]?
    public var media: [MediaKind]
    public var maxClipSeconds: Int?
    public var maxViews: Int64?
    /// Productions (videos, episodes, streams) the license may be used in.
    public var maxUses: Int?
    public var termDays: Int?
    /// ISO 3166 alpha-2 codes; `nil` = worldwide.
    public var territories: [String]?
    public var monetized: Bool
    public var paidAds: Bool
    public var attributionRequired: Bool
    public var stemsIncluded: Bool

    public init(platforms: [String]?, media: [MediaKind], maxClipSeconds: Int?, maxViews: Int64?, maxUses: Int?,
                termDays: Int?, territories: [String]?, monetized: Bool, paidAds: Bool, attributionRequired: Bool,
                stemsIncluded: Bool) {
        self.platforms = platforms
        self.media = media
        self.maxClipSeconds = maxClipSeconds
        self.maxViews = maxViews
        self.maxUses = maxUses
        self.termDays = termDays
        self.territories = territories
        self.monetized = monetized
        self.paidAds = paidAds
        self.attributionRequired = attributionRequired
        self.stemsIncluded = stemsIncluded
    }

    enum CodingKeys: String, CodingKey {
        case platforms, media, territories, monetized
        case maxClipSeconds = "max_clip_seconds"
        case maxViews = "max_views"
        case maxUses = "max_uses"
        case termDays = "term_days"
        case paidAds = "paid_ads"
        case attributionRequired = "attribution_required"
        case stemsIncluded = "stems_included"
    }

    /// Every limit an intended use breaks, in a fixed order; empty when the use fits.
    public func violations(of use: IntendedUse) -> [EnvelopeViolation] {
        var result = [EnvelopeViolation]()
        if let platforms, !platforms.contains(use.platform) {
            result.append(.init(limit: "platforms", detail: "\(use.platform) is not among \(platforms.joined(separator: ", "))"))
        }
        if !media.contains(use.media) {
            result.append(.init(limit: "media", detail: "\(use.media.rawValue) is not among \(media.map(\.rawValue).joined(separator: ", "))"))
        }
        if let max = maxClipSeconds, use.clipSeconds > max {
            result.append(.init(limit: "max_clip_seconds", detail: "a \(use.clipSeconds) s clip is over the \(max) s allowed"))
        }
        if let max = maxViews, use.expectedViews > max {
            result.append(.init(limit: "max_views", detail: "\(use.expectedViews) expected views are over the \(max) allowed"))
        }
        if let max = termDays, use.termDays > max {
            result.append(.init(limit: "term_days", detail: "a \(use.termDays)-day term is over the \(max) days allowed"))
        }
        if let territories, !territories.contains(use.territory) {
            result.append(.init(limit: "territories", detail: "\(use.territory) is not among \(territories.joined(separator: ", "))"))
        }
        if use.monetized && !monetized {
            result.append(.init(limit: "monetized", detail: "monetized use is not allowed"))
        }
        if use.paidAds && !paidAds {
            result.append(.init(limit: "paid_ads", detail: "paid advertising is not allowed"))
        }
        return result
    }
}

/// One limit a use breaks, named as in the envelope's JSON.
public struct EnvelopeViolation: Codable, Sendable, Equatable {
    public var limit: String
    public var detail: String
    public init(limit: String, detail: String) {
        self.limit = limit
        self.detail = detail
    }
}

/// How a creator means to use a clip, as stated for a quote or a license.
public struct IntendedUse: Codable, Sendable, Equatable {
    public var platform: String
    public var media: MediaKind
    public var clipSeconds: Int
    public var expectedViews: Int64
    public var termDays: Int
    /// ISO 3166 alpha-2, upper case.
    public var territory: String
    public var monetized: Bool
    public var paidAds: Bool

    public init(platform: String, media: MediaKind, clipSeconds: Int, expectedViews: Int64, termDays: Int,
                territory: String, monetized: Bool, paidAds: Bool) {
        self.platform = platform
        self.media = media
        self.clipSeconds = clipSeconds
        self.expectedViews = expectedViews
        self.termDays = termDays
        self.territory = territory
        self.monetized = monetized
        self.paidAds = paidAds
    }

    enum CodingKeys: String, CodingKey {
        case platform, media, territory, monetized
        case clipSeconds = "clip_seconds"
        case expectedViews = "expected_views"
        case termDays = "term_days"
        case paidAds = "paid_ads"
    }

    /// Normalizes (lower-case platform, upper-case territory) and checks ranges.
    /// A trillion views: more than any clip has had, and small enough that no price overflows.
    public static let expectedViewsMax: Int64 = 1_000_000_000_000

    public func validated() throws(Problem) -> IntendedUse {
        var use = self
        use.platform = platform.lowercased()
        use.territory = territory.uppercased()
        guard !use.platform.isEmpty, use.platform.count <= 40, use.platform.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw .invalid("platform must be a short name such as youtube or tiktok.", field: "use.platform")
        }
        guard use.territory.count == 2, use.territory.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw .invalid("territory must be an ISO 3166 country code such as US or DE.", field: "use.territory")
        }
        guard clipSeconds > 0, clipSeconds <= 86_400 else { throw .invalid("clip_seconds must be from 1 to 86400.", field: "use.clip_seconds") }
        guard (0...Self.expectedViewsMax).contains(expectedViews) else {
            throw .invalid("expected_views must be from 0 to \(Self.expectedViewsMax).", field: "use.expected_views")
        }
        guard termDays > 0, termDays <= 36_500 else { throw .invalid("term_days must be from 1 to 36500.", field: "use.term_days") }
        return use
    }
}
