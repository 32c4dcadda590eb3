import Foundation
import SyncletCore
import SyncletCrypto

/// Prices of a template, in micro-units.
public struct Pricing: Codable, Sendable, Equatable {
    /// Charged when the license is issued.
    public var flatMicros: Int64
    /// Charged as views are reported, per 1,000 views.
    public var per1000ViewsMicros: Int64
    public var perPlayMicros: Int64
    /// Charged per production (video, episode, stream) reported.
    public var perUseMicros: Int64

    enum CodingKeys: String, CodingKey {
        case flatMicros = "flat_micros"
        case per1000ViewsMicros = "per_1000_views_micros"
        case perPlayMicros = "per_play_micros"
        case perUseMicros = "per_use_micros"
    }
}

/// What happens to usage beyond the envelope.
public struct BeyondEnvelope: Codable, Sendable, Equatable {
    /// Always "flag": recorded and flagged, never silently dropped.
    public var action: String
    /// A template that covers more, offered as an upgrade.
    public var suggest: String?
}

/// A license template: the terms a creator reads, and the envelope and prices it sells.
public struct LicenseTemplate: Codable, Sendable, Equatable {
    public var id: String
    public var version: Int
    public var name: String
    public var summary: String
    public var envelope: Envelope
    public var pricing: Pricing
    public var beyondEnvelope: BeyondEnvelope
    /// The terms text (Markdown), from `ID.md`.
    public var terms: String = ""
    /// SHA-256 of the terms text, hex: what a license pins.
    public var termsSHA256: String = ""

    enum CodingKeys: String, CodingKey {
        case id, version, name, summary, envelope, pricing
        case beyondEnvelope = "beyond_envelope"
    }

    /// `id@version`, as license keys name it.
    public var reference: String { "\(id)@\(version)" }
}

/// The templates in `Licenses/`, read and checked once at start.
public struct TemplateCatalog: Sendable {
    public let templates: [LicenseTemplate]

    public init(templates: [LicenseTemplate]) { self.templates = templates.sorted { $0.id < $1.id } }

    public func template(_ id: String) -> LicenseTemplate? { templates.first { $0.id == id } }

    /// Why a template cannot be used: the file and the field, so the operator can fix it.
    public struct InvalidTemplate: Error, CustomStringConvertible {
        public let file: String
        public let field: String
        public let reason: String
        public var description: String { "License template \(file): \(field): \(reason)" }
    }

    /// The templates compiled into the binary: the repository's `Licenses/` folder as it
    /// was at build time (`synclet serve` without `--licenses`).
    public static func builtIn() throws(InvalidTemplate) -> TemplateCatalog {
        try load(files: BuiltInTemplates.files, source: "(built in)")
    }

    /// The file names compiled in (`ID.json`, `ID.md`), sorted.
    public static var builtInFileNames: [String] { BuiltInTemplates.names }

