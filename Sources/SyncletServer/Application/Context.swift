import Catalog
import Hummingbird
import Logging
import Synchronization
import SyncletCore

/// The request context: who is calling (filled by `AuthMiddleware`) and the request id.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated party, or `nil` for an anonymous request.
    public var party: PartyRecord?
    /// The key the party authenticated with.
    public var keyID: APIKeyID?
    /// Our request id (`X-Request-Id`), also in every log line of the request.
    public var requestID: String
    /// The client's address, for per-address rate limits.
    public var clientAddress: String
    /// What inner middleware learns for the outer one to report; shared by every copy of
    /// this context (a copy made inside the chain is not seen outside it).
    public let facts = RequestFacts()

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        self.requestID = "req_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        self.party = nil
        self.keyID = nil
        self.logger[metadataKey: "request_id"] = .string(requestID)
    }

    /// The caller, or a 401 that says how to authenticate.
    public func requireParty() throws(Problem) -> PartyRecord {
        guard let party else {
            throw .unauthorized("Send your API key as `Authorization: Bearer syn_…`. Ask the operator for a key if you have none.")
        }
        return party
    }

    /// The caller if it is one of `kinds` (admins always pass), else 403.
    public func requireParty(_ kinds: PartyKind...) throws(Problem) -> PartyRecord {
        let party = try requireParty()
        guard party.kind == .admin || kinds.contains(party.kind) else {
            let names = kinds.map(\.rawValue).joined(separator: " or ")
            throw .forbidden("This route is for \(names) keys; yours belongs to a \(party.kind.rawValue).")
        }
        return party
    }

    /// The caller if it is the operator, else 403.
    public func requireAdmin() throws(Problem) -> PartyRecord {
        let party = try requireParty()
        guard party.kind == .admin else { throw .forbidden("Only the operator's (admin) keys may do this.") }
        return party
    }
}

/// Facts about a request that the access log and metrics report once it is answered:
/// set deep in the chain (the caller, by `AuthMiddleware`), read at its outer end.
public final class RequestFacts: Sendable {
    private let caller = Mutex<PartyID?>(nil)

    /// The authenticated party, if any.
    public var partyID: PartyID? {
        get { caller.withLock { $0 } }
        set { caller.withLock { $0 = newValue } }
    }
}
