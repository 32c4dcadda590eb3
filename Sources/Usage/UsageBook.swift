import Catalog
import Foundation
import GRDB
import Ledger
import Licensing
import SyncletCore

/// One usage event as reported.
public struct UsageEventInput: Codable, Sendable, Equatable {
    public var eventID: String
    /// A license id (`lic_…`), code (`SYN-…`) or key (`v4.public.…`).
    public var license: String
    public var kind: UsageKind
    public var quantity: Int64
    public var platform: String
    public var channelID: String?
    public var videoID: String?
    public var country: String?
    public var occurredAt: Timestamp
    /// For a reversal: the `event_id` of the earlier event it takes back.
    public var reverses: String?

    public init(eventID: String, license: String, kind: UsageKind, quantity: Int64, platform: String, channelID: String? = nil,
                videoID: String? = nil, country: String? = nil, occurredAt: Timestamp, reverses: String? = nil) {
        self.eventID = eventID
        self.license = license
        self.kind = kind
        self.quantity = quantity
        self.platform = platform
        self.channelID = channelID
        self.videoID = videoID
        self.country = country
        self.occurredAt = occurredAt
        self.reverses = reverses
    }

    enum CodingKeys: String, CodingKey {
        case license, kind, quantity, platform, country, reverses
        case eventID = "event_id"
        case channelID = "channel_id"
        case videoID = "video_id"
        case occurredAt = "occurred_at"
    }
}

/// What became of one event.
public struct UsageEventResult: Codable, Sendable, Equatable {
    /// accepted, duplicate, flagged or rejected.
    public var status: String
    public var eventID: String?
    /// The 1-based position in the batch (the line number for NDJSON).
    public var line: Int
    public var reason: String?
    /// For flagged events: the envelope limit broken, and a template that would cover the use.
    public var limit: String?
    public var suggestedTemplate: String?
    public var chargedMicros: Int64?

    public init(status: String, eventID: String?, line: Int, reason: String? = nil, limit: String? = nil,
                suggestedTemplate: String? = nil, chargedMicros: Int64? = nil) {
        self.status = status
        self.eventID = eventID
        self.line = line
        self.reason = reason
        self.limit = limit
        self.suggestedTemplate = suggestedTemplate
        self.chargedMicros = chargedMicros
    }

    enum CodingKeys: String, CodingKey {
        case status, line, reason, limit
        case eventID = "event_id"
        case suggestedTemplate = "suggested_template"
        case chargedMicros = "charged_micros"
    }
}

/// Books usage: checks each event against its license's envelope, prices it cumulatively,
/// moves the charge from the licensee's wallet to the platform and the rights holders, and
/// updates the statement lines, all inside the caller's transaction.
public struct UsageBook: Sendable {
    public var templates: TemplateCatalog
    public var feeBasisPoints: BasisPoints
    /// Events dated further ahead than this are refused (clocks drift; the future does not report).
    public var futureToleranceSeconds: Int64
    /// Resolves a license key to its id after checking the signature; nil if it does not verify.
    public var keyResolver: @Sendable (String) -> LicenseID?

    public init(templates: TemplateCatalog, feeBasisPoints: BasisPoints, futureToleranceSeconds: Int64,
                keyResolver: @escaping @Sendable (String) -> LicenseID?) {
        self.templates = templates
        self.feeBasisPoints = feeBasisPoints
        self.futureToleranceSeconds = futureToleranceSeconds
        self.keyResolver = keyResolver
    }

    /// What one batch looks up again and again: licenses, assets with their splits, ledger
    /// accounts. Lives for one transaction only, so it never outlives what it read.
    public final class BatchCache {
        var licenses = [LicenseID: LicenseRecord]()
        var splits = [AssetID: (AssetRecord, Splits)]()
        var accounts = [String: LedgerAccountID]()
        var allowed = [String: Bool]()
        public init() {}

        func account(_ db: Database, party: PartyID?, purpose: AccountPurpose, now: Timestamp) throws -> LedgerAccountID {
            let key = "\(party?.rawValue ?? "platform")|\(purpose.rawValue)"
            if let id = accounts[key] { return id }
            let id = try Ledger.account(db, party: party, purpose: purpose, now: now)
            accounts[key] = id
            return id
        }
    }

