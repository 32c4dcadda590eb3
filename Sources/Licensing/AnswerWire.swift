import SyncletCore

extension Wire {
    /// One license template as `GET /v1/license-templates` lists it: what it allows, what it
    /// costs, and its terms with their hash (the hash is what a license pins).
    public struct TemplateInfo: Codable, Sendable, Equatable {
        public var id: String
        public var version: Int
        public var name: String
        public var summary: String
        public var envelope: Envelope
        public var pricing: Pricing
        /// The terms text (Markdown).
        public var terms: String
        public var termsSHA256: String
        public var beyondEnvelope: BeyondEnvelope

        public init(id: String, version: Int, name: String, summary: String, envelope: Envelope, pricing: Pricing,
                    terms: String, termsSHA256: String, beyondEnvelope: BeyondEnvelope) {
            self.id = id
            self.version = version
            self.name = name
            self.summary = summary
            self.envelope = envelope
            self.pricing = pricing
            self.terms = terms
            self.termsSHA256 = termsSHA256
            self.beyondEnvelope = beyondEnvelope
        }

        enum CodingKeys: String, CodingKey {
            case id, version, name, summary, envelope, pricing, terms
            case termsSHA256 = "terms_sha256"
            case beyondEnvelope = "beyond_envelope"
        }
    }

    /// The answer to an operator's grant (`POST /v1/wallets/{party}/grants`). Every member is a
    /// string on the wire, amounts included (micro-units as decimal digits).
    public struct GrantReceipt: Codable, Sendable, Equatable {
        public var transferID: String
        public var partyID: String
        public var amountMicros: String
        public var balanceMicros: String

        public init(transferID: String, partyID: String, amountMicros: String, balanceMicros: String) {
            self.transferID = transferID
            self.partyID = partyID
            self.amountMicros = amountMicros
            self.balanceMicros = balanceMicros
        }

        enum CodingKeys: String, CodingKey {
            case transferID = "transfer_id"
            case partyID = "party_id"
            case amountMicros = "amount_micros"
            case balanceMicros = "balance_micros"
        }
    }
}
