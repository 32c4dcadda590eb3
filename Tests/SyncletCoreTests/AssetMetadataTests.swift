import SyncletCore
import Testing

@Suite("AssetMetadata validation")
struct AssetMetadataTests {
    let limits = Limits()

    private func baseRequest(kind: AssetKind = .track, title: String = "Night Drive", trackID: AssetID? = nil) -> Wire.CreateAsset {
        Wire.CreateAsset(uploadID: fixedUploadID, kind: kind, title: title, trackID: trackID)
    }

    /// Expects a 422 validation problem naming `field`.
    private func expectInvalid(_ request: Wire.CreateAsset, field: String, limits: Limits = Limits(),
                               sourceLocation: SourceLocation = #_sourceLocation) {
        let refusal = problem { _ = try AssetMetadata(validating: request, limits: limits) }
        #expect(refusal?.status == 422, sourceLocation: sourceLocation)
        #expect(refusal?.type == "validation", sourceLocation: sourceLocation)
        #expect(refusal?.extensions["field"] == field, sourceLocation: sourceLocation)
    }

    @Test("a plain track validates with empty lists and no optional facts")
    func plainTrack() throws {
        let metadata = try AssetMetadata(validating: baseRequest(), limits: limits)
        #expect(metadata.kind == .track)
        #expect(metadata.title == "Night Drive")
        #expect(metadata.trackID == nil)
        #expect(metadata.bpm == nil)
        #expect(metadata.key == nil)
        #expect(metadata.isrc == nil)
        #expect(metadata.tags == [])
        #expect(metadata.moods == [])
        #expect(metadata.genres == [])
        #expect(metadata.instruments == [])
        #expect(metadata.splits == nil)
        #expect(metadata.durationSeconds == nil)
    }

    @Test("a stem without track_id is refused on track_id")
    func stemNeedsTrack() {
        expectInvalid(baseRequest(kind: .stem), field: "track_id")
    }

    @Test("a stem with track_id is accepted and keeps it")
    func stemWithTrack() throws {
        let metadata = try AssetMetadata(validating: baseRequest(kind: .stem, trackID: fixedAssetID), limits: limits)
        #expect(metadata.trackID == fixedAssetID)
        #expect(metadata.kind == .stem)
    }

    @Test("a track or loop with track_id is refused on track_id")
    func trackWithTrackIDIsRefused() {
        expectInvalid(baseRequest(kind: .track, trackID: fixedAssetID), field: "track_id")
        expectInvalid(baseRequest(kind: .loop, trackID: fixedAssetID), field: "track_id")
    }

    @Test("bpm outside 1…400, or not finite, is refused on bpm")
    func badBPM() {
        for bpm in [0, 0.5, -120, 400.01, 500, Double.nan, Double.infinity, -Double.infinity] {
            var request = baseRequest()
            request.bpm = bpm
            expectInvalid(request, field: "bpm")
        }
    }

    @Test("bpm at the bounds and in between is kept", arguments: [1, 120.5, 400])
    func goodBPM(bpm: Double) throws {
        var request = baseRequest()
        request.bpm = bpm
        #expect(try AssetMetadata(validating: request, limits: limits).bpm == bpm)
    }

    @Test("a key is parsed; text that is not a key is refused on key")
    func keys() throws {
        var request = baseRequest()
        request.key = "F#m"
        #expect(try AssetMetadata(validating: request, limits: limits).key == MusicalKey(pitchClass: 6, mode: .minor))
        request.key = "H minor"
        expectInvalid(request, field: "key")
        request.key = ""
        expectInvalid(request, field: "key")
    }

    @Test("an ISRC is normalized; a malformed one is refused on isrc")
    func isrc() throws {
        var request = baseRequest()
        request.isrc = "us-s1z-99-00001"
        #expect(try AssetMetadata(validating: request, limits: limits).isrc?.code == "USS1Z9900001")
        request.isrc = "US-S1Z-99-0001"
        expectInvalid(request, field: "isrc")
        request.isrc = "12-S1Z-99-00001"
        expectInvalid(request, field: "isrc")
    }

    @Test("tags are trimmed, lower-cased and de-duplicated, keeping first-seen order")
    func tagsAreNormalized() throws {
        var request = baseRequest()
        request.tags = [" Ambient ", "dark", "AMBIENT", "Cinematic", "dark ", "ambient"]
        request.moods = ["Calm", "calm"]
        request.genres = ["  Synthwave"]
        request.instruments = ["Piano", "Strings", "piano"]
        let metadata = try AssetMetadata(validating: request, limits: limits)
        #expect(metadata.tags == ["ambient", "dark", "cinematic"])
        #expect(metadata.moods == ["calm"])
        #expect(metadata.genres == ["synthwave"])
        #expect(metadata.instruments == ["piano", "strings"])
    }

