/// The JSON shapes of the API, shared by the server and the typed client so the two
/// cannot drift apart. Field names are snake_case on the wire.
public enum Wire {}

/// Who a party is.
public enum PartyKind: String, Codable, Sendable, CaseIterable {
    case composer, licensee, reporter, admin
}

/// The kinds of asset in the catalog.
public enum AssetKind: String, Codable, Sendable, CaseIterable {
    case track, stem, loop
}

/// Where an asset is in its life.
public enum AssetStatus: String, Codable, Sendable, CaseIterable {
    case draft, published, withdrawn
}

extension Wire {
    public struct Party: Codable, Sendable, Equatable {
        public var id: PartyID
        public var kind: PartyKind
        public var displayName: String
        public var createdAt: Timestamp

        public init(id: PartyID, kind: PartyKind, displayName: String, createdAt: Timestamp) {
            self.id = id
            self.kind = kind
            self.displayName = displayName
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case id, kind
            case displayName = "display_name"
            case createdAt = "created_at"
        }
    }

    public struct CreateParty: Codable, Sendable {
        public var kind: PartyKind
        public var displayName: String
        public init(kind: PartyKind, displayName: String) {
            self.kind = kind
            self.displayName = displayName
        }
        enum CodingKeys: String, CodingKey {
            case kind
            case displayName = "display_name"
        }
    }

    public struct CreateAPIKey: Codable, Sendable {
        public var label: String?
        public init(label: String?) { self.label = label }
    }

    /// An API key as listed: never the secret.
    public struct APIKey: Codable, Sendable, Equatable {
        public var id: APIKeyID
        public var partyID: PartyID
        public var label: String
        /// The first characters of the token, to recognise a key without revealing it.
        public var hint: String
        public var createdAt: Timestamp
        public var revokedAt: Timestamp?

        public init(id: APIKeyID, partyID: PartyID, label: String, hint: String, createdAt: Timestamp, revokedAt: Timestamp?) {
            self.id = id
            self.partyID = partyID
            self.label = label
            self.hint = hint
            self.createdAt = createdAt
            self.revokedAt = revokedAt
        }

        enum CodingKeys: String, CodingKey {
            case id, label, hint
            case partyID = "party_id"
            case createdAt = "created_at"
            case revokedAt = "revoked_at"
        }
    }

    /// The answer to issuing a key: the only time the secret is shown.
    public struct IssuedAPIKey: Codable, Sendable {
        public var key: APIKey
        public var token: String
        public init(key: APIKey, token: String) {
            self.key = key
            self.token = token
        }
    }

    /// Metadata a composer gives for a new asset, alongside a finished upload.
    public struct CreateAsset: Codable, Sendable, Equatable {
        public var uploadID: UploadID
        public var kind: AssetKind
        public var title: String
        public var trackID: AssetID?
        public var bpm: Double?
        public var key: String?
        public var tags: [String]?
        public var moods: [String]?
        public var genres: [String]?
        public var instruments: [String]?
        public var vocals: Bool?
        public var isrc: String?
        /// If given, the file's own duration must agree with it.
        public var durationSeconds: Double?
        public var splits: [SplitShare]?
        public var previewStartSeconds: Double?
        public var previewDurationSeconds: Double?
        public var previewWatermark: Bool?

        public init(uploadID: UploadID, kind: AssetKind, title: String, trackID: AssetID? = nil, bpm: Double? = nil,
                    key: String? = nil, tags: [String]? = nil, moods: [String]? = nil, genres: [String]? = nil,
                    instruments: [String]? = nil, vocals: Bool? = nil, isrc: String? = nil,
                    durationSeconds: Double? = nil, splits: [SplitShare]? = nil, previewStartSeconds: Double? = nil,
                    previewDurationSeconds: Double? = nil, previewWatermark: Bool? = nil) {
            self.previewStartSeconds = previewStartSeconds
            self.previewDurationSeconds = previewDurationSeconds
            self.previewWatermark = previewWatermark
            self.uploadID = uploadID
            self.kind = kind
            self.title = title
            self.trackID = trackID
            self.bpm = bpm
            self.key = key
            self.tags = tags
            self.moods = moods
            self.genres = genres
            self.instruments = instruments
            self.vocals = vocals
            self.isrc = isrc
            self.durationSeconds = durationSeconds
            self.splits = splits
        }

