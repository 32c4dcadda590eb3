/// An asset's descriptive metadata after validation and normalization: trimmed text,
/// a parsed key, an upper-case ISRC, de-duplicated lower-case tag lists.
public struct AssetMetadata: Sendable, Equatable {
    public var kind: AssetKind
    public var title: String
    public var trackID: AssetID?
    public var bpm: Double?
    public var key: MusicalKey?
    public var tags: [String]
    public var moods: [String]
    public var genres: [String]
    public var instruments: [String]
    public var vocals: Bool?
    public var isrc: ISRC?
    public var durationSeconds: Double?
    /// Shares as given, not yet checked against the parties that exist.
    public var splits: Splits?
    /// A stem's part in the mix (drums, bass, …), from a pack's manifest.
    public var role: String?
    public var preview: PreviewWindow

    public static let bpmRange: ClosedRange<Double> = 1...400

    /// Checks everything that needs no database; each refusal names its field.
    public init(validating request: Wire.CreateAsset, limits: Limits) throws(Problem) {
        kind = request.kind
        title = String(request.title.trimmingWhitespace())
        // Counted in Unicode scalars, as the database counts them.
        guard !title.isEmpty, title.unicodeScalars.count <= limits.titleCharacterCountMax else {
            throw .invalid("title must be 1 to \(limits.titleCharacterCountMax) characters.", field: "title")
        }
        switch (request.kind, request.trackID) {
        case (.stem, nil):
            throw .invalid("A stem belongs to a track: give track_id (the id of your track).", field: "track_id")
        case (.track, .some), (.loop, .some):
            throw .invalid("Only stems name a track_id; remove it or use kind \"stem\".", field: "track_id")
        default:
            trackID = request.trackID
        }
        if let bpm = request.bpm {
            guard bpm.isFinite, Self.bpmRange.contains(bpm) else {
                throw .invalid("bpm must be between 1 and 400.", field: "bpm")
            }
        }
        bpm = request.bpm
        if let text = request.key {
            guard let parsed = MusicalKey(parsing: text) else {
                throw .invalid("\"\(text)\" is not a musical key; write e.g. \"A minor\", \"F#m\", \"Bb major\" or a Camelot code like \"8A\".", field: "key")
            }
            key = parsed
        } else {
            key = nil
        }
        tags = try Self.normalizedList(request.tags, field: "tags", limits: limits)
        moods = try Self.normalizedList(request.moods, field: "moods", limits: limits)
        genres = try Self.normalizedList(request.genres, field: "genres", limits: limits)
        instruments = try Self.normalizedList(request.instruments, field: "instruments", limits: limits)
        vocals = request.vocals
        if let text = request.isrc {
            guard let parsed = ISRC(parsing: text) else {
                throw .invalid("\"\(text)\" is not an ISRC; the form is CC-XXX-YY-NNNNN, e.g. US-S1Z-99-00001.", field: "isrc")
            }
            isrc = parsed
        } else {
            isrc = nil
        }
        if let seconds = request.durationSeconds {
            guard seconds.isFinite, seconds > 0, seconds < 86_400 else {
                throw .invalid("duration_seconds must be positive and under a day.", field: "duration_seconds")
            }
        }
        durationSeconds = request.durationSeconds
        splits = try request.splits.map { shares throws(Problem) in try Splits(validating: shares) }
        role = nil
        preview = try PreviewWindow(startSeconds: request.previewStartSeconds, durationSeconds: request.previewDurationSeconds,
                                    watermark: request.previewWatermark)
    }

    public static func normalizedList(_ list: [String]?, field: String, limits: Limits) throws(Problem) -> [String] {
        guard let list else { return [] }
        guard list.count <= limits.tagCountMax else {
            throw .invalid("\(field) may hold at most \(limits.tagCountMax) entries.", field: field)
        }
        var seen = Set<String>()
        var result = [String]()
        for entry in list {
            let normalized = entry.trimmingWhitespace().lowercased()
            guard !normalized.isEmpty, normalized.unicodeScalars.count <= limits.tagCharacterCountMax else {
                throw .invalid("Each entry of \(field) must be 1 to \(limits.tagCharacterCountMax) characters.", field: field)
            }
            if seen.insert(normalized).inserted { result.append(normalized) }
        }
        return result
    }

    /// Refuses audio whose own facts contradict what the composer stated.
    public func check(durationMilliseconds actual: Int64, toleranceMilliseconds: Int64) throws(Problem) {
        guard let stated = durationSeconds else { return }
        let statedMilliseconds = Int64((stated * 1000).rounded())
        if abs(statedMilliseconds - actual) > toleranceMilliseconds {
            throw .audioMismatch(
                "The stated duration is \(stated) s but the file plays for \(Double(actual) / 1000) s. Check that you picked the right file, or fix duration_seconds.",
                field: "duration_seconds")
        }
    }
}

/// Which part of an asset its preview plays, and whether it carries the audible watermark.
public struct PreviewWindow: Sendable, Equatable {
    public var startMilliseconds: Int64
    public var durationMilliseconds: Int64
    public var watermark: Bool

    public static let durationSecondsDefault = 30.0
    public static let durationSecondsMax = 120.0

    public init(startSeconds: Double?, durationSeconds: Double?, watermark: Bool?) throws(Problem) {
        let start = startSeconds ?? 0
        let duration = durationSeconds ?? Self.durationSecondsDefault
        guard start.isFinite, start >= 0, start < 86_400 else {
            throw .invalid("preview_start_seconds must be 0 or more, inside the file.", field: "preview_start_seconds")
        }
        guard duration.isFinite, duration >= 1, duration <= Self.durationSecondsMax else {
            throw .invalid("preview_duration_seconds must be from 1 to \(Int(Self.durationSecondsMax)).", field: "preview_duration_seconds")
        }
        startMilliseconds = Int64((start * 1000).rounded())
        durationMilliseconds = Int64((duration * 1000).rounded())
        self.watermark = watermark ?? false
    }

    /// Refuses a window that starts at or after the end of audio lasting `assetMilliseconds`
    /// (checked at upload and at every edit, so a preview never fails for it later).
    public func check(assetMilliseconds: Int64) throws(Problem) {
        guard startMilliseconds >= assetMilliseconds, assetMilliseconds > 0 else { return }
        throw .invalid("preview_start_seconds is \(Double(startMilliseconds) / 1000) but the audio lasts \(Double(assetMilliseconds) / 1000) s; "
                       + "start the preview inside it.", field: "preview_start_seconds")
    }

    /// How long the preview of audio lasting `assetMilliseconds` really plays: the window,
    /// or less when the audio ends first (a short loop).
    /// 0 for `assetMilliseconds`: no audio of its own (a track of stems), the window as set.
    public static func playingMilliseconds(startMilliseconds: Int64, durationMilliseconds: Int64, assetMilliseconds: Int64) -> Int64 {
        guard assetMilliseconds > 0 else { return durationMilliseconds }
        return min(durationMilliseconds, max(0, assetMilliseconds - startMilliseconds))
    }
}
