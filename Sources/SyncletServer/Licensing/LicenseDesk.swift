import Catalog
import Foundation
import GRDB
import Ledger
import Licensing
import SyncletCore
import SyncletCrypto

/// Issues, revokes and verifies licenses. Issuing is one transaction: the idempotency
/// check, the envelope and balance checks, every transfer of the charge, the license row
/// and its signed key, and the stored first answer commit together or not at all.
struct LicenseDesk: Sendable {
    let app: AppServices

    /// The platform's cut of every license, in basis points.
    var feeBasisPoints: BasisPoints { app.settings.platformFeeBasisPoints }

    /// Issues a license and returns the answer (status and JSON body) to send, which is
    /// the first answer again for a retry with the same Idempotency-Key.
    /// Returns the answer and, for a new license, its id (a replay's id is in its answer).
    func issue(_ request: Wire.IssueLicense, licensee: PartyRecord, idempotencyKey: String, requestSHA256: String) async throws -> (Idempotency.Stored, LicenseID?) {
        let templates = app.templates
        let signer = PASETOSigner(entry: app.signingKeys.current)
        let clock = app.settings.clock
        let feeBasisPoints = feeBasisPoints
        let channelCountMax = app.settings.limits.licenseChannelCountMax
        let periods = app.settings.periods
        let route = "POST /v1/licenses"
        let (stored, newID) = try await app.groupCommitter.submit { db -> (Idempotency.Stored, LicenseID?) in
            // Read by the writer: a sale lands in the period open when it is booked.
            let now = clock.now()
            if let stored = try Idempotency.replay(db, party: licensee.id, key: idempotencyKey, route: route, requestSHA256: requestSHA256) {
                return (stored, nil)
            }
            guard let asset = try CatalogStore.asset(db, request.assetID), asset.status == .published else {
                throw Problem(status: 422, type: "asset-not-licensable", title: "This asset cannot be licensed",
                              detail: "Asset \(request.assetID) is not published (or does not exist). Search the catalog for published assets.",
                              extensions: ["field": "asset_id"])
            }
            guard let template = templates.template(request.template) else {
                throw Problem.invalid("There is no license template \(request.template). GET /v1/license-templates lists them.", field: "template")
            }
            let use = try request.use.validated()
            let violations = template.envelope.violations(of: use)
            guard violations.isEmpty else { throw Self.outsideEnvelope(violations, use: use, templates: templates) }
            let channels = try Self.validated(request.channels ?? [], countMax: channelCountMax)

            let splits = try Splits(validating: CatalogStore.effectiveSplits(db, asset: asset).shares)
            let price = template.pricing.flatMicros
            let wallet = try Ledger.account(db, party: licensee.id, purpose: .licenseeWallet, now: now)
            let balance = try Ledger.balance(db, wallet)
            guard balance >= price else {
                throw Problem(status: 402, type: "insufficient-funds", title: "Not enough credit",
                              detail: "This license costs \(Money(micros: price)) and your wallet holds \(Money(micros: balance)). Top up your wallet, then retry with the same Idempotency-Key.",
                              extensions: ["price_micros": String(price), "balance_micros": String(balance)])
            }
            if let cap = try SpendingCap.cap(db, party: licensee.id) {
                let spent = try SpendingCap.spent(db, wallet: wallet.rawValue, since: periods.startOfPeriod(containing: now))
                let (after, overflow) = spent.addingReportingOverflow(price)
                guard !overflow, after <= cap else {
                    throw Problem(status: 402, type: "spending-cap-reached", title: "The monthly spending cap is reached",
                                  detail: "This license costs \(Money(micros: price)); \(Money(micros: spent)) of your \(Money(micros: cap)) monthly cap is spent. Ask the operator to raise the cap, or wait for next month.",
                                  extensions: ["cap_micros": String(cap), "spent_micros": String(spent)])
                }
            }
            var dropID: DropID? = nil
            if let text = request.dropID {
                guard let id = DropID(text) else { throw Problem.invalid("drop_id must be a drop id (drp_…).", field: "drop_id") }
                try DropRecord.claimOne(db, id, assetID: asset.id, templateID: template.id, now: now)
                dropID = id
            }

            var random = SecureRandom()
            let id = LicenseID.make(millisecondsSince1970: now.millisecondsSince1970, random: &random)
            let cause = Ledger.Cause(type: "license", id: id.rawValue)
            let charge = ChargeSplit(priceMicros: price, feeBasisPoints: feeBasisPoints, splits: splits)
            let revenue = try Ledger.account(db, party: nil, purpose: .platformRevenue, now: now)
            try Ledger.transfer(db, from: wallet, to: revenue, amount: charge.feeMicros, reason: "license.fee", cause: cause, now: now)
            for share in charge.shares {
                let earnings = try Ledger.account(db, party: share.partyID, purpose: .composerEarnings, now: now)
                try Ledger.transfer(db, from: wallet, to: earnings, amount: share.amount, reason: "license.share", cause: cause, now: now)
            }

            let code = try Self.uniqueCode(db)
            let expires = template.envelope.termDays.map { now.adding(seconds: Int64($0) * 86_400) }
            let composer = try String.fetchOne(db.cachedStatement(sql: "SELECT display_name FROM party WHERE id = ?"), arguments: [asset.ownerID]) ?? ""
            let claims = LicenseClaims(
                jti: id.rawValue, sub: licensee.id.rawValue, licensee: licensee.displayName, asset: asset.id.rawValue,
                assetTitle: asset.title, composer: composer, template: template.reference, termsSHA256: template.termsSHA256,
                code: code, channels: channels, envelope: template.envelope, iat: now.rfc3339, exp: expires?.rfc3339)
            let footer = try JSONWriter.encode(["kid": signer.keyID])
            let token = signer.sign(message: try JSONWriter.encode(claims), footer: footer)
            let record = LicenseRecord(
                id: id, code: code, licenseeID: licensee.id, assetID: asset.id, templateID: template.id,
                templateVersion: template.version, termsSHA256: template.termsSHA256, envelope: template.envelope,
                intendedUse: use, priceMicros: price, feeMicros: charge.feeMicros, issuedAt: now, expiresAt: expires,
                revokedAt: nil, revokeReason: nil, keyID: signer.keyID, token: token,
                pricing: template.pricing)
            try record.store(db, dropID: dropID?.rawValue)
            try LicenseRecord.storeChannels(db, channels, for: id)
            let body = try JSONWriter.string(Wire.License(record, channels: channels, now: now))
            let stored = Idempotency.Stored(status: 201, body: body)
            try Idempotency.record(db, party: licensee.id, key: idempotencyKey, route: route, requestSHA256: requestSHA256,
                                   stored: stored, now: now)
            return (stored, id)
        }
        if newID != nil { app.metrics.recordLicenseIssued() }
        return (stored, newID)
    }

