import Catalog
import GRDB
import Ledger
import Licensing
import SyncletCore

// What one job of a group commit gathers while it books usage, and books at its end.
extension UsageBook {
    /// What one batch looks up again and again (licenses, assets with their splits, ledger
    /// accounts), and the money it has priced but not yet booked. Lives for one job of a
    /// group commit only: `flush` books what it holds in the same transaction, before the
    /// commit, so nothing outlives what it read and nothing is acknowledged unbooked.
    public final class BatchCache {
        var licenses = [LicenseID: LicenseRecord]()
        var splits = [AssetID: (AssetRecord, Splits)]()
        var accounts = [String: LedgerAccountID]()
        var allowed = [String: Bool]()
        /// Running totals per license and kind, read once and written back at the flush.
        var counters = [CounterKey: Counter]()
        /// Money priced per statement line (license, kind, platform, period), booked at the flush.
        var groups = [GroupKey: Group]()
        var groupOrder = [GroupKey]()
        /// Per wallet: what it had spent this period when first asked, and what this batch adds.
        var spent = [LedgerAccountID: Int64]()
        /// Per licensee: its monthly cap (nil inside: none).
        var caps = [PartyID: Int64?]()
        /// Per wallet: its balance when first asked, with what this batch charged and gave back since.
        var balances = [LedgerAccountID: Int64]()
        /// Per licensee: how far below zero usage may take its wallet.
        var creditLimits = [PartyID: Int64]()
        /// Per license reference as sent (id, code or key): the license it names (nil inside: none).
        var resolved = [String: LicenseID?]()
        /// The period the batch books into (its `now` is one instant).
        var period: String?

        public init() {}

        func account(_ db: Database, party: PartyID?, purpose: AccountPurpose, now: Timestamp) throws -> LedgerAccountID {
            let key = "\(party?.rawValue ?? "platform")|\(purpose.rawValue)"
            if let id = accounts[key] { return id }
            let id = try Ledger.account(db, party: party, purpose: purpose, now: now)
            accounts[key] = id
            return id
        }

        func counter(_ db: Database, license: LicenseID, kind: UsageKind) throws -> Counter {
            let key = CounterKey(license: license, kind: kind)
            if let counter = counters[key] { return counter }
            let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT total_quantity, charged_micros FROM usage_counter WHERE license_id = ? AND kind = ?"),
                                       arguments: [license.rawValue, kind.rawValue])
            let counter = Counter(total: row?["total_quantity"] ?? 0, charged: row?["charged_micros"] ?? 0)
            counters[key] = counter
            return counter
        }

        func group(_ key: GroupKey, license: LicenseRecord, asset: AssetRecord, wallet: LedgerAccountID) -> Group {
            if let group = groups[key] { return group }
            groupOrder.append(key)
            let group = Group(license: license, asset: asset, wallet: wallet)
            groups[key] = group
            return group
        }
    }

    struct CounterKey: Hashable {
        let license: LicenseID
        let kind: UsageKind
    }

    /// A license's running totals for one kind, and what this batch changed of them.
    final class Counter {
        var total: Int64
        var charged: Int64
        var quantityDelta: Int64 = 0
        var chargedDelta: Int64 = 0
        var usesDelta: Int64 = 0
        init(total: Int64, charged: Int64) {
            self.total = total
            self.charged = charged
        }
        func add(quantity: Int64, charged micros: Int64, uses: Int64) {
            total += quantity
            charged += micros
            quantityDelta += quantity
            chargedDelta += micros
            usesDelta += uses
        }
    }

    struct GroupKey: Hashable {
        let license: LicenseID
        let kind: UsageKind
        let platform: String
        let period: String
    }

    /// The sum of the events of one statement line in a batch: each event's own split, added
    /// up (so the totals are the same however events are batched), charges and reversals apart.
    final class Group {
        let license: LicenseRecord
        let asset: AssetRecord
        let wallet: LedgerAccountID
        var quantity: Int64 = 0
        var gross: Int64 = 0
        var fee: Int64 = 0
        var shares = [PartyID: Int64]()
        var shareOrder = [PartyID]()
        var reversedFee: Int64 = 0
        var reversedShares = [PartyID: Int64]()
        var reversedShareOrder = [PartyID]()
        /// The events behind the charges, and behind the reversals (their own rows' seq).
        var charged = SeqRange()
        var reversed = SeqRange()

        init(license: LicenseRecord, asset: AssetRecord, wallet: LedgerAccountID) {
            self.license = license
            self.asset = asset
            self.wallet = wallet
        }

        func add(seq: Int64, quantity: Int64, charge: Int64, split: EventSplit, sign: Int64) {
            if sign > 0 { charged.add(seq) } else { reversed.add(seq) }
            self.quantity += sign * quantity
            gross += sign * charge
            if sign > 0 {
                fee += split.fee
                for (party, amount) in split.shares {
                    if shares[party] == nil { shareOrder.append(party) }
                    shares[party, default: 0] += amount
                }
            } else {
                reversedFee += split.fee
                for (party, amount) in split.shares {
                    if reversedShares[party] == nil { reversedShareOrder.append(party) }
                    reversedShares[party, default: 0] += amount
                }
            }
        }
    }

    /// The usage_event seqs a transfer stands for, as `12` or `12...40`: the cause of the
    /// transfers a batch books (each event in the range has its own split on its row).
    struct SeqRange {
        var first: Int64 = .max
        var last: Int64 = .min
        mutating func add(_ seq: Int64) {
            first = min(first, seq)
            last = max(last, seq)
        }
        var text: String { first == last ? String(first) : "\(first)...\(last)" }
    }

    /// How one event's charge was divided, kept on its row so a reversal books its exact opposite.
    struct EventSplit {
        var fee: Int64
        var shares: [(PartyID, Int64)]

        /// `pty_…=12,pty_…=3`: compact, and enough to undo the event exactly.
        var encoded: String { shares.map { "\($0.0.rawValue)=\($0.1)" }.joined(separator: ",") }

        init(fee: Int64, shares: [(PartyID, Int64)]) {
            self.fee = fee
            self.shares = shares
        }

        init?(fee: Int64?, encoded: String?) {
            guard let fee, let encoded else { return nil }
            var shares = [(PartyID, Int64)]()
            for part in encoded.split(separator: ",") {
                let pair = part.split(separator: "=")
                guard pair.count == 2, let party = PartyID(String(pair[0])), let amount = Int64(pair[1]) else { return nil }
                shares.append((party, amount))
            }
            self.init(fee: fee, shares: shares)
        }
    }
}
