import Catalog
import Foundation
import GRDB
import Ledger
import Licensing
import SyncletCore

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
    /// Events are booked in the period (of this calendar) they arrive in.
    public var periods: PeriodCalendar
    /// The largest quantity one event may report, per kind (`usage-max-…-per-event`); a kind
    /// without an entry is bounded by the API document's 10^12 only.
    public var quantityPerEventMax: [UsageKind: Int64] = [:]
    /// How far below zero usage may take a wallet, for licensees without a limit of their own.
    public var creditLimitDefaultMicros: Int64 = 0

    public init(templates: TemplateCatalog, feeBasisPoints: BasisPoints, futureToleranceSeconds: Int64, periods: PeriodCalendar,
                keyResolver: @escaping @Sendable (String) -> LicenseID?) {
        self.periods = periods
        self.templates = templates
        self.feeBasisPoints = feeBasisPoints
        self.futureToleranceSeconds = futureToleranceSeconds
        self.keyResolver = keyResolver
    }

    /// Books one event. Never throws for the event's own faults: those are results. Its money
    /// waits in `cache` until `flush`, which the caller runs before the job ends.
    public func book(_ db: Database, _ event: UsageEventInput, line: Int, reporter: PartyID, reporterKind: PartyKind,
                     now: Timestamp, cache: BatchCache) throws -> UsageEventResult {
        let duplicate = UsageEventResult(status: "duplicate", eventID: event.eventID, line: line)
        func isReplay() throws -> Bool {
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT seq FROM usage_event WHERE reporter_id = ? AND event_id = ?"),
                               arguments: [reporter.rawValue, event.eventID]) != nil
        }
        // A replay changes nothing and answers `duplicate`, whatever would become of it now.
        // Events that would be stored find out from their own insert (the event id is unique
        // per reporter); the others, and reversals, ask first.
        func rejected(_ reason: String) throws -> UsageEventResult {
            try isReplay() ? duplicate : UsageEventResult(status: "rejected", eventID: event.eventID, line: line, reason: reason)
        }
        guard event.quantity > 0 else { return try rejected("quantity must be positive") }
        if event.reverses == nil, let ceiling = quantityPerEventMax[event.kind], event.quantity > ceiling {
            return try rejected("quantity \(event.quantity) is over the \(ceiling) one \(event.kind.rawValue) event may report "
                                + "(usage-max-\(event.kind == .seconds ? "seconds" : event.kind.rawValue + "s")-per-event); report it as several events")
        }
        guard event.occurredAt.millisecondsSince1970 <= now.millisecondsSince1970 + futureToleranceSeconds * 1000 else {
            return try rejected("occurred_at is more than \(futureToleranceSeconds) s in the future")
        }
        if reporterKind == .reporter {
            // A reporter's platforms are the operator's to give; saying which one is missing
            // tells nothing about any license, so it is said before a license is looked up.
            let platformKey = "platform|\(event.platform.lowercased())"
            let mayReport = try cache.allowed[platformKey] ?? Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM reporter_platform WHERE reporter_id = ? AND platform = ?)",
                arguments: [reporter.rawValue, event.platform.lowercased()]) ?? false
            cache.allowed[platformKey] = mayReport
            guard mayReport else {
                return try rejected("you may not report usage on \(event.platform.prefix(40)); the operator sets the platforms a reporter speaks for")
            }
        }
        let resolved = cache.resolved[event.license] ?? resolve(db, event.license)
        cache.resolved[event.license] = .some(resolved)
        guard let licenseID = resolved,
              let license = try cache.licenses[licenseID] ?? LicenseRecord.fetchOne(db, key: licenseID) else {
            return try rejected("unknown license \(event.license.prefix(40))")
        }
        cache.licenses[licenseID] = license
        let allowedKey = "\(license.id.rawValue)|\(event.platform.lowercased())"
        let isAllowed = try cache.allowed[allowedKey] ?? allowed(db, license: license, platform: event.platform, reporter: reporter, kind: reporterKind)
        cache.allowed[allowedKey] = isAllowed
        guard isAllowed else {
            return try rejected("unknown license \(event.license.prefix(40))")  // not yours: the same answer as unknown
        }
        let period = cache.period ?? periods.period(containing: now).description
        cache.period = period
        if let original = event.reverses {
            guard try !isReplay() else { return duplicate }
            return try reverse(db, original: original, event: event, license: license, line: line, reporter: reporter, period: period,
                               now: now, cache: cache)
        }
        guard license.revokedAt == nil else { return try rejected("license \(license.code) is revoked") }

        let counter = try cache.counter(db, license: license.id, kind: event.kind)
        if let (limit, detail) = try envelopeBreach(db, license: license, event: event, totalBefore: counter.total) {
            let suggest = templates.template(license.templateID)?.beyondEnvelope.suggest
            guard try insertEvent(db, event, reporter: reporter, license: license, period: period, status: "flagged", limit: limit,
                                  detail: detail, suggest: suggest, charged: 0, split: nil, reversesSeq: nil, now: now) != nil else { return duplicate }
            return UsageEventResult(status: "flagged", eventID: event.eventID, line: line, reason: detail, limit: limit, suggestedTemplate: suggest)
        }

        let wallet: LedgerAccountID
        let charge: Int64
        switch try price(db, license: license, kind: event.kind, quantity: event.quantity, counter: counter, now: now, cache: cache) {
        case .unpriceable:
            return try rejected("quantity \(event.quantity) would take the license's running total beyond what can be priced")
        case .refused(let limit, let detail):
            guard try insertEvent(db, event, reporter: reporter, license: license, period: period, status: "flagged", limit: limit,
                                  detail: detail, suggest: nil, charged: 0, split: nil, reversesSeq: nil, now: now) != nil else { return duplicate }
            return UsageEventResult(status: "flagged", eventID: event.eventID, line: line, reason: detail, limit: limit)
        case .charge(let amount, let account):
            (charge, wallet) = (amount, account)
        }
        guard let (asset, splits) = try assetSplits(db, license: license, cache: cache) else {
            return try rejected("the licensed asset no longer exists")
        }
        let divided = ChargeSplit(priceMicros: charge, feeBasisPoints: feeBasisPoints, splits: splits)
        let split = EventSplit(fee: divided.feeMicros, shares: divided.shares.map { ($0.partyID, $0.amount) })
        guard let seq = try insertEvent(db, event, reporter: reporter, license: license, period: period, status: "accepted", limit: nil,
                                        detail: nil, suggest: nil, charged: charge, split: split, reversesSeq: nil, now: now) else { return duplicate }
        addCharge(seq: seq, license: license, asset: asset, wallet: wallet, kind: event.kind, platform: event.platform.lowercased(),
                  quantity: event.quantity, charge: charge, split: split, period: period, counter: counter, cache: cache)
        return UsageEventResult(status: "accepted", eventID: event.eventID, line: line, chargedMicros: charge)
    }

    /// What a use of `quantity` costs now, on top of what the license was charged: the one
    /// pricing rule for events as they arrive and for events charged later (`settleUnpaid`).
    enum Pricing {
        case charge(Int64, wallet: LedgerAccountID)
        /// Past what the books can hold: rejected.
        case unpriceable
        /// The spending cap or the credit limit stands in the way: flagged with this limit.
        case refused(limit: String, detail: String)
    }

    func price(_ db: Database, license: LicenseRecord, kind: UsageKind, quantity: Int64, counter: Counter, now: Timestamp,
               cache: BatchCache) throws -> Pricing {
        // The prices it was sold with; the template's current ones only for older licenses.
        let pricing = license.pricing ?? templates.template(license.templateID)?.pricing
        let rate = UsagePricing.rate(for: kind, pricing: (pricing?.per1000ViewsMicros ?? 0, pricing?.perPlayMicros ?? 0, pricing?.perUseMicros ?? 0))
        // Totals this large are not usage but a mistake; refuse them rather than overflow.
        // The database refuses totals and amounts past these (see `Ledger.integerChecks`):
        // such an event is rejected here, before anything of it is booked.
        let (totalAfter, overflow) = counter.total.addingReportingOverflow(quantity)
        guard !overflow, let due = UsagePricing.dueMicros(total: totalAfter, rate: rate) else { return .unpriceable }
        let charge = max(0, due - min(counter.charged, due))
        let wallet = try cache.account(db, party: license.licenseeID, purpose: .licenseeWallet, now: now)
        guard charge > 0 else { return .charge(0, wallet: wallet) }
        let cap = try cache.caps[license.licenseeID] ?? SpendingCap.cap(db, party: license.licenseeID)
        cache.caps[license.licenseeID] = .some(cap)
        if let cap {
            let spent = try cache.spent[wallet] ?? SpendingCap.spent(db, wallet: wallet.rawValue, since: periods.startOfPeriod(containing: now))
            cache.spent[wallet] = spent
            let (after, overflow) = spent.addingReportingOverflow(charge)
            if overflow || after > cap { return .refused(limit: "spending_cap", detail: "the licensee's monthly spending cap is reached") }
        }
        let balance = try cache.balances[wallet] ?? Ledger.balance(db, wallet)
        cache.balances[wallet] = balance
        let limit = try cache.creditLimits[license.licenseeID] ?? CreditLimit.limit(db, party: license.licenseeID) ?? creditLimitDefaultMicros
        cache.creditLimits[license.licenseeID] = limit
        let (after, overflowed) = balance.subtractingReportingOverflow(charge)
        if overflowed || after < -limit {
            return .refused(limit: "insufficient_funds",
                            detail: "the licensee's wallet cannot pay \(Money(micros: charge)) (it holds \(Money(micros: balance)); "
                                + "usage may take it to \(Money(micros: -limit)) at most): it is charged when the wallet is topped up")
        }
        return .charge(charge, wallet: wallet)
    }

    /// Counts an accepted charge in the batch: the wallet's spend and balance, the license's
    /// counter, and the statement line it is booked on at the flush.
    func addCharge(seq: Int64, license: LicenseRecord, asset: AssetRecord, wallet: LedgerAccountID, kind: UsageKind, platform: String,
                   quantity: Int64, charge: Int64, split: EventSplit, period: String, counter: Counter, cache: BatchCache) {
        if let spent = cache.spent[wallet] { cache.spent[wallet] = spent + charge }
        if let balance = cache.balances[wallet] { cache.balances[wallet] = balance - charge }
        counter.add(quantity: quantity, charged: charge, uses: 1)
        let key = GroupKey(license: license.id, kind: kind, platform: platform, period: period)
        cache.group(key, license: license, asset: asset, wallet: wallet).add(seq: seq, quantity: quantity, charge: charge, split: split, sign: 1)
    }

    /// Charges, oldest first, the events of `licensee` flagged `insufficient_funds` that its
    /// wallet can pay now (call it in the transaction that credited the wallet), as if they
    /// arrived now: priced by the same rule at the license's running total, booked in the
    /// current period, shares split as for any event. Stops at the first it cannot pay, so
    /// uses are charged in the order they were reported. Returns how many were charged.
    public func settleUnpaid(_ db: Database, licensee: PartyID, now: Timestamp, countMax: Int = 10_000) throws -> Int {
        let rows = try Row.fetchAll(db, sql: """
            SELECT e.seq, e.license_id, e.kind, e.quantity, e.platform FROM usage_event e JOIN license l ON l.id = e.license_id
            WHERE l.licensee_id = ? AND e.status = 'flagged' AND e.flag_limit = 'insufficient_funds' ORDER BY e.seq LIMIT ?
            """, arguments: [licensee.rawValue, countMax])
        guard !rows.isEmpty else { return 0 }
        let cache = BatchCache()
        let period = periods.period(containing: now).description
        var settled = 0
        for row in rows {
            let seq: Int64 = row[0]
            let quantity: Int64 = row[3]
            let platform: String = row[4]
            guard let licenseID = LicenseID(row[1] as String), let kind = UsageKind(rawValue: row[2]),
                  let license = try cache.licenses[licenseID] ?? LicenseRecord.fetchOne(db, key: licenseID) else { continue }
            cache.licenses[licenseID] = license
            guard license.revokedAt == nil else { continue }  // stays flagged: a revoked license charges nothing more
            let counter = try cache.counter(db, license: license.id, kind: kind)
            guard case .charge(let charge, let wallet) = try price(db, license: license, kind: kind, quantity: quantity, counter: counter,
                                                                  now: now, cache: cache) else { break }
            guard let (asset, splits) = try assetSplits(db, license: license, cache: cache) else { continue }
            let divided = ChargeSplit(priceMicros: charge, feeBasisPoints: feeBasisPoints, splits: splits)
            let split = EventSplit(fee: divided.feeMicros, shares: divided.shares.map { ($0.partyID, $0.amount) })
            try db.execute(sql: """
                UPDATE usage_event SET status = 'accepted', flag_limit = NULL, flag_detail = NULL, charged_micros = ?, fee_micros = ?,
                    shares = ?, period = ? WHERE seq = ? AND status = 'flagged'
                """, arguments: [charge, split.fee, split.encoded, period, seq])
            addCharge(seq: seq, license: license, asset: asset, wallet: wallet, kind: kind, platform: platform, quantity: quantity,
                      charge: charge, split: split, period: period, counter: counter, cache: cache)
            settled += 1
        }
        try flush(db, cache: cache, now: now)
        return settled
    }

    func assetSplits(_ db: Database, license: LicenseRecord, cache: BatchCache) throws -> (AssetRecord, Splits)? {
        if let cached = cache.splits[license.assetID] { return cached }
        guard let asset = try AssetRecord.fetchOne(db, key: license.assetID) else { return nil }
        let splits = try Splits(validating: CatalogStore.effectiveSplits(db, asset: asset).shares)
        cache.splits[license.assetID] = (asset, splits)
        return (asset, splits)
    }

    /// Books what `cache` holds: per statement line, one transfer per recipient for the
    /// charges and one back per recipient for the reversals, one line update per rights
    /// holder, and one counter update per license and kind. Call once, at the end of the job.
    public func flush(_ db: Database, cache: BatchCache, now: Timestamp) throws {
        for key in cache.groupOrder {
            guard let group = cache.groups[key] else { continue }
            // Charges name the events they bill; reversals name the reversal events (each of
            // which names its original in `reverses_seq`).
            let cause = Ledger.Cause(type: "usage", id: group.charged.text)
            let reversalCause = Ledger.Cause(type: "usage-reversal", id: group.reversed.text)
            let revenue = try cache.account(db, party: nil, purpose: .platformRevenue, now: now)
            try Ledger.transfer(db, from: group.wallet, to: revenue, amount: group.fee, reason: "usage.fee", cause: cause, now: now)
            try Ledger.transfer(db, from: revenue, to: group.wallet, amount: group.reversedFee, reason: "usage.reversal", cause: reversalCause, now: now)
            var parties = group.shareOrder
            for party in group.reversedShareOrder where group.shares[party] == nil { parties.append(party) }
            for party in parties {
                let earnings = try cache.account(db, party: party, purpose: .composerEarnings, now: now)
                let earned = group.shares[party] ?? 0
                let takenBack = group.reversedShares[party] ?? 0
                try Ledger.transfer(db, from: group.wallet, to: earnings, amount: earned, reason: "usage.share", cause: cause, now: now)
                try Ledger.transfer(db, from: earnings, to: group.wallet, amount: takenBack, reason: "usage.reversal", cause: reversalCause, now: now)
                try db.cachedStatement(sql: """
                    INSERT INTO earnings_line (party_id, period, asset_id, template_id, platform, kind, quantity, gross_micros, fee_micros, share_micros)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (party_id, period, asset_id, template_id, platform, kind) DO UPDATE SET
                        quantity = quantity + excluded.quantity, gross_micros = gross_micros + excluded.gross_micros,
                        fee_micros = fee_micros + excluded.fee_micros, share_micros = share_micros + excluded.share_micros
                    """).execute(arguments: [party.rawValue, key.period, group.asset.id.rawValue, group.license.templateID, key.platform,
                                             key.kind.rawValue, group.quantity, group.gross, group.fee - group.reversedFee, earned - takenBack])
            }
        }
        for (key, counter) in cache.counters where counter.quantityDelta != 0 || counter.usesDelta != 0 || counter.chargedDelta != 0 {
            try db.cachedStatement(sql: """
                INSERT INTO usage_counter (license_id, kind, total_quantity, charged_micros, uses) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (license_id, kind) DO UPDATE SET total_quantity = total_quantity + excluded.total_quantity,
                    charged_micros = charged_micros + excluded.charged_micros, uses = uses + excluded.uses
                """).execute(arguments: [key.license.rawValue, key.kind.rawValue, counter.quantityDelta, counter.chargedDelta, counter.usesDelta])
        }
        cache.groups = [:]
        cache.groupOrder = []
        cache.counters = [:]
        cache.spent = [:]
        cache.balances = [:]
    }

    /// A reversal event takes back an earlier one: the exact opposite of its money, once.
    func reverse(_ db: Database, original: String, event: UsageEventInput, license: LicenseRecord, line: Int, reporter: PartyID,
                 period: String, now: Timestamp, cache: BatchCache) throws -> UsageEventResult {
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
        let kind = UsageKind(rawValue: row["kind"]) ?? event.kind
        let quantity: Int64 = row["quantity"]
        let platform: String = row["platform"]
        let split = status == "accepted" ? try EventSplit(fee: row["fee_micros"], encoded: row["shares"]) ?? bookedSplit(db, seq: seq) : nil
        // Everything that could refuse the reversal is checked before its row is stored.
        var asset: AssetRecord?
        if split != nil {
            guard let (found, _) = try assetSplits(db, license: license, cache: cache) else {
                return UsageEventResult(status: "rejected", eventID: event.eventID, line: line, reason: "the licensed asset no longer exists")
            }
            asset = found
        }
        guard let reversalSeq = try insertEvent(db, event, reporter: reporter, license: license, period: period, status: "reversal",
                                                limit: nil, detail: "reverses \(original)", suggest: nil, charged: 0, split: nil,
                                                reversesSeq: seq, now: now) else {
            return UsageEventResult(status: "duplicate", eventID: event.eventID, line: line)
        }
        if status == "accepted" {
            let wallet = try cache.account(db, party: license.licenseeID, purpose: .licenseeWallet, now: now)
            if let split, let asset {
                try cache.counter(db, license: license.id, kind: kind).add(quantity: -quantity, charged: -charged, uses: -1)
                let key = GroupKey(license: license.id, kind: kind, platform: platform, period: period)
                cache.group(key, license: license, asset: asset, wallet: wallet).add(seq: reversalSeq, quantity: quantity, charge: charged,
                                                                                     split: split, sign: -1)
                if cache.spent[wallet] != nil { cache.spent[wallet]! -= charged }
                let balance = try cache.balances[wallet] ?? Ledger.balance(db, wallet)
                cache.balances[wallet] = balance + charged
            }
        }
        return UsageEventResult(status: "accepted", eventID: event.eventID, line: line, reason: "reversed \(original)", chargedMicros: -charged)
    }

    /// How an event booked before events kept their split was divided, read back from the
    /// transfers booked for it alone (then, each event had its own, caused by its seq).
    func bookedSplit(_ db: Database, seq: Int64) throws -> EventSplit {
        let rows = try Row.fetchAll(db, sql: """
            SELECT t.amount_micros, a.purpose, a.party_id FROM ledger_transfer t JOIN ledger_account a ON a.id = t.credit_account
            WHERE t.cause_type = 'usage' AND t.cause_id = ? AND t.reason IN ('usage.fee', 'usage.share') ORDER BY t.rowid
            """, arguments: [String(seq)])
        var split = EventSplit(fee: 0, shares: [])
        for row in rows {
            let amount: Int64 = row["amount_micros"]
            if row["purpose"] as String == AccountPurpose.platformRevenue.rawValue {
                split.fee += amount
            } else if let party = (row["party_id"] as String?).flatMap(PartyID.init) {
                split.shares.append((party, amount))
            }
        }
        return split
    }

    /// The first envelope limit an event breaks, if any.
    func envelopeBreach(_ db: Database, license: LicenseRecord, event: UsageEventInput, totalBefore: Int64) throws -> (String, String)? {
        let envelope = license.envelope
        if let platforms = envelope.platforms, !platforms.contains(event.platform.lowercased()) {
            return ("platforms", "\(event.platform) is not covered by \(license.templateID)")
        }
        // Reporters' clocks drift: the same tolerance as for future dates applies before issuance.
        let skew = futureToleranceSeconds * 1000
        if event.occurredAt.millisecondsSince1970 < license.issuedAt.millisecondsSince1970 - skew {
            return ("term_days", "the use on \(event.occurredAt) is before the license was issued (\(license.issuedAt))")
        }
        if let expiry = license.expiresAt, event.occurredAt >= expiry {
            return ("term_days", "the use on \(event.occurredAt) is after the license expired (\(expiry))")
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

    /// Stores an event; nil when the reporter already sent this event id (a replay).
    @discardableResult
    func insertEvent(_ db: Database, _ event: UsageEventInput, reporter: PartyID, license: LicenseRecord, period: String, status: String,
                     limit: String?, detail: String?, suggest: String?, charged: Int64, split: EventSplit?, reversesSeq: Int64?,
                     now: Timestamp) throws -> Int64? {
        try db.cachedStatement(sql: """
            INSERT INTO usage_event (reporter_id, event_id, license_id, kind, quantity, platform, channel_id, video_id, country,
                occurred_at, received_at, period, status, flag_limit, flag_detail, suggested_template, charged_micros, reverses_seq,
                fee_micros, shares)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (reporter_id, event_id) DO NOTHING
            """).execute(arguments: [reporter.rawValue, event.eventID, license.id.rawValue, event.kind.rawValue, event.quantity,
                                     event.platform.lowercased(), event.channelID, event.videoID, event.country?.uppercased(),
                                     event.occurredAt.millisecondsSince1970, now.millisecondsSince1970, period, status, limit, detail,
                                     suggest, charged, reversesSeq, split?.fee, split?.encoded])
        return db.changesCount == 1 ? db.lastInsertedRowID : nil
    }
}