    /// Reads every `ID.json` + `ID.md` pair in `directory` and validates it.
    public static func load(directory: String) throws(InvalidTemplate) -> TemplateCatalog {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw InvalidTemplate(file: directory, field: "-", reason: "cannot read the folder (\(error.localizedDescription)); pass --licenses with the folder of templates, or leave it out for the built-in ones")
        }
        var files = [String: [UInt8]]()
        for name in names where name.hasSuffix(".json") || name.hasSuffix(".md") {
            if let data = FileManager.default.contents(atPath: "\(directory)/\(name)") { files[name] = Array(data) }
        }
        return try load(files: files, source: directory)
    }

    /// Validates every `ID.json` among `files` (name → bytes) with its `ID.md`; `source`
    /// names where they came from in messages.
    public static func load(files: [String: [UInt8]], source: String) throws(InvalidTemplate) -> TemplateCatalog {
        let names = files.keys.filter { $0.hasSuffix(".json") }.sorted()
        guard !names.isEmpty else {
            throw InvalidTemplate(file: source, field: "-", reason: "no templates (ID.json + ID.md) found")
        }
        var templates = [LicenseTemplate]()
        for name in names {
            templates.append(try loadOne(files: files, jsonName: name))
        }
        let catalog = TemplateCatalog(templates: templates)
        for template in catalog.templates {
            if let suggest = template.beyondEnvelope.suggest, catalog.template(suggest) == nil {
                throw InvalidTemplate(file: "\(template.id).json", field: "beyond_envelope.suggest",
                                      reason: "names \(suggest), which is not a template here")
            }
        }
        return catalog
    }

    static func loadOne(files: [String: [UInt8]], jsonName: String) throws(InvalidTemplate) -> LicenseTemplate {
        let id = String(jsonName.dropLast(".json".count))
        guard let bytes = files[jsonName] else {
            throw InvalidTemplate(file: jsonName, field: "-", reason: "cannot be read")
        }
        let data = Data(bytes)
        var template: LicenseTemplate
        do {
            template = try JSONDecoder().decode(LicenseTemplate.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw InvalidTemplate(file: jsonName, field: (context.codingPath + [key]).map(\.stringValue).joined(separator: "."), reason: "is missing")
        } catch let DecodingError.typeMismatch(_, context) {
            throw InvalidTemplate(file: jsonName, field: context.codingPath.map(\.stringValue).joined(separator: "."), reason: "has the wrong type")
        } catch let DecodingError.valueNotFound(_, context) {
            throw InvalidTemplate(file: jsonName, field: context.codingPath.map(\.stringValue).joined(separator: "."), reason: "must not be null")
        } catch let DecodingError.dataCorrupted(context) {
            throw InvalidTemplate(file: jsonName, field: context.codingPath.map(\.stringValue).joined(separator: "."), reason: context.debugDescription)
        } catch {
            throw InvalidTemplate(file: jsonName, field: "-", reason: "is not valid JSON")
        }
        try validate(template, file: jsonName, expectedID: id)
        guard let terms = files["\(id).md"].flatMap({ String(validating: $0, as: UTF8.self) }),
              !terms.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw InvalidTemplate(file: "\(id).md", field: "-", reason: "the terms file is missing or empty; every template needs its terms in plain language")
        }
        template.terms = terms
        template.termsSHA256 = SHA256Hasher.digest(Array(terms.utf8)).hex
        return template
    }

    static func validate(_ t: LicenseTemplate, file: String, expectedID: String) throws(InvalidTemplate) {
        func fail(_ field: String, _ reason: String) -> InvalidTemplate { InvalidTemplate(file: file, field: field, reason: reason) }
        guard t.id == expectedID else { throw fail("id", "is \(t.id) but the file is \(expectedID).json") }
        guard t.id.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), !t.id.isEmpty, t.id.count <= 40 else {
            throw fail("id", "use lower-case letters, digits and dashes")
        }
        guard t.version >= 1 else { throw fail("version", "must be 1 or more") }
        guard !t.name.isEmpty, t.name.count <= 80 else { throw fail("name", "must be 1 to 80 characters") }
        let e = t.envelope
        guard !e.media.isEmpty else { throw fail("envelope.media", "must name at least one kind of media") }
        if let platforms = e.platforms, platforms.isEmpty || platforms.contains(where: { $0 != $0.lowercased() }) {
            throw fail("envelope.platforms", "must be null (any) or lower-case platform names")
        }
        for (field, value) in [("envelope.max_clip_seconds", e.maxClipSeconds.map(Int64.init)), ("envelope.max_views", e.maxViews),
                               ("envelope.max_uses", e.maxUses.map(Int64.init)), ("envelope.term_days", e.termDays.map(Int64.init))] {
            if let value, value <= 0 { throw fail(field, "must be positive or null") }
        }
        // Bounds that keep every sum and date the server computes from a template in range.
        if let days = e.termDays, days > 36_600 { throw fail("envelope.term_days", "must be at most 36600 (100 years)") }
        if let views = e.maxViews, views > 1_000_000_000_000_000 { throw fail("envelope.max_views", "must be at most 10^15") }
        if let territories = e.territories, territories.isEmpty || territories.contains(where: { $0.count != 2 || $0 != $0.uppercased() }) {
            throw fail("envelope.territories", "must be null (worldwide) or ISO 3166 alpha-2 codes")
        }
        let p = t.pricing
        for (field, value) in [("pricing.flat_micros", p.flatMicros), ("pricing.per_1000_views_micros", p.per1000ViewsMicros),
                               ("pricing.per_play_micros", p.perPlayMicros), ("pricing.per_use_micros", p.perUseMicros)] {
            guard value >= 0, value <= 1_000_000 * Money.microsPerUnit else { throw fail(field, "must be from 0 to 1,000,000 units in micro-units") }
        }
        guard p.flatMicros + p.per1000ViewsMicros + p.perPlayMicros + p.perUseMicros > 0 else {
            throw fail("pricing", "a template must cost something")
        }
        guard t.beyondEnvelope.action == "flag" else { throw fail("beyond_envelope.action", "must be \"flag\"") }
    }
}