        enum CodingKeys: String, CodingKey {
            case kind, title, bpm, key, tags, moods, genres, instruments, vocals, isrc, splits
            case uploadID = "upload_id"
            case trackID = "track_id"
            case durationSeconds = "duration_seconds"
            case previewStartSeconds = "preview_start_seconds"
            case previewDurationSeconds = "preview_duration_seconds"
            case previewWatermark = "preview_watermark"
        }
    }

    public struct MusicalKeyInfo: Codable, Sendable, Equatable {
        public var name: String
        public var camelot: String
        public init(name: String, camelot: String) {
            self.name = name
            self.camelot = camelot
        }
    }

    /// One stem of a track, as the track's detail lists it.
    public struct StemSummary: Codable, Sendable, Equatable {
        public var id: AssetID
        public var title: String
        public var role: String?
        public var status: AssetStatus
        public var durationSeconds: Double

        public init(id: AssetID, title: String, role: String?, status: AssetStatus, durationSeconds: Double) {
            self.id = id
            self.title = title
            self.role = role
            self.status = status
            self.durationSeconds = durationSeconds
        }

        enum CodingKeys: String, CodingKey {
            case id, title, role, status
            case durationSeconds = "duration_seconds"
        }
    }

    /// An asset. `file` and `splits` are private: only the owner and the operator see them.
    /// `audio` and `file` are absent for a track made of stems alone.
    public struct Asset: Codable, Sendable, Equatable {
        public var id: AssetID
        public var ownerID: PartyID
        public var composerName: String?
        public var kind: AssetKind
        public var status: AssetStatus
        public var trackID: AssetID?
        public var title: String
        public var role: String?
        public var bpm: Double?
        public var key: MusicalKeyInfo?
        public var tags: [String]
        public var moods: [String]
        public var genres: [String]
        public var instruments: [String]
        public var vocals: Bool?
        public var isrc: String?
        public var durationSeconds: Double
        public var audio: AudioInfo?
        public var file: FileInfo?
        public var splits: [SplitShare]?
        /// True when a stem has no splits of its own and follows its track's.
        public var splitsInherited: Bool?
        public var preview: PreviewInfo
        public var createdAt: Timestamp
        public var publishedAt: Timestamp?
        /// A track's stems the viewer may see, and the names of its text files: only in the
        /// answer about one asset (`GET /v1/assets/{id}`), never in lists.
        public var stems: [StemSummary]? = nil
        public var attachments: [String]? = nil

        public init(id: AssetID, ownerID: PartyID, composerName: String?, kind: AssetKind, status: AssetStatus,
                    trackID: AssetID?, title: String, role: String?, bpm: Double?, key: MusicalKeyInfo?, tags: [String],
                    moods: [String], genres: [String], instruments: [String], vocals: Bool?, isrc: String?,
                    durationSeconds: Double, audio: AudioInfo?, file: FileInfo?, splits: [SplitShare]?,
                    splitsInherited: Bool?, preview: PreviewInfo, createdAt: Timestamp, publishedAt: Timestamp?) {
            self.id = id
            self.ownerID = ownerID
            self.composerName = composerName
            self.kind = kind
            self.status = status
            self.trackID = trackID
            self.title = title
            self.role = role
            self.bpm = bpm
            self.key = key
            self.tags = tags
            self.moods = moods
            self.genres = genres
            self.instruments = instruments
            self.vocals = vocals
            self.isrc = isrc
            self.durationSeconds = durationSeconds
            self.audio = audio
            self.file = file
            self.splits = splits
            self.splitsInherited = splitsInherited
            self.preview = preview
            self.createdAt = createdAt
            self.publishedAt = publishedAt
        }

        enum CodingKeys: String, CodingKey {
            case id, kind, status, title, role, bpm, key, tags, moods, genres, instruments, vocals, isrc, audio, file, splits, preview
            case stems, attachments
            case ownerID = "owner_id"
            case composerName = "composer_name"
            case trackID = "track_id"
            case durationSeconds = "duration_seconds"
            case splitsInherited = "splits_inherited"
            case createdAt = "created_at"
            case publishedAt = "published_at"
        }
    }

