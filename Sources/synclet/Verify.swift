import ArgumentParser
import Foundation
import Licensing
import SyncletClient
import SyncletCore
import SyncletCrypto

/// `synclet verify`: is a license code or key genuine, and what does it allow?
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a license code (online) or a license key (offline, against the server's public keys).",
        discussion: """
            A key (v4.public.…) is checked offline: its signature against the public signing
            keys cached in the config folder (keys.json beside config.json). They are fetched
            from the server's /.well-known/synclet/keys when the key names one not cached yet,
            or with --refresh. Add --online to also ask the server whether the license is
            still in force (it may have been revoked).
            A code (SYN-XXXX-XXXX-XXXX) is always checked with the server.
            No API key is needed, only a server (--server, SYNCLET_SERVER or the saved login).

            Exit status: 0 when the license is genuine and in force; 1 when it is not genuine,
            expired, revoked or unknown.

            Examples:
              synclet verify SYN-7K3Q-9XPD-M2TA
              synclet verify v4.public.eyJ… --online
              synclet verify - < license-key.txt
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "A license code (SYN-…) or license key (v4.public.…); - reads it from standard input.")
    var codeOrKey: String
    @Flag(help: "For a key: also ask the server for the license's current state (valid, expired, revoked).")
    var online = false
    @Flag(help: "For a key: fetch the server's public keys even when the key's signing key is cached.")
    var refresh = false

    /// What was pasted.
    enum Input: Equatable {
        case code(String)
        case key(String)
    }

    func validate() throws {
        if codeOrKey != "-" { _ = try Self.classify(codeOrKey) }
        if (online || refresh) && connection.configuredServer == nil {
            throw ValidationError("\(online ? "--online" : "--refresh") needs a server: pass --server URL, set SYNCLET_SERVER, or run `synclet login`.")
        }
    }

    static func classify(_ text: String) throws -> Input {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("v4.public.") { return .key(trimmed) }
        if let code = LicenseCode.normalize(trimmed) { return .code(code) }
        // Another PASETO (v2.public.…, v4.local.…): checked as a key, to say why it is not one of ours.
        if trimmed.hasPrefix("v"), trimmed.contains(".") { return .key(trimmed) }
        throw ValidationError("This is neither a license code (SYN-XXXX-XXXX-XXXX) nor a license key (v4.public.…). Paste the whole code or key.")
    }

    func run() async throws {
        let text = codeOrKey == "-" ? (readLine(strippingNewline: true) ?? "") : codeOrKey
        switch try Self.classify(text) {
        case .code(let code): try await verifyCode(code)
        case .key(let key): try await verifyKey(key)
        }
    }

    func verifyCode(_ code: String) async throws {
        let client = try connection.publicClient()
        try await reportingErrors {
            let verification = try await client.verify(code: code)
            if connection.json { try Output.json(verification) } else { VerifyText.printVerification(verification, heading: code) }
            guard verification.status == "valid" else { throw ExitCode.failure }
        }
    }

    func verifyKey(_ token: String) async throws {
        let now = SyncletCore.Clock.system.now()
        let client = connection.configuredServer.map { SyncletClient(server: $0, apiKey: nil) }
        try await reportingErrors {
            var report: KeyReport
            do {
                let kid = try OfflineCheck.keyID(of: token)
                let publicKey = try await KeyCache.publicKey(kid: kid, client: client, refresh: refresh, now: now)
                let claims = try OfflineCheck.claims(of: token, publicKey: publicKey)
                let expires = claims.exp.flatMap { Timestamp(rfc3339: $0) }
                report = KeyReport(genuine: true, keyID: kid, claims: claims, expired: expires.map { $0 <= now } ?? false)
            } catch let refusal as NotGenuine {
                report = KeyReport(genuine: false, reason: refusal.reason)
                report.undecided = refusal.undecided ? true : nil
            }
            if report.genuine, online, let client {
                report.server = try await client.verify(key: token)
            }
            if connection.json { try Output.json(report) } else { VerifyText.printKeyReport(report) }
            guard report.inForce else { throw ExitCode.failure }
        }
    }
}

/// Why a key is not genuine (or cannot be checked), in words for the person holding it.
struct NotGenuine: Error {
    let reason: String
    /// The key could not be checked at all (no key to check it with): not a verdict on it.
    var undecided = false
}

/// The offline steps, each pure: read the key id, then check the signature and read the claims.
enum OfflineCheck {
    /// The signing key id the footer names. Unverified: it only chooses which key to try.
    static func keyID(of token: String) throws -> String {
        let footer: [UInt8]
        do { footer = try PASETO.unverifiedFooter(token) } catch { throw NotGenuine(reason: reason(error)) }
        guard let kid = (try? JSONDecoder().decode([String: String].self, from: Data(footer)))?["kid"], !kid.isEmpty else {
            throw NotGenuine(reason: "The key does not name a Synclet signing key (its footer has no kid).")
        }
        return kid
    }

    /// Checks the signature with `publicKey` and reads the claims it covers.
    static func claims(of token: String, publicKey: Ed25519PublicKey) throws -> LicenseClaims {
        let message: [UInt8]
        do { message = try PASETO.verify(token, key: publicKey).message } catch { throw NotGenuine(reason: reason(error)) }
        guard let claims = try? JSONDecoder().decode(LicenseClaims.self, from: Data(message)) else {
            throw NotGenuine(reason: "The signature is good but the claims cannot be read; this CLI may be older than the server.")
        }
        guard claims.issuer == "synclet" else {
            throw NotGenuine(reason: "The key was not issued by Synclet (issuer \(claims.issuer)).")
        }
        return claims
    }

    static func reason(_ error: PASETOError) -> String {
        switch error {
        case .wrongVersionOrPurpose: "Synclet keys are PASETO v4.public tokens; this is another version or purpose."
        case .malformed: "The key is malformed or cut short; paste the whole v4.public… token."
        case .badEncoding: "The key has characters a genuine key never has; paste it exactly as issued."
        case .badSignature: "The signature does not match: the key was altered or forged."
        }
    }
}

/// The server's public signing keys, cached in the config folder so keys verify offline.
struct KeyCache: Codable {
    /// The server they came from (a key is genuine for that server).
    var server: String
    var fetchedAt: Timestamp
    var keys: [Wire.PublicKeyInfo]

    enum CodingKeys: String, CodingKey {
        case server, keys
        case fetchedAt = "fetched_at"
    }

    static var path: String { CLIConfig.directory + "/keys.json" }

    static func load() -> KeyCache? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(KeyCache.self, from: data)
    }

    func save() throws {
        try FileManager.default.createDirectory(atPath: CLIConfig.directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let temp = Self.path + ".tmp"
        guard FileManager.default.createFile(atPath: temp, contents: try encoder.encode(self), attributes: [.posixPermissions: 0o644]) else {
            throw ValidationError("Cannot write \(Self.path); check that \(CLIConfig.directory) is writable.")
        }
        _ = rename(temp, Self.path)
    }

    /// The key with this id, only when its PASERK really hashes to the id: an edited cache
    /// cannot pass one key off under another's name.
    func publicKey(kid: String) -> Ed25519PublicKey? {
        guard let info = keys.first(where: { $0.kid == kid }), let key = try? PASERK.parsePublicKey(info.paserk),
              PASERK.publicKeyID(key) == kid else { return nil }
        return key
    }

    /// The public key for `kid`: from the cache when it holds this server's keys, else (or
    /// with `refresh`) fetched from the server and cached.
    static func publicKey(kid: String, client: SyncletClient?, refresh: Bool, now: Timestamp) async throws -> Ed25519PublicKey {
        let cached = load().flatMap { cache -> KeyCache? in client == nil || cache.server == client?.server ? cache : nil }
        if !refresh, let key = cached?.publicKey(kid: kid) { return key }
        guard let client else {
            throw NotGenuine(reason: "No cached public key has id \(kid), and no server is configured to fetch it from. Pass --server URL (or run `synclet login`) and try again.",
                             undecided: true)
        }
        let published = try await client.publicKeys()
        let fresh = KeyCache(server: client.server, fetchedAt: now, keys: published.keys)
        // A cache that cannot be written only costs a fetch next time.
        try? fresh.save()
        guard let key = fresh.publicKey(kid: kid) else {
            throw NotGenuine(reason: "The key names a signing key (\(kid)) that \(client.server) never published: it was not issued there, or it is forged.")
        }
        return key
    }
}

/// The outcome of checking a key, as printed and as `--json`.
struct KeyReport: Encodable {
    var genuine: Bool
    var reason: String?
    var keyID: String?
    var claims: LicenseClaims?
    var expired: Bool?
    /// Set when the key could not be checked (no public key to check it with).
    var undecided: Bool?
    /// The server's answer, with `--online`.
    var server: Wire.Verification?

    init(genuine: Bool, reason: String? = nil, keyID: String? = nil, claims: LicenseClaims? = nil, expired: Bool? = nil) {
        self.genuine = genuine
        self.reason = reason
        self.keyID = keyID
        self.claims = claims
        self.expired = expired
    }

    /// Genuine, not expired, and (when asked) valid on the server.
    var inForce: Bool { genuine && expired != true && (server.map { $0.status == "valid" } ?? true) }

    enum CodingKeys: String, CodingKey {
        case genuine, undecided, reason, claims, expired, server
        case keyID = "key_id"
        case inForce = "in_force"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(genuine, forKey: .genuine)
        try container.encodeIfPresent(undecided, forKey: .undecided)
        try container.encodeIfPresent(reason, forKey: .reason)
        try container.encodeIfPresent(keyID, forKey: .keyID)
        try container.encodeIfPresent(claims, forKey: .claims)
        try container.encodeIfPresent(expired, forKey: .expired)
        try container.encodeIfPresent(server, forKey: .server)
        try container.encode(inForce, forKey: .inForce)
    }
}

enum VerifyText {
    static func printKeyReport(_ report: KeyReport) {
        guard report.genuine, let claims = report.claims else {
            print("\(report.undecided == true ? "CANNOT CHECK" : "NOT genuine"): \(report.reason ?? "the key could not be checked.")")
            return
        }
        let row = LicenseText.row
        var lines = [
            "genuine: signed by Synclet key \(report.keyID ?? "-")",
            row("license", "\(claims.code)  (\(claims.jti))"),
            row("licensee", "\(claims.licensee) (\(claims.sub))"),
            row("asset", "\"\(claims.assetTitle)\" (\(claims.asset))"),
            row("composer", claims.composer),
            row("template", "\(claims.template), terms sha256 \(claims.termsSHA256)"),
            row("channels", LicenseText.channels(claims.channels)),
            row("covers", LicenseText.envelope(claims.envelope)),
            row("issued", claims.iat),
            row("expires", (claims.exp ?? "never") + (report.expired == true ? "  EXPIRED" : "")),
        ]
        if let server = report.server {
            var state = server.status
            if let revoked = server.revokedAt { state += " since \(revoked)" }
            if server.status == "unknown" { state += " (this server has no such license)" }
            lines.append(row("server", state))
        }
        print(lines.joined(separator: "\n"))
    }

    static func printVerification(_ verification: Wire.Verification, heading: String) {
        guard verification.status != "unknown" else {
            print("\(heading): unknown — no license has this code. Check it letter by letter (O and 0, I and 1 are the same).")
            return
        }
        let row = LicenseText.row
        var lines = ["\(verification.code ?? heading): \(verification.status)"]
        if let licensee = verification.licensee { lines.append(row("licensee", licensee)) }
        if let title = verification.assetTitle {
            lines.append(row("asset", "\"\(title)\"" + (verification.assetID.map { " (\($0))" } ?? "")))
        }
        if let composer = verification.composer { lines.append(row("composer", composer)) }
        if let template = verification.template {
            lines.append(row("template", template + (verification.termsSHA256.map { ", terms sha256 \($0)" } ?? "")))
        }
        if let channels = verification.channels { lines.append(row("channels", LicenseText.channels(channels))) }
        if let envelope = verification.envelope { lines.append(row("covers", LicenseText.envelope(envelope))) }
        if let issued = verification.issuedAt { lines.append(row("issued", issued.rfc3339)) }
        lines.append(row("expires", verification.expiresAt?.rfc3339 ?? "never"))
        if let revoked = verification.revokedAt { lines.append(row("revoked", revoked.rfc3339)) }
        print(lines.joined(separator: "\n"))
    }
}
