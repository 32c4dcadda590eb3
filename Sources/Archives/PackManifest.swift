import Foundation
import SyncletCore

/// What a stem plays in the mix, as composers write it in pack.json.
public enum StemRole: String, Sendable, CaseIterable, Codable {
    case drums, bass, vocals, keys, guitar, synth, fx, percussion, strings, brass
    case fullMix = "full-mix"
    case other
}

/// A pack's optional `pack.json`: metadata for the pack and for its files, keyed by file
/// name relative to the folder that holds pack.json.
///
/// Decoding is strict (unknown fields at any level, wrong types and unknown roles are
/// refused) so that a typo such as `"tempo"` is reported instead of silently ignored.
/// Key strings are kept as written; the server validates them as musical keys later.
public struct PackManifest: Sendable, Equatable {
    /// Metadata for one file of the pack.
    public struct FileMetadata: Sendable, Equatable {
        /// The stem's display title.
        public var title: String?
        /// What the stem plays.
        public var role: StemRole?
        /// Tempo in beats per minute, when it differs from the pack's.
        public var bpm: Double?
        /// The musical key as written, e.g. "Am" (validated later by the server).
        public var key: String?
        public var tags: [String]?

        public init(title: String? = nil, role: StemRole? = nil, bpm: Double? = nil, key: String? = nil,
                    tags: [String]? = nil) {
            self.title = title
            self.role = role
            self.bpm = bpm
            self.key = key
            self.tags = tags
        }
    }

    /// The pack's display title.
    public var title: String?
    /// The pack's tempo in beats per minute.
    public var bpm: Double?
    /// The pack's musical key as written, e.g. "A minor" (validated later by the server).
    public var key: String?
    public var tags: [String]?
    /// The file that holds the full mix (`full_mix` in JSON).
    public var fullMix: String?
    /// Per-file metadata, keyed by file name relative to pack.json's folder.
    public var files: [String: FileMetadata]

    public init(title: String? = nil, bpm: Double? = nil, key: String? = nil, tags: [String]? = nil,
                fullMix: String? = nil, files: [String: FileMetadata] = [:]) {
        self.title = title
        self.bpm = bpm
        self.key = key
        self.tags = tags
        self.fullMix = fullMix
        self.files = files
    }

    /// Parses pack.json strictly; refuses with rule "malformed-manifest" and a detail that
    /// names the offending field.
    public static func parse(_ bytes: [UInt8]) throws(Problem) -> PackManifest {
        let reason: String
        do {
            return try JSONDecoder().decode(StrictManifest.self, from: Data(bytes)).manifest
        } catch let error as DecodingError {
            reason = ManifestField.describe(error)
        } catch {
            reason = "it could not be read (\(error))"
        }
        throw .hostilePack(.malformedManifest, entry: PackReader.manifestFileName,
                           "pack.json is not a valid manifest: \(reason). Fix it and upload the pack again.")
    }
}

/// Decodes the top level of pack.json, refusing fields it does not know.
private struct StrictManifest: Decodable {
    static let fieldNames: Set<String> = ["title", "bpm", "key", "tags", "full_mix", "files"]
    let manifest: PackManifest

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ManifestField.self)
        try container.refuseUnknownFields(allowed: Self.fieldNames)
        let files = try container.optional([String: StrictFileMetadata].self, "files") ?? [:]
        manifest = PackManifest(
            title: try container.optional(String.self, "title"),
            bpm: try container.bpm("bpm"),
            key: try container.optional(String.self, "key"),
            tags: try container.optional([String].self, "tags"),
            fullMix: try container.optional(String.self, "full_mix"),
            files: files.mapValues(\.metadata))
    }
}

/// Decodes one entry of `files`, refusing fields it does not know and unknown roles.
private struct StrictFileMetadata: Decodable {
    static let fieldNames: Set<String> = ["title", "role", "bpm", "key", "tags"]
    let metadata: PackManifest.FileMetadata

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: ManifestField.self)
        try container.refuseUnknownFields(allowed: Self.fieldNames)
        metadata = PackManifest.FileMetadata(
            title: try container.optional(String.self, "title"),
            role: try container.role("role"),
            bpm: try container.bpm("bpm"),
            key: try container.optional(String.self, "key"),
            tags: try container.optional([String].self, "tags"))
    }
}

/// Any JSON field name, so that `allKeys` reports the fields a manifest really has.
private struct ManifestField: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }

    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { return nil }

    /// A human reading of a decoding error: which field, and what was wrong with it.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context.codingPath)) should be \(typeDescription(type))"
        case .valueNotFound(let type, let context):
            return "\(path(context.codingPath)) should be \(typeDescription(type)), not null"
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is missing"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "it is not valid JSON" }
            return "\(path(context.codingPath)) \(context.debugDescription)"
        @unknown default:
            return "it could not be read"
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        guard !codingPath.isEmpty else { return "the top level" }
        let parts = codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
        return "\"" + parts.joined(separator: ".") + "\""
    }

    static func typeDescription(_ type: Any.Type) -> String {
        if type == String.self { return "a string" }
        if type == Double.self { return "a number" }
        let name = String(describing: type)
        if name.hasPrefix("Dictionary") || name.contains(":") { return "an object" }
        if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
        return name
    }
}

extension KeyedDecodingContainer where K == ManifestField {
    fileprivate func refuseUnknownFields(allowed: Set<String>) throws {
        for field in allKeys where !allowed.contains(field.stringValue) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: codingPath + [field],
                debugDescription: "is not a known field (known: \(allowed.sorted().joined(separator: ", ")))"))
        }
    }

    fileprivate func optional<T: Decodable>(_ type: T.Type, _ name: String) throws -> T? {
        try decodeIfPresent(type, forKey: ManifestField(name))
    }

    fileprivate func bpm(_ name: String) throws -> Double? {
        guard let value = try optional(Double.self, name) else { return nil }
        guard value.isFinite, value > 0 else {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: codingPath + [ManifestField(name)],
                debugDescription: "must be a positive number of beats per minute"))
        }
        return value
    }

    fileprivate func role(_ name: String) throws -> StemRole? {
        guard let text = try optional(String.self, name) else { return nil }
        guard let role = StemRole(rawValue: text) else {
            let known = StemRole.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: codingPath + [ManifestField(name)],
                debugDescription: "is \"\(text)\", which is not a role (use one of \(known))"))
        }
        return role
    }
}