    @Test("more tags than the limit are refused on tags, even if some are duplicates")
    func tooManyTags() throws {
        var request = baseRequest()
        request.tags = (0...limits.tagCountMax).map { "tag\($0)" }
        expectInvalid(request, field: "tags")
        request.tags = (0..<limits.tagCountMax).map { "tag\($0)" }
        #expect(try AssetMetadata(validating: request, limits: limits).tags.count == limits.tagCountMax)

        var small = Limits()
        small.tagCountMax = 2
        request.tags = ["a", "a", "a"]
        expectInvalid(request, field: "tags", limits: small)
    }

    @Test("too many moods, genres or instruments are refused on their own field")
    func tooManyOtherLists() {
        var small = Limits()
        small.tagCountMax = 1
        var moods = baseRequest()
        moods.moods = ["calm", "dark"]
        expectInvalid(moods, field: "moods", limits: small)
        var genres = baseRequest()
        genres.genres = ["pop", "rock"]
        expectInvalid(genres, field: "genres", limits: small)
        var instruments = baseRequest()
        instruments.instruments = ["piano", "bass"]
        expectInvalid(instruments, field: "instruments", limits: small)
    }

    @Test("blank or over-long tag entries are refused on tags")
    func badTagEntries() {
        var request = baseRequest()
        request.tags = ["fine", "   "]
        expectInvalid(request, field: "tags")
        request.tags = [String(repeating: "x", count: limits.tagCharacterCountMax + 1)]
        expectInvalid(request, field: "tags")
    }

    @Test("an empty or whitespace title is refused on title", arguments: ["", "   ", "\t\n"])
    func blankTitle(title: String) {
        expectInvalid(baseRequest(title: title), field: "title")
    }

    @Test("the title is trimmed and may be up to the limit")
    func titleTrimmedAndLimited() throws {
        #expect(try AssetMetadata(validating: baseRequest(title: "  Night Drive \n"), limits: limits).title == "Night Drive")
        let longest = String(repeating: "a", count: limits.titleCharacterCountMax)
        #expect(try AssetMetadata(validating: baseRequest(title: longest), limits: limits).title == longest)
        expectInvalid(baseRequest(title: longest + "a"), field: "title")
    }

    @Test("duration_seconds must be positive, finite and under a day")
    func badDuration() {
        for seconds in [0, -1, 86_400, Double.nan, Double.infinity] {
            var request = baseRequest()
            request.durationSeconds = seconds
            expectInvalid(request, field: "duration_seconds")
        }
    }

    @Test("invalid splits are refused on splits; valid ones are ordered by party")
    func splits() throws {
        var request = baseRequest()
        request.splits = [SplitShare(partyID: fixedParty("1"), basisPoints: 6_000)]
        expectInvalid(request, field: "splits")
        request.splits = [
            SplitShare(partyID: fixedParty("2"), basisPoints: 4_000),
            SplitShare(partyID: fixedParty("1"), basisPoints: 6_000),
        ]
        let metadata = try AssetMetadata(validating: request, limits: limits)
        #expect(metadata.splits?.shares == [
            SplitShare(partyID: fixedParty("1"), basisPoints: 6_000),
            SplitShare(partyID: fixedParty("2"), basisPoints: 4_000),
        ])
    }

    @Test("a stated 30 s duration for a 10 s file is an audio mismatch on duration_seconds")
    func durationMismatch() throws {
        var request = baseRequest()
        request.durationSeconds = 30
        let metadata = try AssetMetadata(validating: request, limits: limits)
        let refusal = problem { try metadata.check(durationMilliseconds: 10_000, toleranceMilliseconds: 500) }
        #expect(refusal?.status == 422)
        #expect(refusal?.type == "audio-mismatch")
        #expect(refusal?.extensions["field"] == "duration_seconds")
    }

    @Test("a stated duration within the tolerance is accepted, just beyond it is refused")
    func durationTolerance() throws {
        var request = baseRequest()
        request.durationSeconds = 10.5
        let exactlyAtTolerance = try AssetMetadata(validating: request, limits: limits)
        #expect(problem { try exactlyAtTolerance.check(durationMilliseconds: 10_000, toleranceMilliseconds: 500) } == nil)
        #expect(problem { try exactlyAtTolerance.check(durationMilliseconds: 10_999, toleranceMilliseconds: 500) } == nil)
        #expect(problem { try exactlyAtTolerance.check(durationMilliseconds: 10_250, toleranceMilliseconds: 500) } == nil)
        #expect(problem { try exactlyAtTolerance.check(durationMilliseconds: 9_999, toleranceMilliseconds: 500) }?.type == "audio-mismatch")
        #expect(problem { try exactlyAtTolerance.check(durationMilliseconds: 11_001, toleranceMilliseconds: 500) }?.type == "audio-mismatch")
    }

    @Test("with no stated duration any file length is accepted")
    func noStatedDuration() throws {
        let metadata = try AssetMetadata(validating: baseRequest(), limits: limits)
        #expect(problem { try metadata.check(durationMilliseconds: 1, toleranceMilliseconds: 0) } == nil)
        #expect(problem { try metadata.check(durationMilliseconds: 3_600_000, toleranceMilliseconds: 0) } == nil)
    }
}
