import CArchive
import Foundation

/// Writes archives for the tests through libarchive (never by hand).
enum TestArchive {
    enum Format { case zip, tar, tarGzip }

    struct Entry {
        var name: String
        var bytes: [UInt8]
        init(_ name: String, _ bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }
        init(_ name: String, file path: String) {
            self.name = name
            self.bytes = Array(FileManager.default.contents(atPath: path)!)
        }
    }

    static func write(_ entries: [Entry], format: Format, to path: String) {
        let archive = archive_write_new()!
        defer { archive_write_free(archive) }
        switch format {
        case .zip: archive_write_set_format_zip(archive)
        case .tar: archive_write_set_format_pax_restricted(archive)
        case .tarGzip:
            archive_write_set_format_pax_restricted(archive)
            archive_write_add_filter_gzip(archive)
        }
        precondition(archive_write_open_filename(archive, path) == ARCHIVE_OK)
        for item in entries {
            let entry = archive_entry_new()!
            archive_entry_set_pathname(entry, item.name)
            archive_entry_set_size(entry, la_int64_t(item.bytes.count))
            archive_entry_set_filetype(entry, 0o100000)
            archive_entry_set_perm(entry, 0o644)
            precondition(archive_write_header(archive, entry) == ARCHIVE_OK)
            _ = item.bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            archive_entry_free(entry)
        }
        archive_write_close(archive)
    }

    /// Names and contents of every regular file in an archive.
    static func read(_ path: String) -> [String: [UInt8]] {
        let archive = archive_read_new()!
        defer { archive_read_free(archive) }
        archive_read_support_format_all(archive)
        archive_read_support_filter_all(archive)
        precondition(archive_read_open_filename(archive, path, 1 << 16) == ARCHIVE_OK)
        var result = [String: [UInt8]]()
        var entry: OpaquePointer?
        while archive_read_next_header(archive, &entry) == ARCHIVE_OK {
            let name = String(cString: archive_entry_pathname(entry))
            var bytes = [UInt8]()
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = archive_read_data(archive, &buffer, buffer.count)
                if count <= 0 { break }
                bytes += buffer[0..<count]
            }
            result[name] = bytes
        }
        return result
    }
}
