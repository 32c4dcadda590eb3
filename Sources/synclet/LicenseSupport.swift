import ArgumentParser
import Foundation
import Licensing
import SyncletClient
import SyncletCore

/// How a creator means to use a clip: the flags `quote` and `licenses buy` share.
struct UseOptions: ParsableArguments {
    @Option(help: "Where it is published: youtube, tiktok, instagram, twitch, facebook, podcast, web…")
    var platform: String

    @Option(help: "short_form, long_form, live, podcast or ad.")
    var media: MediaKind

    @Option(help: "Length of the clip you use, in seconds.")
    var clipSeconds: Int

    @Option(help: "Views you expect over the whole term.")
    var views: Int64

    @Option(help: "How long you need the license, in days.")
    var termDays: Int

    @Option(help: "Country where it is shown: an ISO 3166 code such as US or DE.")
    var territory: String

    @Flag(help: "The video earns money (ads, sponsorship, subscriptions).")
    var monetized = false

    @Flag(help: "The clip is used in paid advertising.")
    var paidAds = false

    /// The same ranges the server enforces (`IntendedUse.validated`), named by flag here.
    static let platformCharacterCountMax = 40
    static let clipSecondsMax = 86_400
    static let termDaysMax = 36_500

    func validate() throws {
        let name = platform.lowercased()
        guard !name.isEmpty, name.count <= Self.platformCharacterCountMax,
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw ValidationError("--platform must be a short name such as youtube or tiktok.")
        }
        guard (1...Self.clipSecondsMax).contains(clipSeconds) else {
            throw ValidationError("--clip-seconds must be from 1 to \(Self.clipSecondsMax): the length of the clip you use.")
        }
        guard views >= 0 else { throw ValidationError("--views must be 0 or more: the views you expect over the term.") }
        guard (1...Self.termDaysMax).contains(termDays) else {
            throw ValidationError("--term-days must be from 1 to \(Self.termDaysMax).")
        }
        guard territory.count == 2, territory.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw ValidationError("--territory must be a two-letter ISO 3166 country code such as US or DE.")
        }
    }

    /// The use as the API takes it: platform in lower case, territory in upper case.
    var intendedUse: IntendedUse {
        IntendedUse(platform: platform.lowercased(), media: media, clipSeconds: clipSeconds, expectedViews: views,
                    termDays: termDays, territory: territory.uppercased(), monetized: monetized, paidAds: paidAds)
    }

    /// The flags again, to print a command the user can copy.
    var arguments: String {
        let use = intendedUse
        var parts = ["--platform \(use.platform)", "--media \(use.media.rawValue)", "--clip-seconds \(use.clipSeconds)",
                     "--views \(use.expectedViews)", "--term-days \(use.termDays)", "--territory \(use.territory)"]
        if use.monetized { parts.append("--monetized") }
        if use.paidAds { parts.append("--paid-ads") }
        return parts.joined(separator: " ")
    }
}

extension MediaKind: ExpressibleByArgument {}

/// Idempotency keys as the server accepts them; checked before anything is sent.
enum IdempotencyKeyText {
    static func validate(_ key: String?) throws {
        guard let key else { return }
        guard !key.isEmpty, key.count <= Idempotency.keyCharacterCountMax,
              key.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw ValidationError("--idempotency-key must be 1 to \(Idempotency.keyCharacterCountMax) visible ASCII characters (a UUID is a good choice).")
        }
    }

    /// A fresh key for a first attempt.
    static func make() -> String { UUID().uuidString.lowercased() }
}

/// Runs a money-moving command body; after a failure, names the idempotency key that makes
/// a retry safe (the server answers a repeat with its first answer and never charges twice).
func reportingErrors(retryKey key: String, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ClientError {
        Output.error(error.description)
        if error.problem?.field != "Idempotency-Key" {
            Output.note("To retry, run the same command with --idempotency-key \(key): if the first attempt went through, the retry returns its answer and nothing is charged twice.")
        }
        throw ExitCode.failure
    }
}

