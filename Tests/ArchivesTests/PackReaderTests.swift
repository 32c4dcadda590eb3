import Archives
import Foundation
import SyncletCore
import Testing

/// Extracts the pack at `archivePath` and returns its refusal, recording an issue if it was accepted.
private func refusal(of archivePath: String, into output: String, limits: PackLimits,
                     sourceLocation: SourceLocation = #_sourceLocation) -> Problem? {
    do throws(Problem) {
        let contents = try PackReader.extract(archiveAt: archivePath, into: output, limits: limits)
        Issue.record("expected a refusal, but the pack was accepted with \(contents.audio.map(\.name))",
                     sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Writes `entries` as a pack in `scratch`, extracts it, and returns its refusal.
private func refusal(for entries: [TestEntry], as format: TestFormat = .zip, limits: PackLimits = PackLimits(),
                     in scratch: Scratch, sourceLocation: SourceLocation = #_sourceLocation) throws -> Problem? {
    let path = scratch.file("pack." + format.fileExtension)
    try TestArchive.write(entries, as: format, to: path)
    return refusal(of: path, into: scratch.output, limits: limits, sourceLocation: sourceLocation)
}

/// Checks the problem is a hostile-pack refusal by `rule` naming `entry`, and that the
/// output folder was left empty.
private func expectRefusal(_ problem: Problem?, rule: String, entry: String?, in scratch: Scratch,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(problem?.status == 422, sourceLocation: sourceLocation)
    #expect(problem?.type == "hostile-pack", sourceLocation: sourceLocation)
    #expect(problem?.title == "The pack was refused", sourceLocation: sourceLocation)
    #expect(problem?.extensions["rule"] == rule, "detail: \(problem?.detail ?? "none")", sourceLocation: sourceLocation)
    #expect(problem?.extensions["entry"] == entry, sourceLocation: sourceLocation)
    #expect(scratch.outputNames == [], "a refused pack leaves nothing behind", sourceLocation: sourceLocation)
}

/// Default limits with one change.
private func limits(_ change: (inout PackLimits) -> Void) -> PackLimits {
    var limits = PackLimits()
    change(&limits)
    return limits
}

/// A legitimate first entry, so that every refusal test also shows the cleanup.
let intro = TestEntry("intro.wav", .bytes(pattern(5_000, seed: 9)))

/// A test case of one entry name and the rule it breaks.
struct NameCase: Sendable, CustomStringConvertible {
    var name: String
    var format: TestFormat
    var rule: String
    var description: String { "\(name) in a \(format)" }
}

/// A test case of two names that collide once normalized.
struct DuplicateCase: Sendable, CustomStringConvertible {
    var first: String
    var second: String
    /// The second name after normalization (case and NFC kept as written).
    var normalizedSecond: String
    var description: String { "\(first) and \(second)" }
}

/// A test case of a pack holding something it may not, and the entry named for it.
struct UnsupportedCase: Sendable, CustomStringConvertible {
    var entries: [TestEntry]
    var entry: String
    var description: String { entry }
}

@Suite("PackReader")
struct PackReaderTests {
    static let manifestJSON = """
        { "title": "Night Drive (stems)", "bpm": 92, "key": "A minor", "tags": ["synthwave"],
          "full_mix": "stems/keys.wav",
          "files": { "stems/drums.wav": { "title": "Drums", "role": "drums", "bpm": 92, "key": "Am", "tags": ["808"] },
                     "STEMS/bass.wav": { "role": "bass" } } }
        """

    // MARK: Accepted packs

    @Test("a zip, a tar and a tar.gz of three stems, notes and pack.json extract whole, with normalized names",
          arguments: [TestFormat.zip, .tar, .tarGzip])
    func extractsEveryFormat(format: TestFormat) throws {
        try withScratch { scratch in
            let drums = pattern(3_000, seed: 1)
            let bass = pattern(70_000, seed: 2)
            let keys = pattern(300_000, seed: 3)
            let path = scratch.file("pack." + format.fileExtension)
            try TestArchive.write([
                TestEntry("stems/", .directory),
                TestEntry("./stems//drums.wav", .bytes(drums)),
                TestEntry("stems/Bass.wav", .bytes(bass)),
                TestEntry("stems/./keys.wav", .bytes(keys)),
                TestEntry("README.txt", .text("Night Drive stems, 92 BPM")),
                TestEntry("pack.json", .text(Self.manifestJSON)),
            ], as: format, to: path)

            let contents = try PackReader.extract(archiveAt: path, into: scratch.output, limits: PackLimits())

            try #require(contents.audio.count == 3)
            #expect(contents.audio.map(\.name) == ["stems/drums.wav", "stems/Bass.wav", "stems/keys.wav"])
            #expect(contents.audio.map(\.byteCount) == [3_000, 70_000, 300_000])
            #expect(contents.audio.map { contentsOfFile($0.path) ?? [] } == [drums, bass, keys])
            #expect(contents.texts.map(\.name) == ["README.txt"])
            #expect(contents.texts.map { contentsOfFile($0.path) ?? [] } == [Array("Night Drive stems, 92 BPM".utf8)])
            #expect(contents.manifest?.title == "Night Drive (stems)")
            #expect(contents.manifest?.bpm == 92)
            #expect(contents.manifest?.tags == ["synthwave"])
            #expect(contents.manifestFolder == "")
            #expect(contents.metadata(for: contents.audio[0])?.role == StemRole.drums)
            #expect(contents.metadata(for: contents.audio[0])?.key == "Am")
            #expect(contents.metadata(for: contents.audio[1])?.role == StemRole.bass)
            #expect(contents.metadata(for: contents.audio[2]) == nil)
            #expect(contents.fullMixEntry?.name == "stems/keys.wav")
            #expect(scratch.outputNames.count == 4)
            #expect(contents.audio.allSatisfy { $0.path.hasPrefix(scratch.output + "/") })
        }
    }

    @Test("a pack inside one top folder resolves manifest names relative to pack.json, and macOS junk is skipped")
    func topFolderAndJunk() throws {
        try withScratch { scratch in
            let path = scratch.file("pack.zip")
            try TestArchive.write([
                TestEntry("MyPack/", .directory),
                TestEntry("MyPack/pack.json", .text(#"{"full_mix": "mix.wav", "files": {"drums.wav": {"role": "drums"}}}"#)),
                TestEntry("MyPack/drums.wav", .bytes(pattern(1_000, seed: 4))),
                TestEntry("MyPack/mix.wav", .bytes(pattern(2_000, seed: 5))),
                TestEntry("__MACOSX/MyPack/._drums.wav", .bytes(pattern(100, seed: 6))),
                TestEntry("MyPack/.DS_Store", .bytes(pattern(100, seed: 7))),
                TestEntry("MyPack/._mix.wav", .bytes(pattern(100, seed: 8))),
            ], as: .zip, to: path)

            let contents = try PackReader.extract(archiveAt: path, into: scratch.output, limits: PackLimits())

            #expect(contents.audio.map(\.name) == ["MyPack/drums.wav", "MyPack/mix.wav"])
            #expect(contents.texts.isEmpty)
            #expect(contents.manifestFolder == "MyPack/")
            let drums = try #require(contents.audio.first)
            #expect(contents.metadata(for: drums)?.role == StemRole.drums)
            #expect(contents.fullMixEntry?.name == "MyPack/mix.wav")
            #expect(scratch.outputNames.count == 2)
        }
    }

    @Test("a deflated pack of stems that are mostly silence is accepted, though it packs far past 100:1",
          arguments: [TestFormat.zip, .tarGzip])
    func mostlySilentStems(format: TestFormat) throws {
        try withScratch { scratch in
            // A vocal that enters after a minute, and an FX stem of one hit and a minute of nothing.
            let vocals = mostlySilentWAV(silentSecondsBefore: 60, toneSeconds: 1)
            let fx = mostlySilentWAV(silentSecondsBefore: 0, toneSeconds: 1, silentSecondsAfter: 60)
            let path = scratch.file("pack." + format.fileExtension)
            try TestArchive.write([TestEntry("stems/vocals.wav", .bytes(vocals)), TestEntry("stems/fx.wav", .bytes(fx))],
                                  as: format, to: path)
            let packedByteCount = try #require(contentsOfFile(path)).count
            #expect(packedByteCount * 100 < vocals.count + fx.count,
                    "the fixture should deflate past 100:1, as silence does; it packs \(vocals.count + fx.count) bytes into \(packedByteCount)")

            let contents = try PackReader.extract(archiveAt: path, into: scratch.output, limits: PackLimits())

            #expect(contents.audio.map(\.name) == ["stems/vocals.wav", "stems/fx.wav"])
            #expect(contents.audio.map(\.byteCount) == [Int64(vocals.count), Int64(fx.count)])
            #expect(contents.audio.map { contentsOfFile($0.path) ?? [] } == [vocals, fx])
        }
    }

    // MARK: Names

    @Test("names that climb out of the pack or start at a root are refused", arguments: [
        NameCase(name: "../evil.wav", format: .zip, rule: "path-traversal"),
        NameCase(name: "stems/../../evil.wav", format: .tar, rule: "path-traversal"),
        NameCase(name: "stems\\..\\..\\evil.wav", format: .tar, rule: "path-traversal"),
        NameCase(name: "/etc/evil.wav", format: .tar, rule: "absolute-path"),
        NameCase(name: "C:/evil.wav", format: .zip, rule: "absolute-path"),
        NameCase(name: "\\evil.wav", format: .tar, rule: "absolute-path"),
    ])
    func hostileNames(testCase: NameCase) throws {
        try withScratch { scratch in
            let problem = try refusal(for: [intro, TestEntry(testCase.name, .bytes([1, 2, 3]))], as: testCase.format,
                                      in: scratch)
            expectRefusal(problem, rule: testCase.rule, entry: testCase.name, in: scratch)
        }
    }

    @Test("two names equal after normalization are refused as duplicates", arguments: [
        DuplicateCase(first: "Drums.wav", second: "drums.wav", normalizedSecond: "drums.wav"),
        DuplicateCase(first: "./stems/a.wav", second: "stems//a.wav", normalizedSecond: "stems/a.wav"),
        DuplicateCase(first: "Caf\u{E9}.wav", second: "Cafe\u{301}.wav", normalizedSecond: "Caf\u{E9}.wav"),
    ])
    func duplicateNames(testCase: DuplicateCase) throws {
        try withScratch { scratch in
            let problem = try refusal(for: [
                TestEntry(testCase.first, .bytes(pattern(100, seed: 1))),
                TestEntry(testCase.second, .bytes(pattern(100, seed: 2))),
            ], in: scratch)
            expectRefusal(problem, rule: "duplicate-name", entry: testCase.normalizedSecond, in: scratch)
        }
    }

    // MARK: Entry kinds

    @Test("symbolic links are refused", arguments: [TestFormat.zip, .tar])
    func symlinks(format: TestFormat) throws {
        try withScratch { scratch in
            let problem = try refusal(for: [intro, TestEntry("link.wav", .symlink(to: "../../etc/passwd"))],
                                      as: format, in: scratch)
            expectRefusal(problem, rule: "symlink", entry: "link.wav", in: scratch)
        }
    }

    @Test("hard links are refused")
    func hardlinks() throws {
        try withScratch { scratch in
            let problem = try refusal(for: [intro, TestEntry("copy.wav", .hardlink(to: "intro.wav"))], as: .tar,
                                      in: scratch)
            expectRefusal(problem, rule: "hardlink", entry: "copy.wav", in: scratch)
        }
    }

    @Test("devices and FIFOs are refused as special files", arguments: [TestContent.characterDevice, .fifo])
    func specialFiles(content: TestContent) throws {
        try withScratch { scratch in
            let problem = try refusal(for: [intro, TestEntry("device", content)], as: .tar, in: scratch)
            expectRefusal(problem, rule: "special-file", entry: "device", in: scratch)
        }
    }

    @Test("an encrypted zip entry is refused")
    func encryptedEntries() throws {
        try withScratch { scratch in
            let problem = try refusal(for: [TestEntry("drums.wav", .bytes(pattern(2_000, seed: 1)))],
                                      as: .encryptedZip, in: scratch)
            expectRefusal(problem, rule: "encrypted", entry: "drums.wav", in: scratch)
        }
    }

    @Test("files that are not audio, text or a pack.json at the top are refused", arguments: [
        UnsupportedCase(entries: [intro, TestEntry("cover.pdf", .bytes([1]))], entry: "cover.pdf"),
        UnsupportedCase(entries: [intro, TestEntry("drums", .bytes([1]))], entry: "drums"),
        UnsupportedCase(entries: [intro, TestEntry("a/b/pack.json", .text("{}"))], entry: "a/b/pack.json"),
        UnsupportedCase(entries: [
            TestEntry("A/pack.json", .text("{}")),
            TestEntry("A/drums.wav", .bytes([1])),
            TestEntry("B/bass.wav", .bytes([2])),
        ], entry: "A/pack.json"),
    ])
    func unsupportedEntries(testCase: UnsupportedCase) throws {
        try withScratch { scratch in
            let problem = try refusal(for: testCase.entries, in: scratch)
            expectRefusal(problem, rule: "unsupported-entry", entry: testCase.entry, in: scratch)
        }
    }

    // MARK: Limits

    @Test("more entries than the limit are refused, folders counted; exactly the limit passes")
    func entryCountLimit() throws {
        let fiveAllowed = limits { $0.entryCountMax = 5 }
        try withScratch { scratch in
            let five = [TestEntry("stems/", .directory)]
                + (1...4).map { TestEntry("stems/s\($0).wav", .bytes(pattern(10, seed: UInt8($0)))) }
            let path = scratch.file("five.zip")
            try TestArchive.write(five, as: .zip, to: path)
            let contents = try PackReader.extract(archiveAt: path, into: scratch.output, limits: fiveAllowed)
            #expect(contents.audio.count == 4)
        }
        try withScratch { scratch in
            let six = (1...6).map { TestEntry("s\($0).wav", .bytes(pattern(10, seed: UInt8($0)))) }
            let problem = try refusal(for: six, limits: fiveAllowed, in: scratch)
            expectRefusal(problem, rule: "too-many-entries", entry: "s6.wav", in: scratch)
        }
    }

    @Test("uncompressed bytes over the total limit are refused", arguments: [TestFormat.zip, .tarGzip])
    func totalSizeLimit(format: TestFormat) throws {
        try withScratch { scratch in
            let entries = ["a.wav", "b.wav", "c.wav"].map { TestEntry($0, .bytes(pattern(1_000, seed: 1))) }
            let problem = try refusal(for: entries, as: format, limits: limits { $0.totalUncompressedByteCountMax = 2_500 },
                                      in: scratch)
            expectRefusal(problem, rule: "too-large", entry: "c.wav", in: scratch)
        }
    }

    @Test("one entry past the per-entry limit is refused, whether its header declares its size or not; exactly the limit passes",
          arguments: [true, false])
    func entrySizeLimit(headerDeclaresSize: Bool) throws {
        let fourMiBEach = limits { $0.entryUncompressedByteCountMax = 4 << 20 }
        try withScratch { scratch in
            let path = scratch.file("exact.zip")
            try TestArchive.write([intro, TestEntry("full.wav", .zeros(mebibyteCount: 4))], as: .zip, to: path)
            let contents = try PackReader.extract(archiveAt: path, into: scratch.output, limits: fourMiBEach)
            #expect(contents.audio.map(\.byteCount) == [5_000, 4 << 20])
        }
        try withScratch { scratch in
            let path = scratch.file("bomb.zip")
            try TestArchive.write([intro, TestEntry("bomb.wav", .zeros(mebibyteCount: 64))], as: .zip, to: path)
            // Without sizes (and without its central directory) the bomb is only caught while it
            // streams: waiting for its end would find the archive cut short instead.
            if !headerDeclaresSize { try ZipSurgery.removeDeclaredSizes(inZipAt: path) }
            let problem = refusal(of: path, into: scratch.output, limits: fourMiBEach)
            expectRefusal(problem, rule: "entry-too-large", entry: "bomb.wav", in: scratch)
        }
    }

    @Test("a pack of entries, each within the per-entry limit, that unpacks past the total is refused, whether headers declare sizes or not",
          arguments: [true, false])
    func packBombTotal(headersDeclareSizes: Bool) throws {
        try withScratch { scratch in
            let path = scratch.file("bombs.zip")
            let bombs = (1...4).map { TestEntry("bomb\($0).wav", .zeros(mebibyteCount: 4)) }
            try TestArchive.write([intro] + bombs, as: .zip, to: path)
            if !headersDeclareSizes { try ZipSurgery.removeDeclaredSizes(inZipAt: path) }
            let problem = refusal(of: path, into: scratch.output, limits: limits {
                $0.entryUncompressedByteCountMax = 4 << 20
                $0.totalUncompressedByteCountMax = 10 << 20
            })
            expectRefusal(problem, rule: "too-large", entry: "bomb3.wav", in: scratch)
        }
    }

    @Test("an entry that unpacks to more than its header declares is refused as it streams, not called corrupt at its end")
    func lyingHeader() throws {
        try withScratch { scratch in
            let path = scratch.file("liar.zip")
            try TestArchive.write([intro, TestEntry("bomb.wav", .zeros(mebibyteCount: 64))], as: .zip, to: path)
            try ZipSurgery.declare(1_000, for: "bomb.wav", inZipAt: path)
            let problem = refusal(of: path, into: scratch.output, limits: PackLimits())
            expectRefusal(problem, rule: "size-mismatch", entry: "bomb.wav", in: scratch)
        }
    }

    /// The ratio is judged only past its floor (256 MiB by default); these bombs lower it.
    static let ratioFloor16MiB = limits { $0.ratioCheckByteCountMin = 16 << 20 }

    @Test("a zip bomb of 200 MiB of deflated zeros is refused by its compression ratio once past the ratio floor")
    func zipBomb() throws {
        try withScratch { scratch in
            let problem = try refusal(for: [intro, TestEntry("bomb.wav", .zeros(mebibyteCount: 200))], as: .zip,
                                      limits: Self.ratioFloor16MiB, in: scratch)
            expectRefusal(problem, rule: "compression-ratio", entry: "bomb.wav", in: scratch)
        }
    }

    @Test("a tar.gz bomb of 64 MiB of zeros is refused by its compression ratio once past the ratio floor")
    func tarGzipBomb() throws {
        try withScratch { scratch in
            let problem = try refusal(for: [intro, TestEntry("bomb.wav", .zeros(mebibyteCount: 64))], as: .tarGzip,
                                      limits: Self.ratioFloor16MiB, in: scratch)
            expectRefusal(problem, rule: "compression-ratio", entry: "bomb.wav", in: scratch)
        }
    }

    // MARK: Manifest

    @Test("a pack.json that is not a valid manifest is refused", arguments: [
        "{ not json",
        "[]",
        #"{"colour": "red"}"#,
        #"{"bpm": "fast"}"#,
        #"{"files": {"intro.wav": {"role": "kazoo"}}}"#,
        #"{"files": {"intro.wav": {"role": "drums", "gain": 3}}}"#,
        #"{"files": {"intro.wav": {}, "INTRO.wav": {}}}"#,
    ])
    func malformedManifests(json: String) throws {
        try withScratch { scratch in
            let problem = try refusal(for: [intro, TestEntry("pack.json", .text(json))], in: scratch)
            expectRefusal(problem, rule: "malformed-manifest", entry: "pack.json", in: scratch)
        }
    }

    @Test("a pack.json over its byte limit is refused")
    func oversizedManifest() throws {
        try withScratch { scratch in
            let problem = try refusal(for: [intro, TestEntry("pack.json", .text(#"{"title": "A rather long title"}"#))],
                                      limits: limits { $0.packJSONByteCountMax = 16 }, in: scratch)
            expectRefusal(problem, rule: "malformed-manifest", entry: "pack.json", in: scratch)
        }
    }

    @Test("a pack.json naming a file the pack does not hold as audio is refused", arguments: [
        #"{"files": {"missing.wav": {"role": "drums"}}}"#,
        #"{"full_mix": "mix.wav"}"#,
        #"{"files": {"readme.txt": {}}}"#,
    ])
    func manifestNamesUnknownFile(json: String) throws {
        try withScratch { scratch in
            let problem = try refusal(for: [
                intro,
                TestEntry("readme.txt", .text("hello")),
                TestEntry("pack.json", .text(json)),
            ], in: scratch)
            expectRefusal(problem, rule: "manifest-unknown-file", entry: "pack.json", in: scratch)
        }
    }

    // MARK: Whole files

    @Test("a file that is not a zip, tar or tar.gz is refused", arguments: ["this is not an archive, only words\n", ""])
    func notAnArchive(text: String) throws {
        try withScratch { scratch in
            let path = scratch.file("upload.bin")
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let problem = refusal(of: path, into: scratch.output, limits: PackLimits())
            expectRefusal(problem, rule: "not-an-archive", entry: nil, in: scratch)
        }
    }

    @Test("a tar cut short in the middle of an entry is refused as corrupt")
    func truncatedArchive() throws {
        try withScratch { scratch in
            let path = scratch.file("pack.tar")
            try TestArchive.write([intro, TestEntry("long.wav", .bytes(pattern(300_000, seed: 2)))], as: .tar, to: path)
            let handle = try #require(FileHandle(forWritingAtPath: path))
            try handle.truncate(atOffset: 200_000)
            try handle.close()
            let problem = refusal(of: path, into: scratch.output, limits: PackLimits())
            expectRefusal(problem, rule: "corrupt", entry: "long.wav", in: scratch)
        }
    }

    @Test("a pack without audio is refused")
    func noAudio() throws {
        try withScratch { scratch in
            let problem = try refusal(for: [TestEntry("readme.txt", .text("just notes"))], in: scratch)
            expectRefusal(problem, rule: "no-audio", entry: nil, in: scratch)
        }
    }
}
