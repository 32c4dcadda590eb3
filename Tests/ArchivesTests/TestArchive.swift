import Archives
import CArchive
import Foundation
import SyncletCore
import Testing

/// Archive formats the tests write through libarchive.
enum TestFormat: String, CaseIterable, Sendable, CustomStringConvertible {
    case zip, tar, tarGzip, encryptedZip

    var fileExtension: String {
        switch self {
        case .zip, .encryptedZip: "zip"
        case .tar: "tar"
        case .tarGzip: "tar.gz"
        }
    }

    var description: String { rawValue }
}

/// What one test entry holds.
enum TestContent: Sendable {
    case bytes([UInt8])
    case text(String)
    case directory
    case symlink(to: String)
    case hardlink(to: String)
    case characterDevice
    case fifo
    /// Zeros written a mebibyte at a time, so a bomb never sits in memory.
    case zeros(mebibyteCount: Int)
}

/// One entry of a test archive: its name exactly as written, and its content.
struct TestEntry: Sendable {
    var name: String
    var content: TestContent

    init(_ name: String, _ content: TestContent) {
        self.name = name
        self.content = content
    }
}

/// One entry read back from an archive.
struct ReadEntry: Equatable {
    var name: String
    var bytes: [UInt8]
}

struct TestArchiveError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Builds and reads archives through libarchive itself, so tests commit no binaries.
enum TestArchive {
    static let passphrase = "open sesame"
    static let zeroBlockByteCount = 1 << 20

    /// Writes `entries` as `format` to `path`.
    static func write(_ entries: [TestEntry], as format: TestFormat, to path: String) throws {
        try ArchiveLocale.withUTF8 { () throws in
            guard let archive = archive_write_new() else { throw TestArchiveError("archive_write_new failed") }
            defer { archive_write_free(archive) }
            try configure(archive, format)
            try check(archive, archive_write_open_filename(archive, path), "open \(path)")
            for entry in entries {
                try add(entry, to: archive)
            }
            try check(archive, archive_write_close(archive), "close")
        }
    }

