import CArchive
import SyncletCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// libarchive's file-type constants. The C macros are casts (`((__LA_MODE_T)0100000)`),
/// which do not import into Swift, so they are spelled out here.
package enum ArchiveFileType {
    package static let mask: UInt32 = 0o170000
    package static let regular: UInt32 = 0o100000
    package static let directory: UInt32 = 0o040000
    package static let symbolicLink: UInt32 = 0o120000
    package static let characterDevice: UInt32 = 0o020000
    package static let blockDevice: UInt32 = 0o060000
    package static let fifo: UInt32 = 0o010000
    package static let socket: UInt32 = 0o140000
}

#if canImport(Glibc)
/// glibc defines `LC_CTYPE_MASK` as `1 << __LC_CTYPE`; spelled out so no macro import is needed.
private let ctypeCategoryMask: Int32 = 1 << LC_CTYPE
#else
private let ctypeCategoryMask = Int32(LC_CTYPE_MASK)
#endif

/// Runs libarchive calls with a UTF-8 character type on the calling thread only.
///
/// A server process runs in the "C" locale, where libarchive converts no non-ASCII name:
/// zip entries flagged UTF-8 come back with no pathname at all, and the pax writer crashes
/// on a UTF-8 pathname (both seen with libarchive 3.6.2). `uselocale` switches this thread
/// alone for the duration of `body`, so nothing else in the process sees the change.
package enum ArchiveLocale {
    /// Locale names tried in order; glibc 2.35 and later always provide C.UTF-8.
    static let utf8LocaleNames = ["C.UTF-8", "en_US.UTF-8", "UTF-8"]

    /// Calls `body` with a UTF-8 `LC_CTYPE` on this thread, then restores the previous locale.
    package static func withUTF8<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        guard let utf8 = makeUTF8Locale() else { return try body() }
        let previous = uselocale(utf8)
        defer {
            uselocale(previous)
            freelocale(utf8)
        }
        return try body()
    }

    private static func makeUTF8Locale() -> locale_t? {
        for name in utf8LocaleNames {
            if let locale = newlocale(ctypeCategoryMask, name, nil) { return locale }
        }
        return nil
    }
}

/// The stable rule names a refused pack reports in `extensions["rule"]`.
public enum PackRule: String, Sendable, CaseIterable {
    case pathTraversal = "path-traversal"
    case absolutePath = "absolute-path"
    case symlink
    case hardlink
    case specialFile = "special-file"
    case duplicateName = "duplicate-name"
    case tooManyEntries = "too-many-entries"
    /// The pack as a whole unpacks past `PackLimits.totalUncompressedByteCountMax`.
    case tooLarge = "too-large"
    /// One entry unpacks past `PackLimits.entryUncompressedByteCountMax`.
    case entryTooLarge = "entry-too-large"
    /// An entry unpacks to more bytes than its header declares: a header that lies.
    case sizeMismatch = "size-mismatch"
    /// An entry still compressed past `PackLimits.compressionRatioMax` once past the ratio floor.
    case compressionRatio = "compression-ratio"
    case encrypted
    case unsupportedEntry = "unsupported-entry"
    case malformedManifest = "malformed-manifest"
    case manifestUnknownFile = "manifest-unknown-file"
    case notAnArchive = "not-an-archive"
    case corrupt
    case noAudio = "no-audio"
}

extension Problem {
    /// A pack refused by one of `PackReader`'s rules. `entry` names the offending entry when
    /// there is one (not for "not-an-archive" or "no-audio").
    static func hostilePack(_ rule: PackRule, entry: String?, _ detail: String) -> Problem {
        var extensions = ["rule": rule.rawValue]
        if let entry { extensions["entry"] = entry }
        return Problem(status: 422, type: "hostile-pack", title: "The pack was refused",
                       detail: detail, extensions: extensions)
    }

    /// The server's own storage failed while extracting; no path is shown, since the detail
    /// reaches the client.
    static func extractionStorageFailed(_ call: String, _ code: Int32) -> Problem {
        Problem(status: 500, type: "internal", title: "Internal error",
                detail: "The server could not store the pack's files (\(call): \(String(cString: strerror(code)))); nothing was kept. Retry later.")
    }
}

/// libarchive's last error message, or a stand-in when it set none.
func archiveErrorMessage(_ archive: OpaquePointer) -> String {
    guard let message = archive_error_string(archive) else { return "libarchive gave no reason" }
    return String(cString: message)
}
