import Foundation
import SyncletCore
import Usage

/// One usage event read straight from its JSON with the rules of the API document's
/// `UsageEvent` schema (required fields, types, lengths, the kind's values, no unknown
/// fields), in one typed pass. Ingest reads up to 10,000 of these per request, so it does
/// not take the generic route (a `JSONValue` tree, the schema walk, then a second decode),
/// which cost three times as much; a test holds these rules and the document together.
struct CheckedUsageEvent: Decodable {
    let event: UsageEventInput

    /// The largest quantity one event may report (the schema's `maximum`).
    static let quantityMax: Int64 = 1_000_000_000_000

    /// The schema's property names, in its order.
    static let fieldNames = ["event_id", "license", "kind", "quantity", "platform", "channel_id", "video_id", "country",
                             "occurred_at", "reverses"]

    struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    /// Why an event is refused, in words for the reporter.
    struct Refusal: Error {
        let reason: String
    }

    init(from decoder: any Decoder) throws {
        let container: KeyedDecodingContainer<Key>
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch {
            throw Refusal(reason: "an event is a JSON object")
        }
        for key in container.allKeys where !Self.fieldNames.contains(key.stringValue) {
            throw Refusal(reason: "unknown field \(key.stringValue.prefix(40)); an event has \(Self.fieldNames.joined(separator: ", "))")
        }
        func text(_ name: String, min: Int, max: Int, required: Bool) throws -> String? {
            let key = Key(stringValue: name)
            let value: String?
            do {
                value = required ? try container.decode(String.self, forKey: key) : try container.decodeIfPresent(String.self, forKey: key)
            } catch DecodingError.keyNotFound {
                throw Refusal(reason: "\(name) is required")
            } catch DecodingError.valueNotFound {
                throw Refusal(reason: "\(name) is required")
            } catch {
                throw Refusal(reason: "\(name) must be a string")
            }
            if let value {
                let count = value.count
                guard count >= min, count <= max else {
                    throw Refusal(reason: min == max ? "\(name) must be \(min) characters long"
                                                     : "\(name) must be \(min) to \(max) characters long")
                }
            }
            return value
        }
        let eventID = try text("event_id", min: 1, max: 200, required: true)!
        let license = try text("license", min: 1, max: 65_536, required: true)!
        let kindText = try text("kind", min: 1, max: 16, required: true)!
        guard let kind = UsageKind(rawValue: kindText) else {
            throw Refusal(reason: "kind must be one of view, play, use, seconds")
        }
        let quantity: Int64
        do {
            quantity = try container.decode(Int64.self, forKey: Key(stringValue: "quantity"))
        } catch DecodingError.keyNotFound {
            throw Refusal(reason: "quantity is required")
        } catch {
            throw Refusal(reason: "quantity must be a whole number")
        }
        guard quantity >= 1 else { throw Refusal(reason: "quantity must be at least 1") }
        guard quantity <= Self.quantityMax else { throw Refusal(reason: "quantity must be at most \(Self.quantityMax); split larger counts") }
        let platform = try text("platform", min: 1, max: 40, required: true)!
        let channelID = try text("channel_id", min: 0, max: 200, required: false)
        let videoID = try text("video_id", min: 0, max: 200, required: false)
        let country = try text("country", min: 2, max: 2, required: false)
        let occurredText = try text("occurred_at", min: 1, max: 64, required: true)!
        guard let occurredAt = Timestamp(rfc3339: occurredText) else {
            throw Refusal(reason: "occurred_at must be an RFC 3339 date-time, e.g. 2026-11-21T14:03:00Z")
        }
        let reverses = try text("reverses", min: 0, max: 200, required: false)
        event = UsageEventInput(eventID: eventID, license: license, kind: kind, quantity: quantity, platform: platform,
                                channelID: channelID, videoID: videoID, country: country, occurredAt: occurredAt, reverses: reverses)
    }
}

/// One element of a JSON array batch: an event, or why it is not one. Lets one bad element
/// be rejected without failing the array.
struct BatchElement: Decodable {
    let parsed: Result<UsageEventInput, CheckedUsageEvent.Refusal>

    init(from decoder: any Decoder) throws {
        do {
            parsed = .success(try CheckedUsageEvent(from: decoder).event)
        } catch let refusal as CheckedUsageEvent.Refusal {
            parsed = .failure(refusal)
        } catch {
            parsed = .failure(.init(reason: "not a valid event (malformed JSON or wrong types)"))
        }
    }
}