    /// Every entry of the zip at `path`, with its bytes.
    static func readAll(_ path: String) throws -> [ReadEntry] {
        try ArchiveLocale.withUTF8 { () throws -> [ReadEntry] in
            guard let archive = archive_read_new() else { throw TestArchiveError("archive_read_new failed") }
            defer { archive_read_free(archive) }
            archive_read_support_format_zip(archive)
            try check(archive, archive_read_open_filename(archive, path, 64 * 1024), "open \(path)")
            var entries = [ReadEntry]()
            var header: OpaquePointer?
            while true {
                let status = archive_read_next_header(archive, &header)
                if status == ARCHIVE_EOF { break }
                try check(archive, status, "read a header")
                guard let entry = header else { throw TestArchiveError("no header") }
                let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) } ?? "?"
                let bytes = try readData(archive)
                entries.append(ReadEntry(name: name, bytes: bytes))
            }
            return entries
        }
    }

    private static func readData(_ archive: OpaquePointer) throws -> [UInt8] {
        var bytes = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            guard count > 0 else { throw TestArchiveError("read data: \(message(archive))") }
            bytes.append(contentsOf: buffer[0..<count])
        }
    }

    private static func configure(_ archive: OpaquePointer, _ format: TestFormat) throws {
        switch format {
        case .zip:
            try check(archive, archive_write_set_format_zip(archive), "zip")
            try check(archive, archive_write_set_options(archive, "zip:hdrcharset=UTF-8"), "zip:hdrcharset")
        case .tar:
            try check(archive, archive_write_set_format_pax_restricted(archive), "pax")
        case .tarGzip:
            try check(archive, archive_write_set_format_pax_restricted(archive), "pax")
            try check(archive, archive_write_add_filter_gzip(archive), "gzip")
        case .encryptedZip:
            try check(archive, archive_write_set_format_zip(archive), "zip")
            try check(archive, archive_write_set_options(archive, "zip:encryption=zipcrypt"), "zip:encryption")
            try check(archive, archive_write_set_passphrase(archive, passphrase), "passphrase")
        }
    }

    private static func add(_ testEntry: TestEntry, to archive: OpaquePointer) throws {
        guard let entry = archive_entry_new() else { throw TestArchiveError("archive_entry_new failed") }
        defer { archive_entry_free(entry) }
        archive_entry_set_pathname_utf8(entry, testEntry.name)
        archive_entry_set_perm(entry, 0o644)
        archive_entry_set_mtime(entry, 1_700_000_000, 0)
        archive_entry_set_size(entry, 0)
        switch testEntry.content {
        case .bytes(let bytes):
            try addFile(entry, bytes, to: archive, name: testEntry.name)
        case .text(let text):
            try addFile(entry, Array(text.utf8), to: archive, name: testEntry.name)
        case .directory:
            archive_entry_set_filetype(entry, ArchiveFileType.directory)
            archive_entry_set_perm(entry, 0o755)
            try check(archive, archive_write_header(archive, entry), "header \(testEntry.name)")
        case .symlink(let target):
            archive_entry_set_filetype(entry, ArchiveFileType.symbolicLink)
            archive_entry_set_symlink(entry, target)
            try check(archive, archive_write_header(archive, entry), "header \(testEntry.name)")
        case .hardlink(let target):
            archive_entry_set_filetype(entry, ArchiveFileType.regular)
            archive_entry_set_hardlink(entry, target)
            try check(archive, archive_write_header(archive, entry), "header \(testEntry.name)")
        case .characterDevice:
            archive_entry_set_filetype(entry, ArchiveFileType.characterDevice)
            try check(archive, archive_write_header(archive, entry), "header \(testEntry.name)")
        case .fifo:
            archive_entry_set_filetype(entry, ArchiveFileType.fifo)
            try check(archive, archive_write_header(archive, entry), "header \(testEntry.name)")
        case .zeros(let mebibyteCount):
            try addZeros(entry, mebibyteCount: mebibyteCount, to: archive, name: testEntry.name)
        }
    }

    private static func addFile(_ entry: OpaquePointer, _ bytes: [UInt8], to archive: OpaquePointer, name: String) throws {
        archive_entry_set_filetype(entry, ArchiveFileType.regular)
        archive_entry_set_size(entry, Int64(bytes.count))
        try check(archive, archive_write_header(archive, entry), "header \(name)")
        guard !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw TestArchiveError("data \(name): \(message(archive))") }
    }

    private static func addZeros(_ entry: OpaquePointer, mebibyteCount: Int, to archive: OpaquePointer, name: String) throws {
        archive_entry_set_filetype(entry, ArchiveFileType.regular)
        archive_entry_set_size(entry, Int64(mebibyteCount) * Int64(zeroBlockByteCount))
        try check(archive, archive_write_header(archive, entry), "header \(name)")
        let zeros = [UInt8](repeating: 0, count: zeroBlockByteCount)
        for _ in 0..<mebibyteCount {
            let written = zeros.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            guard written == zeros.count else { throw TestArchiveError("zeros \(name): \(message(archive))") }
        }
    }

    private static func check(_ archive: OpaquePointer, _ status: Int32, _ step: String) throws {
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            throw TestArchiveError("\(step): \(message(archive))")
        }
    }

    private static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "no message"
    }
}

/// A per-test folder under the temporary directory, with an empty output folder in it.
struct Scratch: Sendable {
    let folder: String
    let output: String

    func file(_ name: String) -> String { folder + "/" + name }

    /// The names in the output folder (a refused pack must leave none).
    var outputNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? ["<unreadable>"]).sorted()
    }

    fileprivate static func make() throws -> Scratch {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("synclet-archives-\(UUID().uuidString)").path
        let scratch = Scratch(folder: folder, output: folder + "/out")
        try FileManager.default.createDirectory(atPath: scratch.output, withIntermediateDirectories: true)
        return scratch
    }

    fileprivate func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Runs `body` with a fresh scratch folder and removes it afterwards.
func withScratch<T>(_ body: (Scratch) throws -> T) throws -> T {
    let scratch = try Scratch.make()
    defer { scratch.remove() }
    return try body(scratch)
}

/// Runs async `body` with a fresh scratch folder and removes it afterwards.
func withAsyncScratch<T>(_ body: (Scratch) async throws -> T) async throws -> T {
    let scratch = try Scratch.make()
    defer { scratch.remove() }
    return try await body(scratch)
}

/// Bytes that differ from entry to entry (by `seed`) and from offset to offset.
func pattern(_ byteCount: Int, seed: UInt8) -> [UInt8] {
    (0..<byteCount).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8 &+ Int(seed)) }
}

/// The bytes of the file at `path`, or nil.
func contentsOfFile(_ path: String) -> [UInt8]? {
    FileManager.default.contents(atPath: path).map { [UInt8]($0) }
}