    /// Books one event. Never throws for the event's own faults: those are results.
    public func book(_ db: Database, _ event: UsageEventInput, line: Int, reporter: PartyID, reporterKind: PartyKind,
                     now: Timestamp, cache: BatchCache = BatchCache()) throws -> UsageEventResult {
        func rejected(_ reason: String) -> UsageEventResult {
            UsageEventResult(status: "rejected", eventID: event.eventID, line: line, reason: reason)
        }
        if let seq = try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM usage_event WHERE reporter_id = ? AND event_id = ?"),
                                        arguments: [reporter.rawValue, event.eventID]) {
            _ = seq
            return UsageEventResult(status: "duplicate", eventID: event.eventID, line: line)
        }
        guard event.quantity > 0 else { return rejected("quantity must be positive") }
        guard event.occurredAt.millisecondsSince1970 <= now.millisecondsSince1970 + futureToleranceSeconds * 1000 else {
            return rejected("occurred_at is more than \(futureToleranceSeconds) s in the future")
        }
        guard let licenseID = resolve(db, event.license),
              let license = try cache.licenses[licenseID] ?? LicenseRecord.fetchOne(db, key: licenseID) else {
            return rejected("unknown license \(event.license.prefix(40))")
        }
        cache.licenses[licenseID] = license
        let allowedKey = "\(license.id.rawValue)|\(event.platform.lowercased())"
        let isAllowed = try cache.allowed[allowedKey] ?? allowed(db, license: license, platform: event.platform, reporter: reporter, kind: reporterKind)
        cache.allowed[allowedKey] = isAllowed
        guard isAllowed else {
            return rejected("unknown license \(event.license.prefix(40))")  // not yours: the same answer as unknown
        }
        if let original = event.reverses {
            cache.licenses[license.id] = nil  // a reversal changes counters; read fresh afterwards
            return try reverse(db, original: original, event: event, license: license, line: line, reporter: reporter, now: now)
        }
        guard license.revokedAt == nil else { return rejected("license \(license.code) is revoked") }

        let period = Period(containing: now).description
        let counter = try Row.fetchOne(db.cachedStatement(sql: "SELECT total_quantity, charged_micros, uses FROM usage_counter WHERE license_id = ? AND kind = ?"),
                                       arguments: [license.id.rawValue, event.kind.rawValue])
        let totalBefore: Int64 = counter?["total_quantity"] ?? 0
        let chargedBefore: Int64 = counter?["charged_micros"] ?? 0

        if let (limit, detail) = try envelopeBreach(db, license: license, event: event, totalBefore: totalBefore) {
            let suggest = templates.template(license.templateID)?.beyondEnvelope.suggest
            try insertEvent(db, event, reporter: reporter, license: license, period: period, status: "flagged", limit: limit,
                            detail: detail, suggest: suggest, charged: 0, reversesSeq: nil, now: now)
            return UsageEventResult(status: "flagged", eventID: event.eventID, line: line, reason: detail, limit: limit, suggestedTemplate: suggest)
        }

