import HTTPTypes
import Catalog
import Foundation
import Blocking
import GRDB
import Hummingbird
import Licensing
import SyncletCore
import SyncletCrypto

/// Public verification of license codes and keys, and the published signing keys.
struct VerifyController {
    let app: AppServices
    let limiter: RateLimiter

    init(app: AppServices) {
        self.app = app
        self.limiter = RateLimiter(burst: app.settings.limits.verifyBurstRequestCountMax,
                                   perMinute: app.settings.limits.verifyRequestsPerMinutePerAddress,
                                   addressCountMax: app.settings.limits.verifyAddressCountMax)
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/verify/:code", use: verifyCode)
        router.post("/v1/verify", use: verifyKey)
        router.get("/.well-known/synclet/keys", use: keys)
        router.post("/v1/signing-keys", use: rotate)
    }

    @Sendable func verifyCode(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Verification> {
        try limiter.take(context.clientAddress, now: app.settings.clock.now())
        let text = context.parameters.get("code") ?? ""
        guard let code = LicenseCode.normalize(text) else {
            throw Problem.badRequest("\(text) is not a license code; codes look like SYN-7K3Q-9XPD-M2TA.", field: "code")
        }
        let now = app.settings.clock.now()
        return JSONResponse(try await app.database.pooledStatementRead { db in
            try Self.verification(db, where: "l.code = ?", code, now: now) ?? Wire.Verification(status: "unknown")
        })
    }

    /// Checks a key's signature offline-style (with our published keys), then its state.
    @Sendable func verifyKey(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Verification> {
        try limiter.take(context.clientAddress, now: app.settings.clock.now())
        let body = try await request.decodeJSON(Wire.VerifyKey.self, schema: "VerifyKey", byteCountMax: app.settings.limits.jsonBodyByteCountMax)
        let claims = try Self.verifiedClaims(body.key, keys: app.signingKeys)
        let now = app.settings.clock.now()
        return JSONResponse(try await app.database.pooledStatementRead { db in
            var verification = try LicenseID(claims.jti).flatMap { id in
                try Self.verification(db, where: "l.id = ?", id.rawValue, now: now)
            } ?? Wire.Verification(status: "unknown")
            verification.signatureValid = true
            return verification
        })
    }

    static func invalidKey(_ detail: String) -> Problem {
        Problem(status: 422, type: "invalid-key", title: "This is not a genuine Synclet license key", detail: detail)
    }

    static func verifiedClaims(_ token: String, keys: SigningKeys) throws(Problem) -> LicenseClaims {
        let footer: [UInt8]
        do { footer = try PASETO.unverifiedFooter(token) } catch {
            throw invalidKey(error == .wrongVersionOrPurpose
                ? "Synclet keys are PASETO v4.public tokens; this is another version or purpose."
                : "The key is malformed; paste the whole v4.public… token.")
        }
        guard let kid = (try? JSONDecoder().decode([String: String].self, from: Data(footer)))?["kid"],
              let publicKey = keys.publicKey(id: kid) else {
            throw invalidKey("The key names a signing key this server never had. Check /.well-known/synclet/keys.")
        }
        let message: [UInt8]
        do { message = try PASETO.verify(token, key: publicKey).message } catch {
            throw invalidKey("The signature does not match: the key was altered or forged.")
        }
        guard let claims = try? JSONDecoder().decode(LicenseClaims.self, from: Data(message)) else {
            throw invalidKey("The key's claims cannot be read.")
        }
        return claims
    }

    /// What the public may know of the license matching `condition`: one statement for the
    /// license, its asset's title and both parties' names, one for its channels. (Licenses
    /// never change but for their revocation, a single column: no transaction is needed.)
    static func verification(_ db: Database, where condition: String, _ value: String, now: Timestamp) throws -> Wire.Verification? {
        let statement = try db.cachedStatement(sql: """
            SELECT \(LicenseRecord.columns("l")), a.title, o.display_name, p.display_name
            FROM license l LEFT JOIN asset a ON a.id = l.asset_id LEFT JOIN party o ON o.id = a.owner_id
            LEFT JOIN party p ON p.id = l.licensee_id WHERE \(condition)
            """)
        let cursor = try Row.fetchCursor(statement, arguments: [value])
        guard let row = try cursor.next() else { return nil }
        let record = try LicenseRecord(row: row, at: 0)
        let names = LicenseRecord.columnCount
        var verification = Wire.Verification(status: record.state(at: now))
        verification.licenseID = record.id
        verification.code = record.code
        verification.assetID = record.assetID
        verification.assetTitle = row[names]
        verification.composer = row[names + 1]
        verification.licensee = row[names + 2]
        _ = try cursor.next()  // done with the statement before the next one runs
        verification.template = "\(record.templateID)@\(record.templateVersion)"
        verification.termsSHA256 = record.termsSHA256
        verification.envelope = record.envelope
        verification.channels = try LicenseRecord.channels(db, of: record.id)
        verification.issuedAt = record.issuedAt
        verification.expiresAt = record.expiresAt
        verification.revokedAt = record.revokedAt
        return verification
    }

    @Sendable func keys(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.PublicKeys> {
        let current = app.signingKeys.current.id
        return JSONResponse(Wire.PublicKeys(keys: app.signingKeys.all.reversed().map {
            Wire.PublicKeyInfo(kid: $0.id, paserk: PASERK.publicKey($0.publicKey), createdAt: $0.createdAt, current: $0.id == current)
        }))
    }

    /// The operator starts a new signing key; the old ones stay published.
    @Sendable func rotate(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.PublicKeyInfo> {
        _ = try context.requireAdmin()
        let entry = try await app.signingKeys.rotate(now: app.settings.clock.now())
        return JSONResponse(status: .created, Wire.PublicKeyInfo(kid: entry.id, paserk: PASERK.publicKey(entry.publicKey),
                                                                 createdAt: entry.createdAt, current: true))
    }
}
