import Foundation
import SyncletCore

/// Pure rules for the names inside a pack: which are hostile, how they are normalized, and
/// which are macOS junk. Names never reach the file system; they only identify entries.
enum PackPath {
    /// Refuses absolute paths (Unix, a leading backslash, or a Windows drive letter) and
    /// any `..` component, with either separator, as written in the archive.
    static func check(_ rawName: String) throws(Problem) {
        if isAbsolute(rawName) {
            throw .hostilePack(.absolutePath, entry: rawName,
                               "The entry \"\(rawName)\" has an absolute path. Rebuild the pack with paths relative to its top.")
        }
        if components(of: rawName).contains("..") {
            throw .hostilePack(.pathTraversal, entry: rawName,
                               "The entry \"\(rawName)\" climbs out of the pack with \"..\". Rebuild the pack with every file inside it.")
        }
    }

    static func isAbsolute(_ name: String) -> Bool {
        let bytes = Array(name.utf8.prefix(2))
        guard let first = bytes.first else { return false }
        if first == UInt8(ascii: "/") || first == UInt8(ascii: "\\") { return true }
        let isLetter = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        return isLetter && bytes.count == 2 && bytes[1] == UInt8(ascii: ":")
    }

    /// Path components split on "/" and "\" (Windows tools write either), empty ones dropped.
    static func components(of name: String) -> [String] {
        name.unicodeScalars
            .split(whereSeparator: { $0 == "/" || $0 == "\\" })
            .map { scalars -> String in
                var part = ""
                part.unicodeScalars.append(contentsOf: scalars)
                return part
            }
    }

    /// The name as the pack means it: no "." components (so no leading "./"), no repeated or
    /// trailing separators, "\" read as "/", Unicode NFC. Case is kept for display.
    static func normalize(_ name: String) -> String {
        components(of: name)
            .filter { $0 != "." }
            .joined(separator: "/")
            .precomposedStringWithCanonicalMapping
    }

    /// The identity of a normalized name: two entries with the same key are duplicates
    /// (macOS and Windows file systems would merge them on extraction).
    static func key(_ normalizedName: String) -> String {
        normalizedName.lowercased()
    }

    /// Finder's metadata: `__MACOSX/…`, `.DS_Store` and AppleDouble `._*` files.
    static func isJunk(_ normalizedName: String) -> Bool {
        let parts = normalizedName.split(separator: "/")
        guard let first = parts.first, let last = parts.last else { return false }
        return first == "__MACOSX" || last == ".DS_Store" || last.hasPrefix("._")
    }

    /// The lower-cased extension of the last component, or "" when it has none.
    static func fileExtension(of normalizedName: String) -> String {
        guard let last = normalizedName.split(separator: "/").last,
              let dot = last.lastIndex(of: ".") else { return "" }
        return last[last.index(after: dot)...].lowercased()
    }

    /// pack.json counts only at the top level or one folder down (a pack's single top folder).
    static func isManifestCandidate(_ normalizedName: String) -> Bool {
        let parts = normalizedName.split(separator: "/")
        return parts.count <= 2 && parts.last == Substring(PackReader.manifestFileName)
    }

    /// The folder holding `normalizedName`, with a trailing "/", or "" at the top level.
    static func folder(of normalizedName: String) -> String {
        guard let slash = normalizedName.lastIndex(of: "/") else { return "" }
        return String(normalizedName[...slash])
    }
}
