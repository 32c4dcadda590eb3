import SyncletCore

extension Wire {
    /// A limited drop as the API shows it: `quantity` licenses of one template for one asset,
    /// on sale between `startsAt` and `endsAt`, never oversold.
    public struct Drop: Codable, Sendable, Equatable {
        /// `drp_…`.
        public var id: String
        public var assetID: AssetID
        /// The template id the drop sells.
        public var template: String
        public var quantity: Int
        public var sold: Int
        public var remaining: Int
        public var startsAt: Timestamp
        public var endsAt: Timestamp
        /// scheduled, open, sold_out or closed.
        public var state: String

        public init(id: String, assetID: AssetID, template: String, quantity: Int, sold: Int, remaining: Int,
                    startsAt: Timestamp, endsAt: Timestamp, state: String) {
            self.id = id
            self.assetID = assetID
            self.template = template
            self.quantity = quantity
            self.sold = sold
            self.remaining = remaining
            self.startsAt = startsAt
            self.endsAt = endsAt
            self.state = state
        }

        enum CodingKeys: String, CodingKey {
            case id, template, quantity, sold, remaining, state
            case assetID = "asset_id"
            case startsAt = "starts_at"
            case endsAt = "ends_at"
        }
    }

    /// `POST /v1/drops` (operator).
    public struct CreateDrop: Codable, Sendable, Equatable {
        public var assetID: AssetID
        public var template: String
        public var quantity: Int
        public var startsAt: Timestamp
        public var endsAt: Timestamp

        public init(assetID: AssetID, template: String, quantity: Int, startsAt: Timestamp, endsAt: Timestamp) {
            self.assetID = assetID
            self.template = template
            self.quantity = quantity
            self.startsAt = startsAt
            self.endsAt = endsAt
        }

        enum CodingKeys: String, CodingKey {
            case template, quantity
            case assetID = "asset_id"
            case startsAt = "starts_at"
            case endsAt = "ends_at"
        }
    }
}