/// Columns padded to their widest cell; the last column is left ragged.
enum TextTable {
    static func render(header: [String], rows: [[String]]) -> String {
        let lines = [header] + rows
        let widths = header.indices.map { column in lines.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return lines.map { cells in
            cells.enumerated().map { column, cell in
                column == cells.count - 1 ? cell : cell + String(repeating: " ", count: max(0, widths[column] - cell.count))
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// How licenses, envelopes and uses read on a terminal.
enum LicenseText {
    /// `  label      value`, aligned like `assets show`.
    static func row(_ label: String, _ value: String) -> String {
        "  " + label.padding(toLength: 10, withPad: " ", startingAt: 0) + " " + value
    }

    static func envelope(_ envelope: Envelope) -> String {
        var parts = [envelope.platforms.map { $0.joined(separator: "/") } ?? "any platform",
                     envelope.media.map(\.rawValue).joined(separator: "/")]
        if let seconds = envelope.maxClipSeconds { parts.append("clips up to \(seconds) s") }
        if let views = envelope.maxViews { parts.append("up to \(views) views") }
        if let uses = envelope.maxUses { parts.append("up to \(uses) uses") }
        parts.append(envelope.termDays.map { "\($0) days" } ?? "no time limit")
        parts.append(envelope.territories.map { $0.joined(separator: "/") } ?? "worldwide")
        parts.append(envelope.monetized ? "monetized allowed" : "not monetized")
        parts.append(envelope.paidAds ? "paid ads allowed" : "no paid ads")
        if envelope.attributionRequired { parts.append("attribution required") }
        if envelope.stemsIncluded { parts.append("stems included") }
        return parts.joined(separator: ", ")
    }

    static func use(_ use: IntendedUse) -> String {
        var parts = ["\(use.platform) \(use.media.rawValue)", "\(use.clipSeconds) s clip", "\(use.expectedViews) views",
                     "\(use.termDays) days", use.territory]
        if use.monetized { parts.append("monetized") }
        if use.paidAds { parts.append("paid ads") }
        return parts.joined(separator: ", ")
    }

    static func channels(_ channels: [ClearedChannel]) -> String {
        channels.isEmpty ? "none" : channels.map { "\($0.platform):\($0.channelID)" }.joined(separator: ", ")
    }

    static func printLine(_ license: Wire.License) {
        let state = license.status.padding(toLength: 7, withPad: " ", startingAt: 0)
        let until: String
        if let revoked = license.revokedAt {
            until = "revoked \(revoked)"
        } else if let expires = license.expiresAt {
            until = "until \(expires)"
        } else {
            until = "no expiry"
        }
        print("\(license.id)  \(license.code)  \(state)  \(license.template)@\(license.templateVersion)  \(license.assetID)  \(until)")
    }

    static func printDetail(_ license: Wire.License) {
        var lines = [
            "\(license.code)  (\(license.id))",
            row("status", license.status),
            row("asset", license.assetID.rawValue),
            row("template", "\(license.template)@\(license.templateVersion), terms sha256 \(license.termsSHA256)"),
            row("use", use(license.use)),
            row("covers", envelope(license.envelope)),
            row("channels", channels(license.channels)),
            row("price", "\(Money(micros: license.priceMicros).decimal) (platform fee \(Money(micros: license.feeMicros).decimal))"),
            row("issued", license.issuedAt.rfc3339),
            row("expires", license.expiresAt.map(\.rfc3339) ?? "never"),
        ]
        if let revoked = license.revokedAt { lines.append(row("revoked", revoked.rfc3339)) }
        lines.append(row("key", license.key))
        print(lines.joined(separator: "\n"))
    }
}

func parseLicenseID(_ text: String) throws -> LicenseID {
    guard let id = LicenseID(text) else {
        throw ValidationError("\(text) is not a license id (lic_…). `synclet licenses list` shows yours.")
    }
    return id
}