    /// The state of an asset's preview and waveform.
    public struct PreviewInfo: Codable, Sendable, Equatable {
        /// pending, ready, failed or none.
        public var status: String
        public var detail: String?
        public var startSeconds: Double
        public var durationSeconds: Double
        public var watermark: Bool
        /// mp3, opus or vorbis, once ready.
        public var format: String?

        public init(status: String, detail: String?, startSeconds: Double, durationSeconds: Double, watermark: Bool, format: String?) {
            self.status = status
            self.detail = detail
            self.startSeconds = startSeconds
            self.durationSeconds = durationSeconds
            self.watermark = watermark
            self.format = format
        }

        enum CodingKeys: String, CodingKey {
            case status, detail, watermark, format
            case startSeconds = "start_seconds"
            case durationSeconds = "duration_seconds"
        }
    }

    public struct AudioInfo: Codable, Sendable, Equatable {
        public var container: String
        public var encoding: String
        public var sampleRate: Int
        public var bitDepth: Int?
        public var channels: Int
        public var frames: Int64
        public var durationSeconds: Double

        public init(container: String, encoding: String, sampleRate: Int, bitDepth: Int?, channels: Int, frames: Int64) {
            self.container = container
            self.encoding = encoding
            self.sampleRate = sampleRate
            self.bitDepth = bitDepth
            self.channels = channels
            self.frames = frames
            self.durationSeconds = sampleRate > 0 ? (Double(frames) / Double(sampleRate) * 1000).rounded() / 1000 : 0
        }

        enum CodingKeys: String, CodingKey {
            case container, encoding, channels, frames
            case sampleRate = "sample_rate"
            case bitDepth = "bit_depth"
            case durationSeconds = "duration_seconds"
        }
    }

    public struct FileInfo: Codable, Sendable, Equatable {
        public var sha256: String
        public var byteCount: Int64
        public var filename: String?
        public init(sha256: String, byteCount: Int64, filename: String?) {
            self.sha256 = sha256
            self.byteCount = byteCount
            self.filename = filename
        }
        enum CodingKeys: String, CodingKey {
            case sha256, filename
            case byteCount = "byte_count"
        }
    }

    /// One page of a list; `next_cursor` is absent on the last page.
    public struct Page<Item: Codable & Sendable>: Codable, Sendable {
        public var items: [Item]
        public var nextCursor: String?
        public init(items: [Item], nextCursor: String?) {
            self.items = items
            self.nextCursor = nextCursor
        }
        enum CodingKeys: String, CodingKey {
            case items
            case nextCursor = "next_cursor"
        }
    }

    /// An RFC 9457 problem as the client reads it.
    public struct ProblemDocument: Codable, Sendable {
        public var type: String
        public var title: String
        public var status: Int
        public var detail: String
        public var requestID: String?
        public var offset: String?
        public var field: String?

        enum CodingKeys: String, CodingKey {
            case type, title, status, detail, offset, field
            case requestID = "request_id"
        }
    }
}

extension Wire {
    /// A stem pack (zip, tar, tar.gz) from a finished upload. Without `track_id` a new track
    /// is made (its file is the pack's full mix, if it names one); with it, every audio
    /// file becomes a stem of that track.
    public struct CreatePack: Codable, Sendable, Equatable {
        public var uploadID: UploadID
        public var title: String?
        public var trackID: AssetID?
        public var bpm: Double?
        public var key: String?
        public var tags: [String]?
        public var moods: [String]?
        public var genres: [String]?

        public init(uploadID: UploadID, title: String? = nil, trackID: AssetID? = nil, bpm: Double? = nil, key: String? = nil,
                    tags: [String]? = nil, moods: [String]? = nil, genres: [String]? = nil) {
            self.uploadID = uploadID
            self.title = title
            self.trackID = trackID
            self.bpm = bpm
            self.key = key
            self.tags = tags
            self.moods = moods
            self.genres = genres
        }

        enum CodingKeys: String, CodingKey {
            case title, bpm, key, tags, moods, genres
            case uploadID = "upload_id"
            case trackID = "track_id"
        }
    }

    /// What a pack created.
    public struct PackResult: Codable, Sendable, Equatable {
        public var track: Asset
        public var stems: [Asset]
        /// Text files kept with the track for its bundle.
        public var attachments: [String]
        public init(track: Asset, stems: [Asset], attachments: [String]) {
            self.track = track
            self.stems = stems
            self.attachments = attachments
        }
    }
}
