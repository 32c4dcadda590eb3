import SyncletCore

extension Wire {
    /// `POST /v1/quotes`.
    public struct QuoteRequest: Codable, Sendable, Equatable {
        public var assetID: AssetID
        public var use: IntendedUse
        /// Productions (videos, episodes, streams) expected over the term; absent: 1.
        public var expectedProductions: Int64?
        /// Plays expected over the term; absent: 0.
        public var expectedPlays: Int64?
        public init(assetID: AssetID, use: IntendedUse, expectedProductions: Int64? = nil, expectedPlays: Int64? = nil) {
            self.assetID = assetID
            self.use = use
            self.expectedProductions = expectedProductions
            self.expectedPlays = expectedPlays
        }
        enum CodingKeys: String, CodingKey {
            case use
            case assetID = "asset_id"
            case expectedProductions = "expected_productions"
            case expectedPlays = "expected_plays"
        }
    }

    public struct Quote: Codable, Sendable, Equatable {
        public var assetID: AssetID
        public var use: IntendedUse
        /// The views, productions and plays every estimate counts.
        public var assumed: ExpectedUsage
        public var currency: String
        public var options: [QuoteOption]
        public init(assetID: AssetID, use: IntendedUse, assumed: ExpectedUsage, currency: String, options: [QuoteOption]) {
            self.assetID = assetID
            self.use = use
            self.assumed = assumed
            self.currency = currency
            self.options = options
        }
        enum CodingKeys: String, CodingKey {
            case use, assumed, currency, options
            case assetID = "asset_id"
        }
    }

    /// `POST /v1/licenses` (with an `Idempotency-Key` header).
    public struct IssueLicense: Codable, Sendable, Equatable {
        public var assetID: AssetID
        public var template: String
        public var use: IntendedUse
        public var channels: [ClearedChannel]?
        /// Buy from a limited drop (`drp_…`).
        public var dropID: String?
        public init(assetID: AssetID, template: String, use: IntendedUse, channels: [ClearedChannel]? = nil, dropID: String? = nil) {
            self.assetID = assetID
            self.template = template
            self.use = use
            self.channels = channels
            self.dropID = dropID
        }
        enum CodingKeys: String, CodingKey {
            case template, use, channels
            case assetID = "asset_id"
            case dropID = "drop_id"
        }
    }

    /// A license as its licensee (and the operator) sees it, key included.
    public struct License: Codable, Sendable, Equatable {
        public var id: LicenseID
        public var code: String
        public var status: String
        public var key: String
        public var keyID: String
        public var licenseeID: PartyID
        public var assetID: AssetID
        public var template: String
        public var templateVersion: Int
        public var termsSHA256: String
        public var envelope: Envelope
        public var use: IntendedUse
        public var channels: [ClearedChannel]
        public var priceMicros: Int64
        public var feeMicros: Int64
        public var issuedAt: Timestamp
        public var expiresAt: Timestamp?
        public var revokedAt: Timestamp?

        public init(_ record: LicenseRecord, channels: [ClearedChannel], now: Timestamp) {
            id = record.id
            code = record.code
            status = record.state(at: now)
            key = record.token
            keyID = record.keyID
            licenseeID = record.licenseeID
            assetID = record.assetID
            template = record.templateID
            templateVersion = record.templateVersion
            termsSHA256 = record.termsSHA256
            envelope = record.envelope
            use = record.intendedUse
            self.channels = channels
            priceMicros = record.priceMicros
            feeMicros = record.feeMicros
            issuedAt = record.issuedAt
            expiresAt = record.expiresAt
            revokedAt = record.revokedAt
        }

        enum CodingKeys: String, CodingKey {
            case id, code, status, key, template, envelope, use, channels
            case keyID = "key_id"
            case licenseeID = "licensee_id"
            case assetID = "asset_id"
            case templateVersion = "template_version"
            case termsSHA256 = "terms_sha256"
            case priceMicros = "price_micros"
            case feeMicros = "fee_micros"
            case issuedAt = "issued_at"
            case expiresAt = "expires_at"
            case revokedAt = "revoked_at"
        }
    }

    /// What the public verify endpoints say about a code or a key.
    public struct Verification: Codable, Sendable, Equatable {
        /// valid, expired, revoked or unknown.
        public var status: String
        public var licenseID: LicenseID?
        public var code: String?
        public var assetID: AssetID?
        public var assetTitle: String?
        public var composer: String?
        public var licensee: String?
        public var template: String?
        public var termsSHA256: String?
        public var envelope: Envelope?
        public var channels: [ClearedChannel]?
        public var issuedAt: Timestamp?
        public var expiresAt: Timestamp?
        public var revokedAt: Timestamp?
        /// Set when a key was checked: its signature is genuine.
        public var signatureValid: Bool?

        public init(status: String) { self.status = status }

        enum CodingKeys: String, CodingKey {
            case status, code, composer, licensee, template, envelope, channels
            case licenseID = "license_id"
            case assetID = "asset_id"
            case assetTitle = "asset_title"
            case termsSHA256 = "terms_sha256"
            case issuedAt = "issued_at"
            case expiresAt = "expires_at"
            case revokedAt = "revoked_at"
            case signatureValid = "signature_valid"
        }
    }

