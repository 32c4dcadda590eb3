/// A field of a PATCH body: absent (leave it), a value (set it) or `null` (clear it).
public enum FieldChange<Value: Sendable & Equatable>: Sendable, Equatable {
    case unchanged
    case set(Value)
    case clear

    /// The new value given the current one.
    public func applied(to current: Value?) -> Value? {
        switch self {
        case .unchanged: current
        case .set(let value): value
        case .clear: nil
        }
    }
}

extension KeyedDecodingContainer {
    /// Tells an absent key from an explicit `null`.
    public func decodeChange<T: Decodable & Sendable & Equatable>(_ type: T.Type, forKey key: Key) throws -> FieldChange<T> {
        guard contains(key) else { return .unchanged }
        if try decodeNil(forKey: key) { return .clear }
        return .set(try decode(T.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    public mutating func encodeChange<T: Encodable & Sendable & Equatable>(_ change: FieldChange<T>, forKey key: Key) throws {
        switch change {
        case .unchanged: break
        case .set(let value): try encode(value, forKey: key)
        case .clear: try encodeNil(forKey: key)
        }
    }
}

extension Wire {
    /// An owner's edit of an asset's metadata. Absent fields stay as they are; `null`
    /// clears the optional ones (bpm, key, vocals, isrc).
    public struct UpdateAsset: Codable, Sendable, Equatable {
        public var title: String?
        public var bpm: FieldChange<Double> = .unchanged
        public var key: FieldChange<String> = .unchanged
        public var tags: [String]?
        /// Tags added to (or removed from) the current ones; not with `tags`, which replaces them.
        public var addTags: [String]?
        public var removeTags: [String]?
        public var moods: [String]?
        public var genres: [String]?
        public var instruments: [String]?
        public var vocals: FieldChange<Bool> = .unchanged
        public var isrc: FieldChange<String> = .unchanged
        public var previewStartSeconds: Double?
        public var previewDurationSeconds: Double?
        public var previewWatermark: Bool?

        public init() {}

        enum CodingKeys: String, CodingKey {
            case title, bpm, key, tags, moods, genres, instruments, vocals, isrc
            case previewStartSeconds = "preview_start_seconds"
            case previewDurationSeconds = "preview_duration_seconds"
            case previewWatermark = "preview_watermark"
            case addTags = "add_tags"
            case removeTags = "remove_tags"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            title = try c.decodeIfPresent(String.self, forKey: .title)
            bpm = try c.decodeChange(Double.self, forKey: .bpm)
            key = try c.decodeChange(String.self, forKey: .key)
            tags = try c.decodeIfPresent([String].self, forKey: .tags)
            addTags = try c.decodeIfPresent([String].self, forKey: .addTags)
            removeTags = try c.decodeIfPresent([String].self, forKey: .removeTags)
            moods = try c.decodeIfPresent([String].self, forKey: .moods)
            genres = try c.decodeIfPresent([String].self, forKey: .genres)
            instruments = try c.decodeIfPresent([String].self, forKey: .instruments)
            vocals = try c.decodeChange(Bool.self, forKey: .vocals)
            isrc = try c.decodeChange(String.self, forKey: .isrc)
            previewStartSeconds = try c.decodeIfPresent(Double.self, forKey: .previewStartSeconds)
            previewDurationSeconds = try c.decodeIfPresent(Double.self, forKey: .previewDurationSeconds)
            previewWatermark = try c.decodeIfPresent(Bool.self, forKey: .previewWatermark)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(title, forKey: .title)
            try c.encodeChange(bpm, forKey: .bpm)
            try c.encodeChange(key, forKey: .key)
            try c.encodeIfPresent(tags, forKey: .tags)
            try c.encodeIfPresent(addTags, forKey: .addTags)
            try c.encodeIfPresent(removeTags, forKey: .removeTags)
            try c.encodeIfPresent(moods, forKey: .moods)
            try c.encodeIfPresent(genres, forKey: .genres)
            try c.encodeIfPresent(instruments, forKey: .instruments)
            try c.encodeChange(vocals, forKey: .vocals)
            try c.encodeChange(isrc, forKey: .isrc)
            try c.encodeIfPresent(previewStartSeconds, forKey: .previewStartSeconds)
            try c.encodeIfPresent(previewDurationSeconds, forKey: .previewDurationSeconds)
            try c.encodeIfPresent(previewWatermark, forKey: .previewWatermark)
        }
    }

    /// A new version of an asset's splits.
    public struct ReplaceSplits: Codable, Sendable, Equatable {
        public var splits: [SplitShare]
        public init(splits: [SplitShare]) { self.splits = splits }
    }

    /// One recorded version of an asset's splits.
    public struct SplitVersion: Codable, Sendable, Equatable {
        public var version: Int
        public var effectiveAt: Timestamp
        public var splits: [SplitShare]
        public init(version: Int, effectiveAt: Timestamp, splits: [SplitShare]) {
            self.version = version
            self.effectiveAt = effectiveAt
            self.splits = splits
        }
        enum CodingKeys: String, CodingKey {
            case version, splits
            case effectiveAt = "effective_at"
        }
    }
}

/// A validated metadata edit: every given field normalized exactly as on creation.
public struct AssetChanges: Sendable, Equatable {
    public var title: String?
    public var bpm: FieldChange<Double>
    public var key: FieldChange<MusicalKey>
    public var tags: [String]?
    public var addTags: [String]?
    public var removeTags: [String]?
    /// The tag limit in force when the edit was checked (add_tags may pass it).
    public var tagCountMax: Int
    public var moods: [String]?
    public var genres: [String]?
    public var instruments: [String]?
    public var vocals: FieldChange<Bool>
    public var isrc: FieldChange<ISRC>
    public var previewStartSeconds: Double?
    public var previewDurationSeconds: Double?
    public var previewWatermark: Bool?

    public init(validating request: Wire.UpdateAsset, limits: Limits) throws(Problem) {
        if let text = request.title {
            let trimmed = String(text.trimmingWhitespace())
            guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= limits.titleCharacterCountMax else {
                throw .invalid("title must be 1 to \(limits.titleCharacterCountMax) characters.", field: "title")
            }
            title = trimmed
        }
        if case .set(let value) = request.bpm, !(value.isFinite && AssetMetadata.bpmRange.contains(value)) {
            throw .invalid("bpm must be between 1 and 400.", field: "bpm")
        }
        bpm = request.bpm
        switch request.key {
        case .unchanged: key = .unchanged
        case .clear: key = .clear
        case .set(let text):
            guard let parsed = MusicalKey(parsing: text) else {
                throw .invalid("\"\(text)\" is not a musical key; write e.g. \"A minor\", \"F#m\" or \"8A\".", field: "key")
            }
            key = .set(parsed)
        }
        tags = try request.tags.map { list throws(Problem) in try AssetMetadata.normalizedList(list, field: "tags", limits: limits) }
        if request.tags != nil && (request.addTags != nil || request.removeTags != nil) {
            throw .invalid("tags replaces every tag; add_tags and remove_tags change some. Send one or the other.", field: "tags")
        }
        tagCountMax = limits.tagCountMax
        addTags = try request.addTags.map { list throws(Problem) in try AssetMetadata.normalizedList(list, field: "add_tags", limits: limits) }
        removeTags = try request.removeTags.map { list throws(Problem) in try AssetMetadata.normalizedList(list, field: "remove_tags", limits: limits) }
        moods = try request.moods.map { list throws(Problem) in try AssetMetadata.normalizedList(list, field: "moods", limits: limits) }
        genres = try request.genres.map { list throws(Problem) in try AssetMetadata.normalizedList(list, field: "genres", limits: limits) }
        instruments = try request.instruments.map { list throws(Problem) in try AssetMetadata.normalizedList(list, field: "instruments", limits: limits) }
        vocals = request.vocals
        switch request.isrc {
        case .unchanged: isrc = .unchanged
        case .clear: isrc = .clear
        case .set(let text):
            guard let parsed = ISRC(parsing: text) else {
                throw .invalid("\"\(text)\" is not an ISRC; the form is CC-XXX-YY-NNNNN.", field: "isrc")
            }
            isrc = .set(parsed)
        }
        previewStartSeconds = request.previewStartSeconds
        previewDurationSeconds = request.previewDurationSeconds
        previewWatermark = request.previewWatermark
    }

    /// The tags after this edit, given the current ones: replaced, or with `add_tags` added
    /// (after the current ones, each once) and `remove_tags` removed. Refuses more than the
    /// limit allows.
    public func resultingTags(from current: [String]) throws(Problem) -> [String] {
        if let tags { return tags }
        guard addTags != nil || removeTags != nil else { return current }
        var result = current
        for tag in addTags ?? [] where !result.contains(tag) { result.append(tag) }
        let removed = Set(removeTags ?? [])
        result.removeAll { removed.contains($0) }
        // Only growing the list can pass the limit (an operator may have lowered it since).
        guard result.count <= tagCountMax || result.count <= current.count else {
            throw .invalid("An asset may hold at most \(tagCountMax) tags; this edit would make \(result.count).", field: "add_tags")
        }
        return result
    }

    /// Whether the preview must be rendered again.
    public var touchesPreview: Bool {
        previewStartSeconds != nil || previewDurationSeconds != nil || previewWatermark != nil
    }
}
