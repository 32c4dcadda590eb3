import Archives
import SyncletCore
import Testing

/// Parses `json` and returns the refusal, recording an issue if it parsed.
private func manifestRefusal(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> Problem? {
    do throws(Problem) {
        let manifest = try PackManifest.parse(Array(json.utf8))
        Issue.record("expected a refusal, but parsed \(manifest)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// A manifest that must be refused, and a word its detail must name.
struct BadManifestCase: Sendable, CustomStringConvertible {
    var json: String
    var named: String
    var description: String { json }
}

@Suite("PackManifest")
struct PackManifestTests {
    @Test("a full manifest parses every field, snake_case included")
    func parsesFullManifest() throws {
        let json = """
            { "title": "Night Drive (stems)", "bpm": 92, "key": "A minor", "tags": ["synthwave"],
              "full_mix": "mix.wav",
              "files": { "drums.wav": { "title": "Drums", "role": "drums", "bpm": 92.5, "key": "Am", "tags": ["808"] },
                         "mix.wav": { "role": "full-mix" } } }
            """
        let manifest = try PackManifest.parse(Array(json.utf8))
        #expect(manifest == PackManifest(
            title: "Night Drive (stems)", bpm: 92, key: "A minor", tags: ["synthwave"], fullMix: "mix.wav",
            files: [
                "drums.wav": PackManifest.FileMetadata(title: "Drums", role: .drums, bpm: 92.5, key: "Am", tags: ["808"]),
                "mix.wav": PackManifest.FileMetadata(role: .fullMix),
            ]))
    }

    @Test("an empty object is a manifest with nothing in it")
    func parsesEmptyManifest() throws {
        #expect(try PackManifest.parse(Array("{}".utf8)) == PackManifest())
    }

    @Test("unknown fields are refused at every level, naming the field", arguments: [
        BadManifestCase(json: #"{"tempo": 92}"#, named: "tempo"),
        BadManifestCase(json: #"{"files": {"drums.wav": {"role": "drums", "gain": 3}}}"#, named: "gain"),
    ])
    func refusesUnknownFields(testCase: BadManifestCase) {
        expectMalformed(manifestRefusal(testCase.json), naming: testCase.named)
    }

    @Test("wrong types are refused, naming the field", arguments: [
        BadManifestCase(json: #"{"bpm": "fast"}"#, named: "bpm"),
        BadManifestCase(json: #"{"bpm": true}"#, named: "bpm"),
        BadManifestCase(json: #"{"bpm": -3}"#, named: "bpm"),
        BadManifestCase(json: #"{"title": 5}"#, named: "title"),
        BadManifestCase(json: #"{"tags": "808"}"#, named: "tags"),
        BadManifestCase(json: #"{"files": ["drums.wav"]}"#, named: "files"),
        BadManifestCase(json: #"{"files": {"drums.wav": {"tags": [808]}}}"#, named: "tags"),
        BadManifestCase(json: "[]", named: "top level"),
        BadManifestCase(json: "{ \"title\": ", named: "JSON"),
    ])
    func refusesWrongTypes(testCase: BadManifestCase) {
        expectMalformed(manifestRefusal(testCase.json), naming: testCase.named)
    }

    @Test("an unknown role is refused, naming the role")
    func refusesUnknownRole() {
        expectMalformed(manifestRefusal(#"{"files": {"drums.wav": {"role": "kazoo"}}}"#), naming: "kazoo")
    }

    @Test("every role parses from its raw value", arguments: StemRole.allCases)
    func parsesEveryRole(role: StemRole) throws {
        let manifest = try PackManifest.parse(Array(#"{"files": {"a.wav": {"role": "\#(role.rawValue)"}}}"#.utf8))
        #expect(manifest.files["a.wav"]?.role == role)
    }

    private func expectMalformed(_ problem: Problem?, naming word: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(problem?.status == 422, sourceLocation: sourceLocation)
        #expect(problem?.type == "hostile-pack", sourceLocation: sourceLocation)
        #expect(problem?.extensions["rule"] == "malformed-manifest", sourceLocation: sourceLocation)
        #expect(problem?.extensions["entry"] == "pack.json", sourceLocation: sourceLocation)
        #expect(problem?.detail.contains(word) == true, "detail: \(problem?.detail ?? "none")",
                sourceLocation: sourceLocation)
    }
}
