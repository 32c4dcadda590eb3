import Archives
import BlobStore
import Catalog
import Foundation
import Blocking
import GRDB
import HTTPTypes
import Hummingbird
import Licensing
import SyncletCore
import SyncletCrypto

/// Limited drops, spending caps, and licensed downloads.
struct DropsController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.post("/v1/drops", use: create)
        router.get("/v1/drops/:id", use: show)
        router.put("/v1/wallets/:party/cap", use: setCap)
        router.put("/v1/wallets/:party/credit-limit", use: setCreditLimit)
        router.get("/v1/licenses/:id/download", use: download)
    }

    static func wire(_ drop: DropRecord, now: Timestamp) -> Wire.Drop {
        Wire.Drop(id: drop.id.rawValue, assetID: drop.assetID, template: drop.templateID, quantity: drop.quantity,
                  sold: drop.sold, remaining: drop.quantity - drop.sold, startsAt: drop.startsAt, endsAt: drop.endsAt,
                  state: drop.state(at: now))
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Drop> {
        _ = try context.requireAdmin()
        let body = try await request.decodeJSON(Wire.CreateDrop.self, schema: "CreateDrop", byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let quantityMax = app.settings.limits.dropLicenseCountMax
        guard (1...quantityMax).contains(body.quantity) else {
            throw Problem.invalid("quantity must be from 1 to \(quantityMax).", field: "quantity")
        }
        guard body.endsAt > body.startsAt else { throw Problem.invalid("ends_at must be after starts_at.", field: "ends_at") }
        guard app.templates.template(body.template) != nil else {
            throw Problem.invalid("There is no license template \(body.template).", field: "template")
        }
        guard let asset = try await app.catalog.asset(body.assetID), asset.status == .published else {
            throw Problem.invalid("Asset \(body.assetID) is not published.", field: "asset_id")
        }
        let now = app.settings.clock.now()
        let drop = DropRecord(id: app.newID(now), assetID: asset.id, templateID: body.template, quantity: body.quantity,
                              sold: 0, startsAt: body.startsAt, endsAt: body.endsAt, createdAt: now)
        try await app.database.write { db in try drop.insert(db) }
        return JSONResponse(status: .created, Self.wire(drop, now: now))
    }

    /// Anyone with a key can see a drop and how many licenses remain.
    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Drop> {
        _ = try context.requireParty()
        let text = context.parameters.get("id") ?? ""
        guard let id = DropID(text), let drop = try await app.database.pooledRead({ db in try DropRecord.fetchOne(db, key: id) }) else {
            throw Problem.notFound("Drop \(text)")
        }
        return JSONResponse(Self.wire(drop, now: app.settings.clock.now()))
    }

    struct CapBody: Codable, Sendable {
        var monthlyCapMicros: Int64?
        enum CodingKeys: String, CodingKey { case monthlyCapMicros = "monthly_cap_micros" }
    }

    struct CreditLimitBody: Codable, Sendable {
        var limitMicros: Int64?
        enum CodingKeys: String, CodingKey { case limitMicros = "limit_micros" }
    }

    /// The operator sets (or with null removes) a licensee's monthly spending cap.
    @Sendable func setCap(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<CapBody> {
        try await setLicenseeAmount(request, context, schema: "SpendingCap", field: "monthly_cap_micros", range: 0...Money.totalMicrosMax,
                                    null: "null removes the cap", \CapBody.monthlyCapMicros, store: SpendingCap.set)
    }

    /// The operator sets (or with null removes, back to `usage-credit-limit`) how far below
    /// zero usage may take a licensee's wallet.
    @Sendable func setCreditLimit(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<CreditLimitBody> {
        try await setLicenseeAmount(request, context, schema: "CreditLimit", field: "limit_micros", range: 0...Money.amountMicrosMax,
                                    null: "null goes back to the server's usage-credit-limit", \CreditLimitBody.limitMicros, store: CreditLimit.set)
    }

    /// An amount the operator sets for one licensee (`{field: N}`, or null to remove it).
    private func setLicenseeAmount<Body: Codable & Sendable>(
        _ request: Request, _ context: AppRequestContext, schema: String, field: String, range: ClosedRange<Int64>, null: String,
        _ amount: KeyPath<Body, Int64?>, store: @escaping @Sendable (Database, PartyID, Int64?) throws -> Void
    ) async throws -> JSONResponse<Body> {
        _ = try context.requireAdmin()
        let text = context.parameters.get("party") ?? ""
        guard let id = PartyID(text), let party = try await app.catalog.party(id), party.kind == .licensee else {
            throw Problem.notFound("Licensee \(text)")
        }
        let body = try await request.decodeJSON(Body.self, schema: schema, byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let micros = body[keyPath: amount]
        if let micros, !range.contains(micros) {
            throw Problem.invalid("\(field) must be from \(range.lowerBound) to \(range.upperBound); \(null).", field: field)
        }
        try await app.database.write { db in try store(db, party.id, micros) }
        return JSONResponse(body)
    }

    /// The licensed files as a zip streamed as it is built: the audio (and the stems when
    /// the template includes them), LICENSE.md and license.json. Only while the license
    /// is valid, and only for its licensee.
    @Sendable func download(_ request: Request, context: AppRequestContext) async throws -> Response {
        let party = try context.requireParty(.licensee)
        let text = context.parameters.get("id") ?? ""
        let now = app.settings.clock.now()
        guard let id = LicenseID(text), let (record, channels) = try await app.database.pooledRead({ db -> (LicenseRecord, [ClearedChannel])? in
            guard let record = try LicenseRecord.fetchOne(db, key: id), record.licenseeID == party.id || party.kind == .admin else { return nil }
            return (record, try LicenseRecord.channels(db, of: id))
        }) else { throw Problem.notFound("License \(text)") }
        guard record.state(at: now) == "valid" else {
            throw Problem(status: 403, type: "license-not-valid", title: "This license does not allow downloads now",
                          detail: "License \(record.code) is \(record.state(at: now)); downloads need a valid license. Buy a new one to download again.")
        }
        guard let asset = try await app.catalog.asset(record.assetID) else { throw Problem.notFound("Asset \(record.assetID)") }
        let folder = AssetFilesController.safeName(asset.title)
        var items = [BundleItem]()
        if let sha = asset.blobSHA256, let container = asset.container {
            items.append(BundleItem(name: "\(folder)/\(folder).\(container)", path: app.blobs.path(of: sha)))
        }
        if record.envelope.stemsIncluded, asset.kind == .track {
            for stem in try await app.catalog.stems(of: asset.id) where stem.status == .published {
                if let sha = stem.blobSHA256, let container = stem.container {
                    items.append(BundleItem(name: "\(folder)/stems/\(AssetFilesController.safeName(stem.title)).\(container)",
                                            path: app.blobs.path(of: sha)))
                }
            }
        }
        let slot = try app.bundleSlots.take()  // before any work: a busy server says so at once
        let license = Wire.License(record, channels: channels, now: now)
        let terms = app.templates.template(record.templateID)?.terms ?? ""
        let markdown = LicenseDocument.markdown(license: license, assetTitle: asset.title, terms: terms,
                                                currentTermsMatch: app.templates.template(record.templateID)?.termsSHA256 == record.termsSHA256)
        let licenseMD = try await app.blobs.store(bytes: Array(markdown.utf8))
        let licenseJSON = try await app.blobs.store(bytes: try JSONWriter.encode(license))
        items.append(BundleItem(name: "\(folder)/LICENSE.md", path: app.blobs.path(of: licenseMD.sha256)))
        items.append(BundleItem(name: "\(folder)/license.json", path: app.blobs.path(of: licenseJSON.sha256)))
        var headers = HTTPFields()
        headers[.contentType] = "application/zip"
        headers[.contentDisposition] = ContentDisposition.header(filename: "\(folder)-\(record.code).zip")
        return Response(status: .ok, headers: headers,
                        body: ResponseBody(asyncSequence: SlottedStream(base: BundleWriter.zipStream(items), slot: slot)))
    }
}

/// The LICENSE.md that travels with licensed files.
enum LicenseDocument {
    static func markdown(license: Wire.License, assetTitle: String, terms: String, currentTermsMatch: Bool) -> String {
        let channels = license.channels.isEmpty ? "none named" : license.channels.map { "\($0.platform): \($0.channelID)" }.joined(separator: ", ")
        let expires = license.expiresAt.map(\.rfc3339) ?? "never"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let envelope = (try? encoder.encode(license.envelope)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return """
            # License \(license.code) — \(assetTitle)

            - License code: **\(license.code)** (paste it in your video description; anyone can check it at /v1/verify/\(license.code))
            - Template: \(license.template) version \(license.templateVersion), terms SHA-256 \(license.termsSHA256)
            - Issued: \(license.issuedAt.rfc3339); expires: \(expires)
            - Cleared channels: \(channels)

            ## License key

            This PASETO v4.public token is signed by Synclet; any PASETO library verifies it with the
            public keys published at /.well-known/synclet/keys.

            ```
            \(license.key)
            ```

            ## Usage envelope

            ```json
            \(envelope)
            ```

            ## Terms\(currentTermsMatch ? "" : " (the template has changed since; these are the current terms, and your license keeps the terms whose hash is above)")

            \(terms)
            """
    }
}
