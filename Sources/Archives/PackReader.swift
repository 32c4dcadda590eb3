import CArchive
import Foundation
import SyncletCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Limits for reading a pack; all named with units. The values come from `Limits` (the
/// server's one table of limits); tests shrink them here.
public struct PackLimits: Sendable, Equatable {
    /// Entries in the archive, directories and skipped junk included.
    public var entryCountMax: Int
    /// Uncompressed bytes over all entries, counted as they stream.
    public var totalUncompressedByteCountMax: Int64
    /// Uncompressed bytes of any one entry, counted as it streams.
    public var entryUncompressedByteCountMax: Int64
    /// Uncompressed ÷ compressed bytes allowed for one entry once it has unpacked
    /// `ratioCheckByteCountMin` bytes (a zip bomb has thousands, but so has digital silence).
    public var compressionRatioMax: Int64
    /// Entries are judged by ratio only once they have unpacked this many bytes; until then
    /// the size limits alone bound them (why: `PackExtraction.meter`).
    public var ratioCheckByteCountMin: Int64
    /// Bytes of pack.json, which is read into memory.
    public var packJSONByteCountMax: Int

    public init(_ limits: Limits = Limits()) {
        entryCountMax = limits.packEntryCountMax
        totalUncompressedByteCountMax = limits.packUncompressedByteCountMax
        entryUncompressedByteCountMax = limits.packEntryUncompressedByteCountMax
        compressionRatioMax = limits.packCompressionRatioMax
        ratioCheckByteCountMin = limits.packRatioCheckByteCountMin
        packJSONByteCountMax = limits.packManifestByteCountMax
    }
}

/// One file taken out of a pack.
public struct ExtractedEntry: Sendable, Equatable {
    /// The normalized path inside the pack, e.g. "stems/drums.wav" (NFC, case kept).
    public let name: String
    /// Where its bytes were written.
    public let path: String
    public let byteCount: Int64

    public init(name: String, path: String, byteCount: Int64) {
        self.name = name
        self.path = path
        self.byteCount = byteCount
    }
}

/// What a pack held, once every rule passed.
public struct PackContents: Sendable {
    /// Audio files, in archive order.
    public var audio: [ExtractedEntry]
    /// .txt and .md files, kept for bundles.
    public var texts: [ExtractedEntry]
    /// The parsed pack.json, if the pack had one.
    public var manifest: PackManifest?
    /// The folder that holds pack.json with a trailing "/", or "" at the top level (or
    /// without a manifest). Manifest file names are relative to it.
    public var manifestFolder: String

    /// The manifest's metadata for `entry`, matched as the reader matched it (relative to
    /// `manifestFolder`, normalized, case-insensitive).
    public func metadata(for entry: ExtractedEntry) -> PackManifest.FileMetadata? {
        guard let manifest else { return nil }
        let wanted = PackPath.key(entry.name)
        for (name, metadata) in manifest.files where resolvedKey(name) == wanted {
            return metadata
        }
        return nil
    }

    /// The audio entry the manifest's `full_mix` names, if any.
    public var fullMixEntry: ExtractedEntry? {
        guard let name = manifest?.fullMix else { return nil }
        let wanted = resolvedKey(name)
        return audio.first { PackPath.key($0.name) == wanted }
    }

    /// The identity of a manifest file name, resolved against pack.json's folder.
    func resolvedKey(_ manifestName: String) -> String {
        PackPath.key(PackPath.normalize(manifestFolder + manifestName))
    }
}

/// Reads composers' stem packs (zip, tar, tar.gz) through libarchive, entry by entry and
/// streaming, and refuses anything hostile with a 422 "hostile-pack" problem whose
/// `rule` names the check (see `PackRule`).
public enum PackReader {
    /// Audio file extensions accepted (lower-case, no dot).
    public static let audioExtensions: Set<String> = ["wav", "wave", "aif", "aiff", "flac", "mp3", "ogg", "oga", "opus"]
    /// Text file extensions kept for bundles (lower-case, no dot).
    public static let textExtensions: Set<String> = ["txt", "md"]
    /// The manifest's file name, matched exactly.
    public static let manifestFileName = "pack.json"
    /// Bytes moved per read from libarchive to disk.
    static let copyChunkByteCount = 256 * 1024
    /// Bytes libarchive reads from the upload per read call.
    static let readBlockByteCount = 64 * 1024

    /// Extracts the accepted entries of the archive at `path` into `directory` (which the
    /// caller owns, typically a fresh temp directory), each to its own file named by its
    /// ordinal, never by its name in the pack, written in chunks and fsynced.
    ///
    /// All or nothing: on any refusal every file this call wrote is removed before the
    /// problem is thrown.
    public static func extract(archiveAt path: String, into directory: String, limits: PackLimits) throws(Problem) -> PackContents {
        let extraction = PackExtraction(directory: directory, limits: limits)
        do throws(Problem) {
            return try ArchiveLocale.withUTF8 { () throws(Problem) -> PackContents in
                try extraction.run(archivePath: path)
            }
        } catch {
            extraction.removeWrittenFiles()
            throw error
        }
    }
}

/// Where the bytes of the current entry go.
private enum DataSink {
    case file(Int32)
    case manifest
    case discard
}

/// One extraction's state: what was counted, claimed and written so far.
private final class PackExtraction {
    private let directory: String
    private let limits: PackLimits
    private let buffer: UnsafeMutableRawBufferPointer
    private var entryCount = 0
    private var uncompressedByteCount: Int64 = 0
    /// Normalized names by key, to find duplicates.
    private var claimedNames: [String: String] = [:]
    private var writtenPaths: [String] = []
    private var lastEntryName: String?
    private var audio: [ExtractedEntry] = []
    private var texts: [ExtractedEntry] = []
    private var manifestName: String?
    private var manifestBytes: [UInt8] = []
    private var manifest: PackManifest?

    init(directory: String, limits: PackLimits) {
        self.directory = directory
        self.limits = limits
        buffer = .allocate(byteCount: PackReader.copyChunkByteCount, alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    func run(archivePath: String) throws(Problem) -> PackContents {
        let archive = try Self.openArchive(at: archivePath)
        defer { archive_read_free(archive) }
        while let entry = try nextEntry(in: archive) {
            try consider(entry, in: archive)
        }
        return try finish()
    }

    func removeWrittenFiles() {
        for path in writtenPaths { unlink(path) }
        writtenPaths.removeAll()
    }

    // MARK: Opening and walking

    /// Opens with zip, tar (ustar, pax, gnutar) and the gzip filter only: no raw format, and
    /// no filter that would run an external program.
    private static func openArchive(at path: String) throws(Problem) -> OpaquePointer {
        guard access(path, R_OK) == 0 else { throw .extractionStorageFailed("access", errno) }
        guard let archive = archive_read_new() else { throw .extractionStorageFailed("archive_read_new", ENOMEM) }
        archive_read_support_format_zip(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_filter_gzip(archive)
        // libarchive 3.6 chooses the format while opening, so an unknown file fails here.
        let status = archive_read_open_filename(archive, path, PackReader.readBlockByteCount)
        if status == ARCHIVE_OK || status == ARCHIVE_WARN { return archive }
        let reason = archiveErrorMessage(archive)
        archive_read_free(archive)
        throw .hostilePack(.notAnArchive, entry: nil,
                           "The upload is not a zip, tar or tar.gz archive (\(reason)). Upload the pack as .zip, .tar or .tar.gz.")
    }

    /// The next header, `nil` at the end; a failure mid-way means a damaged or cut archive.
    private func nextEntry(in archive: OpaquePointer) throws(Problem) -> OpaquePointer? {
        var header: OpaquePointer?
        let status = archive_read_next_header(archive, &header)
        if status == ARCHIVE_EOF { return nil }
        // ARCHIVE_WARN is routine (an unknown pax keyword, a name in another charset).
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let header else {
            let place = lastEntryName.map { "after \"\($0)\"" } ?? "at its first entry"
            throw .hostilePack(.corrupt, entry: lastEntryName,
                               "The pack is damaged or cut short \(place) (\(archiveErrorMessage(archive))). Upload it again.")
        }
        return header
    }

    /// Applies every rule to one entry, then extracts, reads or skips it.
    private func consider(_ entry: OpaquePointer, in archive: OpaquePointer) throws(Problem) {
        entryCount += 1
        let rawName = Self.pathname(of: entry)
        lastEntryName = rawName
        guard entryCount <= limits.entryCountMax else {
            throw .hostilePack(.tooManyEntries, entry: rawName,
                               "The pack holds more than \(limits.entryCountMax) entries, folders included (\"\(rawName)\" is one too many). Split it into smaller packs.")
        }
        try PackPath.check(rawName)
        try checkKind(of: entry, named: rawName)
        guard UInt32(archive_entry_filetype(entry)) == ArchiveFileType.regular else { return }  // a directory
        let name = PackPath.normalize(rawName)
        if PackPath.isJunk(name) {
            // Drained through the same meters, so junk cannot hide a bomb.
            _ = try pump(archive, entry: entry, entryName: name, into: .discard)
            return
        }
        try claim(name)
        try accept(entry, named: name, in: archive)
    }

    /// Pathname as UTF-8; falls back to the raw bytes (repaired as UTF-8) when libarchive
    /// cannot convert them, as with zip names in a legacy code page.
    private static func pathname(of entry: OpaquePointer) -> String {
        if let utf8 = archive_entry_pathname_utf8(entry) { return String(cString: utf8) }
        if let raw = archive_entry_pathname(entry) { return String(cString: raw) }
        return ""
    }

    /// Only regular files and directories, never links or devices, and nothing encrypted.
    private func checkKind(of entry: OpaquePointer, named name: String) throws(Problem) {
        let type = UInt32(archive_entry_filetype(entry))
        if type == ArchiveFileType.symbolicLink || archive_entry_symlink(entry) != nil {
            throw .hostilePack(.symlink, entry: name,
                               "The entry \"\(name)\" is a symbolic link; a pack holds only regular files. Replace the link with the file itself.")
        }
        // Checked before the type: a tar hard link has no file type of its own.
        if archive_entry_hardlink(entry) != nil {
            throw .hostilePack(.hardlink, entry: name,
                               "The entry \"\(name)\" is a hard link; a pack holds only regular files. Put the file itself in the pack.")
        }
        if type != ArchiveFileType.regular && type != ArchiveFileType.directory {
            throw .hostilePack(.specialFile, entry: name,
                               "The entry \"\(name)\" is a device, FIFO or socket; a pack holds only regular files. Remove it from the pack.")
        }
        if archive_entry_is_encrypted(entry) != 0 || archive_entry_is_data_encrypted(entry) != 0 {
            throw .hostilePack(.encrypted, entry: name,
                               "The entry \"\(name)\" is encrypted. Upload the pack without a password.")
        }
    }

    /// Two names that differ only by case, Unicode form, "./" or doubled slashes are one name.
    private func claim(_ name: String) throws(Problem) {
        let key = PackPath.key(name)
        if let earlier = claimedNames[key] {
            throw .hostilePack(.duplicateName, entry: name,
                               "The entries \"\(earlier)\" and \"\(name)\" have the same name once case, Unicode form and \"./\" are ignored. Rename one of them.")
        }
        claimedNames[key] = name
    }

    // MARK: Accepting files

    private func accept(_ entry: OpaquePointer, named name: String, in archive: OpaquePointer) throws(Problem) {
        if PackPath.isManifestCandidate(name) {
            return try readManifest(entry, named: name, in: archive)
        }
        let fileExtension = PackPath.fileExtension(of: name)
        let isAudio = PackReader.audioExtensions.contains(fileExtension)
        guard isAudio || PackReader.textExtensions.contains(fileExtension) else {
            throw .hostilePack(.unsupportedEntry, entry: name,
                               "The entry \"\(name)\" is neither audio (WAV, AIFF, FLAC, MP3, Ogg, Opus), text (.txt, .md) nor a pack.json at the top of the pack. Remove it from the pack.")
        }
        try checkDeclaredSize(of: entry, named: name)
        let extracted = try extractFile(entry, named: name, fileExtension: fileExtension, from: archive)
        if isAudio { audio.append(extracted) } else { texts.append(extracted) }
    }

    /// Refuses early when the header alone already breaks a size limit; streaming still
    /// counts, since headers can lie or declare nothing.
    private func checkDeclaredSize(of entry: OpaquePointer, named name: String) throws(Problem) {
        guard let declared = Self.declaredByteCount(of: entry) else { return }
        if declared > limits.entryUncompressedByteCountMax { throw entryTooLarge(name) }
        if declared > limits.totalUncompressedByteCountMax - uncompressedByteCount { throw tooLarge(name) }
    }

    /// The size the entry's header declares, or nil when it declares none (as a zip written
    /// as a stream does when read without its central directory).
    private static func declaredByteCount(of entry: OpaquePointer) -> Int64? {
        archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil
    }

    private func extractFile(_ entry: OpaquePointer, named name: String, fileExtension: String,
                             from archive: OpaquePointer) throws(Problem) -> ExtractedEntry {
        let path = directory + "/" + Self.fileName(ordinal: writtenPaths.count + 1, fileExtension: fileExtension)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .extractionStorageFailed("open", errno) }
        writtenPaths.append(path)
        defer { close(fd) }
        let byteCount = try pump(archive, entry: entry, entryName: name, into: .file(fd))
        guard fsync(fd) == 0 else { throw .extractionStorageFailed("fsync", errno) }
        return ExtractedEntry(name: name, path: path, byteCount: byteCount)
    }

    /// "entry-0001.wav": the extension comes from the allow-list, never the pack's own name.
    private static func fileName(ordinal: Int, fileExtension: String) -> String {
        let digits = String(ordinal)
        return "entry-" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits + "." + fileExtension
    }

    private func readManifest(_ entry: OpaquePointer, named name: String, in archive: OpaquePointer) throws(Problem) {
        if let earlier = manifestName {
            throw .hostilePack(.unsupportedEntry, entry: name,
                               "The pack holds two manifests, \"\(earlier)\" and \"\(name)\". Keep one pack.json.")
        }
        manifestName = name
        if archive_entry_size_is_set(entry) != 0 && archive_entry_size(entry) > Int64(limits.packJSONByteCountMax) {
            throw manifestTooLarge(name)
        }
        _ = try pump(archive, entry: entry, entryName: name, into: .manifest)
        do throws(Problem) {
            manifest = try PackManifest.parse(manifestBytes)
        } catch {
            var problem = error
            problem.extensions["entry"] = name
            throw problem
        }
    }

    // MARK: Streaming with meters

    /// Streams the current entry's data into `sink`, a chunk at a time, metering each chunk
    /// before it is delivered (see `meter`); returns the entry's byte count.
    ///
    /// Compressed bytes are read from `archive_filter_bytes(a, -1)`: the bytes of the upload
    /// itself that libarchive has consumed. It advances with consumption (not read-ahead) for
    /// zip (deflate, stored) and for tar.gz alike: for 200 MiB of zeros it moved ~1 KiB per
    /// 1 MiB produced in both, and ~1 MiB per 1 MiB for random data.
    private func pump(_ archive: OpaquePointer, entry: OpaquePointer, entryName name: String,
                      into sink: DataSink) throws(Problem) -> Int64 {
        let declared = Self.declaredByteCount(of: entry)
        let compressedStart = archive_filter_bytes(archive, -1)
        var produced: Int64 = 0
        while true {
            let count = archive_read_data(archive, buffer.baseAddress, buffer.count)
            if count == 0 { return produced }
            guard count > 0 else {
                throw .hostilePack(.corrupt, entry: name,
                                   "The pack is damaged or cut short in \"\(name)\" (\(archiveErrorMessage(archive))). Upload it again.")
            }
            produced += Int64(count)
            try meter(archive, entryName: name, produced: produced, declared: declared, chunkByteCount: Int64(count),
                      compressedStart: compressedStart)
            try deliver(UnsafeRawBufferPointer(start: buffer.baseAddress, count: count), to: sink, entryName: name)
        }
    }

    /// Refuses the entry at the first chunk that takes it past a bound, before that chunk is
    /// delivered, so nothing past a bound is ever written: more bytes than its header declared
    /// (a header that lies), than one entry may unpack to, or than the whole pack may.
    ///
    /// The compression ratio is a second line, not the first. Digital silence, which most of
    /// a real vocal or FX stem is, deflates about 1000:1, so a ratio alone cannot tell an
    /// honest stem from a bomb; and what a bomb threatens, disk and time, the sizes above
    /// bound exactly. So an entry is judged by ratio only once it has unpacked
    /// `ratioCheckByteCountMin` bytes (1 GiB by default, over an hour of 48 kHz 24-bit
    /// stereo): an entry still compressed that far by then is padding, not music, and the
    /// check keeps a server whose operator raised the per-entry limit from writing
    /// gibibytes of nothing.
    private func meter(_ archive: OpaquePointer, entryName name: String, produced: Int64, declared: Int64?,
                       chunkByteCount: Int64, compressedStart: Int64) throws(Problem) {
        uncompressedByteCount += chunkByteCount
        if let declared, produced > declared {
            throw .hostilePack(.sizeMismatch, entry: name,
                               "The entry \"\(name)\" unpacks to more than the \(declared) bytes its header declares, as a crafted zip does. Upload the pack as your archiver wrote it.")
        }
        guard produced <= limits.entryUncompressedByteCountMax else { throw entryTooLarge(name) }
        guard uncompressedByteCount <= limits.totalUncompressedByteCountMax else { throw tooLarge(name) }
        guard produced >= limits.ratioCheckByteCountMin else { return }
        let compressed = max(archive_filter_bytes(archive, -1) - compressedStart, 1)
        let (bound, overflow) = limits.compressionRatioMax.multipliedReportingOverflow(by: compressed)
        if !overflow && produced > bound {
            throw .hostilePack(.compressionRatio, entry: name,
                               "Past its first \(limits.ratioCheckByteCountMin) bytes, the entry \"\(name)\" still expands more than \(limits.compressionRatioMax) times its compressed size, as a zip bomb does. Upload the files without such compression.")
        }
    }

    private func deliver(_ bytes: UnsafeRawBufferPointer, to sink: DataSink, entryName name: String) throws(Problem) {
        switch sink {
        case .file(let fd):
            try Self.writeAll(fd, bytes)
        case .manifest:
            guard manifestBytes.count + bytes.count <= limits.packJSONByteCountMax else { throw manifestTooLarge(name) }
            manifestBytes.append(contentsOf: bytes)
        case .discard:
            break
        }
    }

    /// Writes all of `bytes`, retrying short writes and interruptions.
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Problem) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .extractionStorageFailed("write", errno)
            }
            offset += written
        }
    }

    // MARK: Whole-pack checks

    private func finish() throws(Problem) -> PackContents {
        let folder = manifestName.map(PackPath.folder(of:)) ?? ""
        try checkManifestPlacement(folder: folder)
        guard !audio.isEmpty else {
            throw .hostilePack(.noAudio, entry: nil,
                               "The pack holds no audio files. Add WAV, AIFF, FLAC, MP3, Ogg or Opus stems and upload it again.")
        }
        let contents = PackContents(audio: audio, texts: texts, manifest: manifest, manifestFolder: folder)
        try checkManifestNames(of: contents)
        try syncDirectory()
        return contents
    }

    /// pack.json one folder down counts only when that folder is the pack's single top folder.
    private func checkManifestPlacement(folder: String) throws(Problem) {
        guard let manifestName, !folder.isEmpty else { return }
        let folderKey = PackPath.key(folder)
        if let outside = (audio + texts).first(where: { !PackPath.key($0.name).hasPrefix(folderKey) }) {
            throw .hostilePack(.unsupportedEntry, entry: manifestName,
                               "\"\(manifestName)\" sits in the folder \"\(folder)\", but \"\(outside.name)\" lies outside it. Put pack.json at the top of the pack, or every file inside that one folder.")
        }
    }

    /// Every file the manifest names must be an audio file of the pack, once each.
    private func checkManifestNames(of contents: PackContents) throws(Problem) {
        guard let manifest = contents.manifest, let manifestName else { return }
        let available = Set(contents.audio.map { PackPath.key($0.name) })
        var seen: [String: String] = [:]
        for name in manifest.files.keys.sorted() {
            let key = contents.resolvedKey(name)
            try requireAudio(name, key: key, in: available, manifestName: manifestName)
            if let other = seen[key] {
                throw .hostilePack(.malformedManifest, entry: manifestName,
                                   "pack.json describes one file twice, as \"\(other)\" and \"\(name)\". Keep one of them.")
            }
            seen[key] = name
        }
        if let fullMix = manifest.fullMix {
            try requireAudio(fullMix, key: contents.resolvedKey(fullMix), in: available, manifestName: manifestName)
        }
    }

    private func requireAudio(_ name: String, key: String, in available: Set<String>, manifestName: String) throws(Problem) {
        guard !available.contains(key) else { return }
        throw .hostilePack(.manifestUnknownFile, entry: manifestName,
                           "pack.json names \"\(name)\", which is not an audio file in the pack (names are relative to the folder of pack.json). Fix the name or add the file.")
    }

    private func syncDirectory() throws(Problem) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .extractionStorageFailed("open", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .extractionStorageFailed("fsync", errno) }
    }

    // MARK: Problems used more than once

    private func tooLarge(_ name: String) -> Problem {
        .hostilePack(.tooLarge, entry: name,
                     "Unpacked, the pack exceeds \(limits.totalUncompressedByteCountMax) bytes (reached at \"\(name)\"). Split it into smaller packs.")
    }

    private func entryTooLarge(_ name: String) -> Problem {
        .hostilePack(.entryTooLarge, entry: name,
                     "Unpacked, the entry \"\(name)\" exceeds \(limits.entryUncompressedByteCountMax) bytes, the most one file of a pack may hold. Export it in shorter parts.")
    }

    private func manifestTooLarge(_ name: String) -> Problem {
        .hostilePack(.malformedManifest, entry: name,
                     "pack.json is larger than \(limits.packJSONByteCountMax) bytes. Keep it to metadata.")
    }
}
