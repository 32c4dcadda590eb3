import AsyncHTTPClient
import Foundation
import Licensing
import NIOCore
import NIOHTTP1
import SyncletCore

extension SyncletClient {
    // MARK: Templates and quotes

    /// Every license template: its envelope, prices and terms (public).
    public func templates() async throws -> [Wire.TemplateInfo] {
        let list: Wire.Page<Wire.TemplateInfo> = try await json(.GET, "/v1/license-templates")
        return list.items
    }

    /// Every template's answer for one use of a published asset, estimated for the
    /// productions and plays expected (nil: the server's defaults, 1 and 0).
    public func quote(asset: AssetID, use: IntendedUse, productions: Int64? = nil, plays: Int64? = nil) async throws -> Wire.Quote {
        try await json(.POST, "/v1/quotes", body: Wire.QuoteRequest(assetID: asset, use: use, expectedProductions: productions,
                                                                    expectedPlays: plays))
    }

    // MARK: Licenses

    /// Buys a license. A retry with the same `idempotencyKey` gets the first answer and is
    /// never charged again.
    public func issueLicense(_ request: Wire.IssueLicense, idempotencyKey: String) async throws -> Wire.License {
        try await send(jsonRequest(.POST, "/v1/licenses", body: request, idempotencyKey: idempotencyKey))
    }

    /// Your licenses (the operator: everyone's), newest first.
    public func licenses(cursor: String? = nil, limit: Int? = nil) async throws -> Wire.Page<Wire.License> {
        try await json(.GET, "/v1/licenses" + Self.pageQuery(cursor: cursor, limit: limit))
    }

    public func license(_ id: LicenseID) async throws -> Wire.License { try await json(.GET, "/v1/licenses/\(id)") }

    /// Streams a license's zip (audio, stems if included, LICENSE.md, license.json) to `path`.
    public func downloadLicense(_ id: LicenseID, to path: String,
                                onBytes: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> (status: Int, byteCount: Int64) {
        try await download("/v1/licenses/\(id)/download", to: path, onBytes: onBytes)
    }

    /// Operator: revokes a license and reverses its charge.
    public func revokeLicense(_ id: LicenseID, reason: String) async throws -> Wire.License {
        try await json(.POST, "/v1/licenses/\(id)/revoke", body: Wire.Revoke(reason: reason))
    }

    // MARK: Verification and signing keys

    /// What the server says about a license code (public).
    public func verify(code: String) async throws -> Wire.Verification {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-")
        return try await json(.GET, "/v1/verify/\(code.addingPercentEncoding(withAllowedCharacters: allowed) ?? code)")
    }

    /// What the server says about a license key: its signature and current state (public).
    public func verify(key: String) async throws -> Wire.Verification {
        try await json(.POST, "/v1/verify", body: Wire.VerifyKey(key: key))
    }

    /// The public signing keys, current and past (public).
    public func publicKeys() async throws -> Wire.PublicKeys { try await json(.GET, "/.well-known/synclet/keys") }

    /// Operator: starts a new signing key; earlier ones stay published.
    public func rotateSigningKey() async throws -> Wire.PublicKeyInfo { try await json(.POST, "/v1/signing-keys") }

    // MARK: Wallets

    /// The licensee's own wallet.
    public func wallet() async throws -> Wire.Wallet { try await json(.GET, "/v1/wallet") }

    /// Operator: a licensee's wallet.
    public func wallet(of party: PartyID) async throws -> Wire.Wallet { try await json(.GET, "/v1/wallets/\(party)") }

    /// Operator: credits a licensee's wallet. A retry with the same `idempotencyKey` credits nothing again.
    public func grant(party: PartyID, amountMicros: Int64, note: String?, idempotencyKey: String) async throws -> Wire.GrantReceipt {
        try await send(jsonRequest(.POST, "/v1/wallets/\(party)/grants", body: Wire.Grant(amountMicros: amountMicros, note: note),
                                   idempotencyKey: idempotencyKey))
    }

    // MARK: Drops

    /// Operator: opens a limited drop.
    public func createDrop(_ request: Wire.CreateDrop) async throws -> Wire.Drop { try await json(.POST, "/v1/drops", body: request) }

    public func drop(_ id: DropID) async throws -> Wire.Drop { try await json(.GET, "/v1/drops/\(id)") }

    // MARK: Plumbing

    /// A JSON request for a money-moving route. Keys are sorted so that the same request
    /// encodes to the same bytes on a retry (the server compares a hash of them).
    func jsonRequest<B: Encodable>(_ method: HTTPMethod, _ path: String, body: B, idempotencyKey: String) throws -> HTTPClientRequest {
        var request = makeRequest(method, path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: idempotencyKey)
        request.body = .bytes(ByteBuffer(bytes: try encoder.encode(body)))
        return request
    }
}