    static func outsideEnvelope(_ violations: [EnvelopeViolation], use: IntendedUse, templates: TemplateCatalog) -> Problem {
        let covering = ((try? templates.quote(use)) ?? []).filter(\.covers).map(\.template)
        let broken = violations.map { "\($0.limit) (\($0.detail))" }.joined(separator: "; ")
        let advice = covering.isEmpty ? "No template covers this use." : "Templates that cover it: \(covering.joined(separator: ", "))."
        return Problem(status: 422, type: "outside-envelope", title: "The use is outside the template's envelope",
                       detail: "This template does not cover the use: \(broken). \(advice)",
                       extensions: ["limits": violations.map(\.limit).joined(separator: ","), "suggested": covering.first ?? ""])
    }

    /// Channels trimmed, lower-cased platforms, duplicates dropped, at most `countMax`.
    static func validated(_ channels: [ClearedChannel], countMax: Int) throws(Problem) -> [ClearedChannel] {
        guard channels.count <= countMax else {
            throw .invalid("A license clears at most \(countMax) channels.", field: "channels")
        }
        var seen = Set<ClearedChannel>()
        var result = [ClearedChannel]()
        for channel in channels {
            let normalized = ClearedChannel(platform: channel.platform.lowercased().trimmingCharacters(in: .whitespaces),
                                            channelID: channel.channelID.trimmingCharacters(in: .whitespaces))
            guard !normalized.platform.isEmpty, normalized.platform.count <= 40, !normalized.channelID.isEmpty,
                  normalized.channelID.count <= 200 else {
                throw .invalid("Each channel needs a platform (e.g. youtube) and a channel_id.", field: "channels")
            }
            if seen.insert(normalized).inserted { result.append(normalized) }
        }
        return result.sorted { ($0.platform, $0.channelID) < ($1.platform, $1.channelID) }
    }

    static func uniqueCode(_ db: Database) throws -> String {
        for _ in 0..<8 {
            let code = LicenseCode.make(randomBytes: SecureBytes.random(count: 8))
            if try LicenseRecord.find(db, code: code) == nil { return code }
        }
        preconditionFailure("eight random 60-bit license codes collided")
    }

    /// Revokes a license: reversing transfers that name the originals, once.
    func revoke(_ id: LicenseID, reason: String) async throws -> LicenseRecord {
        let now = app.settings.clock.now()
        return try await app.database.write { db in
            guard var record = try LicenseRecord.fetchOne(db, key: id) else { throw Problem.notFound("License \(id)") }
            guard record.revokedAt == nil else {
                throw Problem.conflict("already-revoked", "License \(id) was already revoked on \(record.revokedAt!).")
            }
            try Ledger.reverseAll(db, of: .init(type: "license", id: id.rawValue), reason: "license.revoked",
                                  reversal: .init(type: "revocation", id: id.rawValue), now: now)
            record.revokedAt = now
            record.revokeReason = reason
            try record.update(db)
            return record
        }
    }
}