        let pricing = templates.template(license.templateID)?.pricing
        let rate = UsagePricing.rate(for: event.kind, pricing: (pricing?.per1000ViewsMicros ?? 0, pricing?.perPlayMicros ?? 0, pricing?.perUseMicros ?? 0))
        let totalAfter = totalBefore + event.quantity
        let charge = max(0, UsagePricing.chargeNow(totalQuantityAfter: totalAfter, alreadyChargedMicros: min(chargedBefore, Money.floorProduct(quantity: totalAfter, priceMicros: rate.priceMicros, per: rate.unit)),
                                                   priceMicros: rate.priceMicros, unit: rate.unit))
        let wallet = try cache.account(db, party: license.licenseeID, purpose: .licenseeWallet, now: now)
        if charge > 0, let cap = try SpendingCap.cap(db, party: license.licenseeID),
           try SpendingCap.spentThisMonth(db, wallet: wallet.rawValue, now: now) + charge > cap {
            let detail = "the licensee's monthly spending cap is reached"
            try insertEvent(db, event, reporter: reporter, license: license, period: period, status: "flagged", limit: "spending_cap",
                            detail: detail, suggest: nil, charged: 0, reversesSeq: nil, now: now)
            return UsageEventResult(status: "flagged", eventID: event.eventID, line: line, reason: detail, limit: "spending_cap")
        }
        try db.cachedStatement(sql: """
            INSERT INTO usage_counter (license_id, kind, total_quantity, charged_micros, uses) VALUES (?, ?, ?, ?, 1)
            ON CONFLICT (license_id, kind) DO UPDATE SET total_quantity = total_quantity + excluded.total_quantity,
                charged_micros = charged_micros + excluded.charged_micros, uses = uses + 1
            """).execute(arguments: [license.id.rawValue, event.kind.rawValue, event.quantity, charge])
        let seq = try insertEvent(db, event, reporter: reporter, license: license, period: period, status: "accepted", limit: nil,
                                  detail: nil, suggest: nil, charged: charge, reversesSeq: nil, now: now)
        try bookCharge(db, charge: charge, license: license, event: event, period: period, seq: seq, wallet: wallet, sign: 1, now: now,
                       cache: cache)
        return UsageEventResult(status: "accepted", eventID: event.eventID, line: line, chargedMicros: charge)
    }

    /// Splits a charge (or, with sign -1, takes back a charge's statement lines) and books it.
    func bookCharge(_ db: Database, charge: Int64, license: LicenseRecord, event: UsageEventInput, period: String, seq: Int64,
                    wallet: LedgerAccountID, sign: Int64, now: Timestamp, cache: BatchCache = BatchCache()) throws {
        let asset: AssetRecord
        let splits: Splits
        if let cached = cache.splits[license.assetID] {
            (asset, splits) = cached
        } else {
            guard let found = try AssetRecord.fetchOne(db, key: license.assetID) else { return }
            asset = found
            splits = try Splits(validating: CatalogStore.effectiveSplits(db, asset: found).shares)
            cache.splits[license.assetID] = (asset, splits)
        }
        let split = ChargeSplit(priceMicros: charge, feeBasisPoints: feeBasisPoints, splits: splits)
        let cause = Ledger.Cause(type: "usage", id: String(seq))
        if sign > 0 {
            let revenue = try cache.account(db, party: nil, purpose: .platformRevenue, now: now)
            try Ledger.transfer(db, from: wallet, to: revenue, amount: split.feeMicros, reason: "usage.fee", cause: cause, now: now)
        }
        for share in split.shares {
            if sign > 0 {
                let earnings = try cache.account(db, party: share.partyID, purpose: .composerEarnings, now: now)
                try Ledger.transfer(db, from: wallet, to: earnings, amount: share.amount, reason: "usage.share", cause: cause, now: now)
            }
            try db.cachedStatement(sql: """
                INSERT INTO earnings_line (party_id, period, asset_id, template_id, platform, kind, quantity, gross_micros, fee_micros, share_micros)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (party_id, period, asset_id, template_id, platform, kind) DO UPDATE SET
                    quantity = quantity + excluded.quantity, gross_micros = gross_micros + excluded.gross_micros,
                    fee_micros = fee_micros + excluded.fee_micros, share_micros = share_micros + excluded.share_micros
                """).execute(arguments: [share.partyID.rawValue, period, asset.id.rawValue, license.templateID, event.platform,
                                         event.kind.rawValue, sign * event.quantity, sign * charge, sign * split.feeMicros, sign * share.amount])
        }
    }

    /// A reversal event takes back an earlier one: the exact opposite transfers, once.
    func reverse(_ db: Database, original: String, event: UsageEventInput, license: LicenseRecord, line: Int, reporter: PartyID,
                 now: Timestamp) throws -> UsageEventResult {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM usage_event WHERE reporter_id = ? AND event_id = ?",
                                         arguments: [reporter.rawValue, original]) else {
            return UsageEventResult(status: "rejected", eventID: event.eventID, line: line, reason: "reverses an unknown event \(original)")
        }
        let seq: Int64 = row["seq"]
        let alreadyReversed = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM usage_event WHERE reverses_seq = ?)", arguments: [seq]) ?? false
        guard !alreadyReversed else {
            return UsageEventResult(status: "rejected", eventID: event.eventID, line: line, reason: "event \(original) was already reversed")
        }
        let status: String = row["status"]
        guard status == "accepted" || status == "flagged", row["license_id"] as String == license.id.rawValue else {
            return UsageEventResult(status: "rejected", eventID: event.eventID, line: line, reason: "event \(original) cannot be reversed by this event")
        }
        let charged: Int64 = row["charged_micros"]
        let kind: String = row["kind"]
        let quantity: Int64 = row["quantity"]
        let period = Period(containing: now).description
        let reversalSeq = try insertEvent(db, event, reporter: reporter, license: license, period: period, status: "reversal", limit: nil,
                                          detail: "reverses \(original)", suggest: nil, charged: 0, reversesSeq: seq, now: now)
        if status == "accepted" {
            try Ledger.reverseAll(db, of: .init(type: "usage", id: String(seq)), reason: "usage.reversal",
                                  reversal: .init(type: "usage-reversal", id: String(reversalSeq)), now: now)
            try db.execute(sql: """
                UPDATE usage_counter SET total_quantity = total_quantity - ?, charged_micros = charged_micros - ?, uses = uses - 1
                WHERE license_id = ? AND kind = ?
                """, arguments: [quantity, charged, license.id.rawValue, kind])
            var original = event
            original.kind = UsageKind(rawValue: kind) ?? event.kind
            original.quantity = quantity
            original.platform = row["platform"]
            let wallet = try Ledger.account(db, party: license.licenseeID, purpose: .licenseeWallet, now: now)
            try bookCharge(db, charge: charged, license: license, event: original, period: period, seq: seq, wallet: wallet, sign: -1, now: now)
        }
        return UsageEventResult(status: "accepted", eventID: event.eventID, line: line, reason: "reversed \(original)", chargedMicros: -charged)
    }

    /// The first envelope limit an event breaks, if any.
    func envelopeBreach(_ db: Database, license: LicenseRecord, event: UsageEventInput, totalBefore: Int64) throws -> (String, String)? {
        let envelope = license.envelope
        if let platforms = envelope.platforms, !platforms.contains(event.platform.lowercased()) {
            return ("platforms", "\(event.platform) is not covered by \(license.templateID)")
        }
        // Reporters' clocks drift: the same tolerance as for future dates applies before issuance.
        let skew = futureToleranceSeconds * 1000
        if event.occurredAt.millisecondsSince1970 < license.issuedAt.millisecondsSince1970 - skew
            || (license.expiresAt.map { event.occurredAt >= $0 } ?? false) {
            return ("term_days", "the use on \(event.occurredAt) is outside the license's term")
        }
        if let territories = envelope.territories, let country = event.country, !territories.contains(country.uppercased()) {
            return ("territories", "\(country) is not covered by \(license.templateID)")
        }
        if event.kind == .view, let max = envelope.maxViews, totalBefore + event.quantity > max {
            return ("max_views", "\(totalBefore + event.quantity) views are over the \(max) allowed")
        }
        if event.kind == .use, let max = envelope.maxUses, totalBefore + event.quantity > Int64(max) {
            return ("max_uses", "\(totalBefore + event.quantity) productions are over the \(max) allowed")
        }
        return nil
    }

    func resolve(_ db: Database, _ reference: String) -> LicenseID? {
        if let id = LicenseID(reference) { return id }
        if let code = LicenseCode.normalize(reference) {
            return try? String.fetchOne(db, sql: "SELECT id FROM license WHERE code = ?", arguments: [code]).flatMap { LicenseID($0) }
        }
        if reference.hasPrefix("v4.public.") { return keyResolver(reference) }
        return nil
    }

    /// Licensees report on their own licenses; reporters on licenses used on the platforms
    /// they are registered for; the operator on any.
    func allowed(_ db: Database, license: LicenseRecord, platform: String, reporter: PartyID, kind: PartyKind) throws -> Bool {
        switch kind {
        case .admin: return true
        case .licensee: return license.licenseeID == reporter
        case .reporter:
            return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM reporter_platform WHERE reporter_id = ? AND platform = ?)",
                                     arguments: [reporter.rawValue, platform.lowercased()]) ?? false
        case .composer: return false
        }
    }

    @discardableResult
    func insertEvent(_ db: Database, _ event: UsageEventInput, reporter: PartyID, license: LicenseRecord, period: String, status: String,
                     limit: String?, detail: String?, suggest: String?, charged: Int64, reversesSeq: Int64?, now: Timestamp) throws -> Int64 {
        try db.cachedStatement(sql: """
            INSERT INTO usage_event (reporter_id, event_id, license_id, kind, quantity, platform, channel_id, video_id, country,
                occurred_at, received_at, period, status, flag_limit, flag_detail, suggested_template, charged_micros, reverses_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [reporter.rawValue, event.eventID, license.id.rawValue, event.kind.rawValue, event.quantity,
                                     event.platform.lowercased(), event.channelID, event.videoID, event.country?.uppercased(),
                                     event.occurredAt.millisecondsSince1970, now.millisecondsSince1970, period, status, limit, detail,
                                     suggest, charged, reversesSeq])
        return db.lastInsertedRowID
    }
}
