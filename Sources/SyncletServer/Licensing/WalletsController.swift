import Catalog
import HTTPTypes
import Foundation
import GRDB
import Hummingbird
import Ledger
import Licensing
import SyncletCore
import SyncletCrypto

/// Licensee wallets: balance and movements; the operator's grants; the payment provider's
/// signed webhook.
struct WalletsController {
    let app: AppServices

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/v1/wallet", use: own)
        router.get("/v1/wallets/:party", use: other)
        router.post("/v1/wallets/:party/grants", use: grant)
        router.post("/v1/webhooks/payments", use: payment)
    }

    @Sendable func own(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Wallet> {
        let party = try context.requireParty(.licensee)
        return JSONResponse(try await wallet(of: party.id))
    }

    @Sendable func other(_ request: Request, context: AppRequestContext) async throws -> JSONResponse<Wire.Wallet> {
        _ = try context.requireAdmin()
        return JSONResponse(try await wallet(of: try await licensee(context).id))
    }

    func wallet(of party: PartyID) async throws -> Wire.Wallet {
        let now = app.settings.clock.now()
        let movementCountMax = app.settings.limits.walletMovementCountMax
        let (balance, movements) = try await app.database.write { db -> (Int64, [Wire.Movement]) in
            let account = try Ledger.account(db, party: party, purpose: .licenseeWallet, now: now)
            let movements = try Ledger.movements(db, account: account, before: nil, limit: movementCountMax).map {
                Wire.Movement(id: $0.id.rawValue, amountMicros: $0.creditAccount == account ? $0.amountMicros : -$0.amountMicros,
                              reason: $0.reason, cause: "\($0.causeType):\($0.causeID)", at: $0.createdAt)
            }
            return (try Ledger.balance(db, account), movements)
        }
        return Wire.Wallet(partyID: party, currency: app.settings.currency, balanceMicros: balance, movements: movements)
    }

    /// The licensee named in the path; 404 for anyone else.
    func licensee(_ context: AppRequestContext) async throws -> PartyRecord {
        let text = context.parameters.get("party") ?? ""
        guard let id = PartyID(text), let party = try await app.catalog.party(id), party.kind == .licensee else {
            throw Problem.notFound("Licensee \(text)")
        }
        return party
    }

    /// The operator credits a wallet (promotional or manual credit). Idempotent.
    @Sendable func grant(_ request: Request, context: AppRequestContext) async throws -> Response {
        let admin = try context.requireAdmin()
        let key = try LicensingController.idempotencyKey(request)
        let target = try await licensee(context)
        var request = request
        let bytes = try await request.collectLimitedBody(upTo: app.settings.limits.jsonBodyByteCountMax)
        let body = try request.decodeJSON(Wire.Grant.self, schema: "Grant", bytes: bytes)
        let creditMax = app.settings.limits.walletCreditMicrosMax
        guard body.amountMicros > 0, body.amountMicros <= creditMax else {
            throw Problem.invalid("amount_micros must be from 1 to \(creditMax).", field: "amount_micros")
        }
        let now = app.settings.clock.now()
        let hash = SHA256Hasher.digest(Array(target.id.rawValue.utf8) + Array(bytes.readableBytesView)).hex
        let route = "POST /v1/wallets/{party}/grants"
        let book = UsageController.book(app)
        let stored = try await app.database.write { db -> Idempotency.Stored in
            if let stored = try Idempotency.replay(db, party: admin.id, key: key, route: route, requestSHA256: hash) { return stored }
            let grants = try Ledger.account(db, party: nil, purpose: .grants, now: now)
            let wallet = try Ledger.account(db, party: target.id, purpose: .licenseeWallet, now: now)
            let id = try Ledger.transfer(db, from: grants, to: wallet, amount: body.amountMicros, reason: "wallet.grant",
                                         cause: .init(type: "grant", id: key), now: now)!
            // Uses flagged for want of funds are charged now, in this transaction, oldest first.
            _ = try book.settleUnpaid(db, licensee: target.id, now: now)
            let answer = ["transfer_id": id.rawValue, "party_id": target.id.rawValue,
                          "amount_micros": String(body.amountMicros), "balance_micros": String(try Ledger.balance(db, wallet))]
            let stored = Idempotency.Stored(status: 201, body: try JSONWriter.string(answer))
            try Idempotency.record(db, party: admin.id, key: key, route: route, requestSHA256: hash, stored: stored, now: now)
            return stored
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .init(code: stored.status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: stored.body)))
    }

    /// The payment provider's notice of a payment, signed with HMAC-SHA256 over
    /// `timestamp.body` (header `Synclet-Signature: t=UNIX,v1=HEX`), at most five minutes
    /// old. Each payment id is credited once; a replay answers 200 and changes nothing.
    @Sendable func payment(_ request: Request, context: AppRequestContext) async throws -> Response {
        var request = request
        let bytes = Array(try await request.collectLimitedBody(upTo: app.settings.limits.jsonBodyByteCountMax).readableBytesView)
        let now = app.settings.clock.now()
        try WebhookSignature.verify(header: request.headers[.webhookSignature], body: bytes, secret: app.webhookSecret,
                                    now: now, toleranceSeconds: app.settings.limits.webhookToleranceSeconds)
        let notice = try request.decodeJSON(Wire.PaymentNotice.self, schema: "PaymentNotice", bytes: ByteBuffer(bytes: bytes))
        let creditMax = app.settings.limits.walletCreditMicrosMax
        guard notice.amountMicros > 0, notice.amountMicros <= creditMax, !notice.paymentID.isEmpty, notice.paymentID.count <= 200 else {
            throw Problem.invalid("amount_micros must be from 1 to \(creditMax) and payment_id 1 to 200 characters.", field: "amount_micros")
        }
        guard let party = try await app.catalog.party(notice.licenseeID), party.kind == .licensee else {
            throw Problem.invalid("licensee_id \(notice.licenseeID) is not a licensee.", field: "licensee_id")
        }
        let book = UsageController.book(app)
        let credited = try await app.database.write { db -> Bool in
            let seen = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM payment WHERE id = ?)", arguments: [notice.paymentID]) ?? false
            guard !seen else { return false }
            try db.execute(sql: "INSERT INTO payment (id, licensee_id, amount_micros, received_at) VALUES (?, ?, ?, ?)",
                           arguments: [notice.paymentID, party.id.rawValue, notice.amountMicros, now.millisecondsSince1970])
            let clearing = try Ledger.account(db, party: nil, purpose: .paymentClearing, now: now)
            let wallet = try Ledger.account(db, party: party.id, purpose: .licenseeWallet, now: now)
            try Ledger.transfer(db, from: clearing, to: wallet, amount: notice.amountMicros, reason: "wallet.payment",
                                cause: .init(type: "payment", id: notice.paymentID), now: now)
            _ = try book.settleUnpaid(db, licensee: party.id, now: now)
            return true
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let body = try JSONWriter.encode(["payment_id": notice.paymentID, "status": credited ? "credited" : "duplicate"])
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension HTTPField.Name {
    static let webhookSignature = Self("Synclet-Signature")!
}

/// `Synclet-Signature: t=UNIX_SECONDS,v1=HEX(HMAC-SHA256(secret, "t.body"))`.
enum WebhookSignature {
    static func sign(body: [UInt8], secret: [UInt8], timestamp: Int64) -> String {
        "t=\(timestamp),v1=" + HMACSHA256.authenticate(Array("\(timestamp).".utf8) + body, key: secret).hex
    }

    static func verify(header: String?, body: [UInt8], secret: [UInt8], now: Timestamp, toleranceSeconds: Int64) throws(Problem) {
        let refused = Problem(status: 401, type: "bad-signature", title: "The webhook signature does not verify",
                              detail: "Sign `timestamp.body` with HMAC-SHA256 and the shared secret, and send Synclet-Signature: t=…,v1=….")
        guard let header else { throw refused }
        var timestamp: Int64?
        var signature: [UInt8]?
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            if pair[0] == "t" { timestamp = Int64(pair[1]) }
            if pair[0] == "v1" { signature = Self.hexBytes(pair[1]) }
        }
        guard let timestamp, let signature else { throw refused }
        // The timestamp is the sender's: any Int64, so the distance is computed without a trap.
        let (distance, overflow) = (now.millisecondsSince1970 / 1000).subtractingReportingOverflow(timestamp)
        guard !overflow, distance.magnitude <= toleranceSeconds.magnitude else {
            throw Problem(status: 401, type: "stale-webhook", title: "The webhook is too old or from the future",
                          detail: "Its timestamp is more than \(toleranceSeconds) s from the server's clock; a replayed notice is refused.")
        }
        let expected = HMACSHA256.authenticate(Array("\(timestamp).".utf8) + body, key: secret)
        guard SecureBytes.constantTimeEqual(expected, signature) else { throw refused }
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