    public struct VerifyKey: Codable, Sendable, Equatable {
        public var key: String
        public init(key: String) { self.key = key }
    }

    /// A public signing key as published at `/.well-known/synclet/keys`.
    public struct PublicKeyInfo: Codable, Sendable, Equatable {
        public var kid: String
        public var paserk: String
        public var createdAt: Timestamp
        public var current: Bool
        public init(kid: String, paserk: String, createdAt: Timestamp, current: Bool) {
            self.kid = kid
            self.paserk = paserk
            self.createdAt = createdAt
            self.current = current
        }
        enum CodingKeys: String, CodingKey {
            case kid, paserk, current
            case createdAt = "created_at"
        }
    }

    public struct PublicKeys: Codable, Sendable, Equatable {
        public var keys: [PublicKeyInfo]
        public init(keys: [PublicKeyInfo]) { self.keys = keys }
    }

    /// A wallet: its balance and latest movements.
    public struct Wallet: Codable, Sendable, Equatable {
        public var partyID: PartyID
        public var currency: String
        public var balanceMicros: Int64
        public var movements: [Movement]
        enum CodingKeys: String, CodingKey {
            case currency, movements
            case partyID = "party_id"
            case balanceMicros = "balance_micros"
        }
        public init(partyID: PartyID, currency: String, balanceMicros: Int64, movements: [Movement]) {
            self.partyID = partyID
            self.currency = currency
            self.balanceMicros = balanceMicros
            self.movements = movements
        }
    }

    /// One movement seen from an account: positive in, negative out.
    public struct Movement: Codable, Sendable, Equatable {
        public var id: String
        public var amountMicros: Int64
        public var reason: String
        public var cause: String
        public var at: Timestamp
        enum CodingKeys: String, CodingKey {
            case id, reason, cause, at
            case amountMicros = "amount_micros"
        }
        public init(id: String, amountMicros: Int64, reason: String, cause: String, at: Timestamp) {
            self.id = id
            self.amountMicros = amountMicros
            self.reason = reason
            self.cause = cause
            self.at = at
        }
    }

    /// The operator's grant of credit to a licensee's wallet.
    public struct Grant: Codable, Sendable, Equatable {
        public var amountMicros: Int64
        public var note: String?
        public init(amountMicros: Int64, note: String?) {
            self.amountMicros = amountMicros
            self.note = note
        }
        enum CodingKeys: String, CodingKey {
            case note
            case amountMicros = "amount_micros"
        }
    }

    /// The payment provider's webhook body.
    public struct PaymentNotice: Codable, Sendable, Equatable {
        public var paymentID: String
        public var licenseeID: PartyID
        public var amountMicros: Int64
        public init(paymentID: String, licenseeID: PartyID, amountMicros: Int64) {
            self.paymentID = paymentID
            self.licenseeID = licenseeID
            self.amountMicros = amountMicros
        }
        enum CodingKeys: String, CodingKey {
            case paymentID = "payment_id"
            case licenseeID = "licensee_id"
            case amountMicros = "amount_micros"
        }
    }

    public struct Revoke: Codable, Sendable, Equatable {
        public var reason: String
        public init(reason: String) { self.reason = reason }
    }
}

// The writers of the licensing answers sent most often (see `JSONWritable`), members in the
// byte order of their keys.

extension Wire.License: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        try output.object { members in
            members.add("asset_id", assetID)
            try members.add("channels", array: channels)
            members.add("code", code)
            try members.add("envelope", value: envelope)
            members.add("expires_at", expiresAt)
            members.add("fee_micros", feeMicros)
            members.add("id", id)
            members.add("issued_at", issuedAt)
            members.add("key", key)
            members.add("key_id", keyID)
            members.add("licensee_id", licenseeID)
            members.add("price_micros", priceMicros)
            members.add("revoked_at", revokedAt)
            members.add("status", status)
            members.add("template", template)
            members.add("template_version", templateVersion)
            members.add("terms_sha256", termsSHA256)
            try members.add("use", value: use)
        }
    }
}

extension Wire.Verification: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        try output.object { members in
            members.add("asset_id", assetID)
            members.add("asset_title", assetTitle)
            try members.add("channels", array: channels)
            members.add("code", code)
            members.add("composer", composer)
            try members.add("envelope", value: envelope)
            members.add("expires_at", expiresAt)
            members.add("issued_at", issuedAt)
            members.add("license_id", licenseID)
            members.add("licensee", licensee)
            members.add("revoked_at", revokedAt)
            members.add("signature_valid", signatureValid)
            members.add("status", status)
            members.add("template", template)
            members.add("terms_sha256", termsSHA256)
        }
    }
}

extension ClearedChannel: JSONWritable {
    public func writeJSON(to output: inout JSONOutput) throws {
        output.object { members in
            members.add("channel_id", channelID)
            members.add("platform", platform)
        }
    }
}
