import AsyncHTTPClient
import Foundation
import GRDB
import Ledger
import NIOCore
import NIOHTTP1
import SyncletClient
import SyncletCore
import SyncletCrypto
import SyncletServer
import Testing

/// Issue 6, item 3: one table drives every route × every kind of caller. Composer A owns
/// the objects under test; everyone else must neither read nor change them.
@Suite("Authorization matrix: every route answers every caller as the table says")
struct AuthorizationMatrixTests {
    @Test("every route answers every role as the table says; refused callers change nothing and see nothing of others")
    func matrix() async throws {
        let world = try await World.build()
        defer { Task { await world.server.stop() } }
        for route in Self.table {
            let changers = route.changers ?? Set(Role.allCases.filter { (200..<300).contains(route.expect[$0] ?? 0) })
            let order = Role.allCases.filter { !changers.contains($0) } + Role.allCases.filter { changers.contains($0) }
            let before = try await world.fingerprint()
            var compared = false
            for role in order {
                if changers.contains(role) && !compared {
                    compared = true
                    try await world.expectUnchanged(since: before, route)
                }
                let reply = try await world.send(route, as: role)
                world.check(reply, route, role)
            }
            if !compared { try await world.expectUnchanged(since: before, route) }
        }
        let audit = try await world.server.services.database.read { db in try Ledger.audit(db) }
        #expect(audit.balanceSum == 0 && audit.mismatchedAccounts == 0, "the ledger no longer sums to zero")
    }

    @Test("every route the router serves has a row in the matrix, and every row names a served route and all seven roles")
    func tableCoversEveryRoute() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let served = Set(server.app.routes)
        let rows = Set(Self.table.map(\.key))
        #expect(served.subtracting(rows).isEmpty, "served routes without a matrix row: \(served.subtracting(rows).sorted())")
        #expect(rows.subtracting(served).isEmpty, "matrix rows for routes the router does not serve: \(rows.subtracting(served).sorted())")
        for route in Self.table {
            #expect(Set(route.expect.keys) == Set(Role.allCases), "\(route.key) at \(route.path) does not name every role")
            #expect(route.expect.values.allSatisfy { (100..<600).contains($0) }, "\(route.key) at \(route.path) has an impossible status")
        }
    }
}

// MARK: - The table

extension AuthorizationMatrixTests {
    /// Who calls. `reporter` is registered for youtube; `admin` holds the bootstrap key.
    enum Role: String, CaseIterable, Sendable, Hashable {
        case anonymous, composerA, composerB, licenseeA, licenseeB, reporter, admin
    }

    /// One row: a route as `SyncletApp.routes` names it, the concrete request, and the
    /// status each role must get.
    struct Route: Sendable {
        let method: String
        let template: String
        /// The request path; `$name` placeholders are the world's objects.
        let path: String
        let expect: [Role: Int]
        let body: String?
        let headers: [String: String]
        /// The roles allowed to change state (default: those expected to get a 2xx). They
        /// run last, after the others have been shown to change nothing.
        let changers: Set<Role>?
        /// Placeholders whose values must not appear in a 2xx body sent to a role outside `seenBy`.
        let hides: [String]
        let seenBy: Set<Role>
        /// Server-Sent Events: a 2xx is read up to its first event, then dropped.
        let streams: Bool

        var key: String { "\(method) \(template)" }

        init(_ method: String, _ template: String, at path: String? = nil, _ expect: [Role: Int], body: String? = nil,
             headers: [String: String] = [:], changers: Set<Role>? = nil, hides: [String] = [], seenBy: Set<Role> = [],
             streams: Bool = false) {
            self.method = method
            self.template = template
            self.path = path ?? template
            self.expect = expect
            self.body = body
            self.headers = headers
            self.changers = changers
            self.hides = hides
            self.seenBy = seenBy
            self.streams = streams
        }
    }

    /// 401: no key. 403: this kind of key may never use the route (no object is looked up).
    /// 404: the object is not yours (or not there) — the product hides existence.
    /// Objects are composer A's, licensee A's or the operator's unless the path says `…B`.
    static let table: [Route] = [
        // The service itself and the public verification: the same for everyone.
        Route("GET", "/health", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/health/ready", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/health/live", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/openapi.json", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/.well-known/synclet/keys", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/v1/license-templates", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/v1/verify/{code}", at: "/v1/verify/$licenseACode",
              [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("POST", "/v1/verify", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200],
              body: #"{"key":"$licenseAKey"}"#),
        // The payment provider signs instead of holding a key: a key neither helps nor hurts.
        // Signed: the first caller credits the payment, every later one gets "duplicate".
        Route("POST", "/v1/webhooks/payments", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200],
              body: "$paymentBody", headers: ["Synclet-Signature": "$paymentSignature"]),
        Route("POST", "/v1/webhooks/payments", [.anonymous: 401, .composerA: 401, .composerB: 401, .licenseeA: 401, .licenseeB: 401, .reporter: 401, .admin: 401],
              body: "$paymentBody", headers: ["Synclet-Signature": "$forgedSignature"]),
        // The web pages: public; the earnings page fetches its data with the key the visitor types in.
        Route("GET", "/check", at: "/check?code=$licenseACode",
              [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/earnings", [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        // Metrics are business data: the operator's.
        Route("GET", "/metrics", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),

        // Parties and keys.
        Route("GET", "/v1/me", [.anonymous: 401, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("POST", "/v1/parties", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 201],
              body: #"{"kind":"composer","display_name":"Matrix Composer"}"#),
        Route("GET", "/v1/parties", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("GET", "/v1/parties/{id}", at: "/v1/parties/$composerA",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 404, .licenseeB: 404, .reporter: 404, .admin: 200]),
        Route("POST", "/v1/parties/{id}/keys", at: "/v1/parties/$composerA/keys",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 201],
              body: #"{"label":"matrix"}"#),
        Route("GET", "/v1/parties/{id}/keys", at: "/v1/parties/$composerA/keys",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 404, .licenseeB: 404, .reporter: 404, .admin: 200]),
        Route("DELETE", "/v1/keys/{id}", at: "/v1/keys/$spareKeyA",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 404, .licenseeB: 404, .reporter: 404, .admin: 200]),

        // Uploads (tus): only their uploader sees, continues or ends them.
        Route("OPTIONS", "/v1/uploads", [.anonymous: 204, .composerA: 204, .composerB: 204, .licenseeA: 204, .licenseeB: 204, .reporter: 204, .admin: 204]),
        Route("POST", "/v1/uploads", [.anonymous: 401, .composerA: 201, .composerB: 201, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 201],
              headers: ["Tus-Resumable": "1.0.0", "Upload-Length": "10"]),
        Route("HEAD", "/v1/uploads/{id}", at: "/v1/uploads/$uploadA",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              headers: ["Tus-Resumable": "1.0.0"]),
        Route("PATCH", "/v1/uploads/{id}", at: "/v1/uploads/$uploadA",
              [.anonymous: 401, .composerA: 204, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              body: "0123456789",
              headers: ["Tus-Resumable": "1.0.0", "Content-Type": "application/offset+octet-stream", "Upload-Offset": "0"]),
        Route("DELETE", "/v1/uploads/{id}", at: "/v1/uploads/$uploadToDelete",
              [.anonymous: 401, .composerA: 204, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              headers: ["Tus-Resumable": "1.0.0"]),

        // Assets: drafts and private fields are the owner's (and the operator's); the
        // operator reads them but does not edit a composer's catalog.
        Route("POST", "/v1/assets", [.anonymous: 401, .composerA: 201, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              body: #"{"upload_id":"$uploadForAsset","kind":"loop","title":"Matrix Loop"}"#),
        // B's own upload, filed as a stem of A's track: nobody may attach to what is not theirs.
        Route("POST", "/v1/assets", [.anonymous: 401, .composerA: 404, .composerB: 422, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              body: #"{"upload_id":"$uploadB","kind":"stem","title":"Borrowed Stem","track_id":"$assetA"}"#),
        Route("POST", "/v1/packs", [.anonymous: 401, .composerA: 201, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              body: #"{"upload_id":"$packUploadA"}"#),
        Route("GET", "/v1/assets", at: "/v1/assets?composer=$composerA",
              [.anonymous: 401, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200],
              hides: ["$draftA", "$draftStem", "$assetAFile"], seenBy: [.composerA, .admin]),
        Route("GET", "/v1/assets", at: "/v1/assets?mine=true&status=draft",
              [.anonymous: 401, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200],
              hides: ["$draftA", "$draftStem"], seenBy: [.composerA, .admin]),
        Route("GET", "/v1/assets/{id}", at: "/v1/assets/$draftA",
              [.anonymous: 404, .composerA: 200, .composerB: 404, .licenseeA: 404, .licenseeB: 404, .reporter: 404, .admin: 200]),
        Route("GET", "/v1/assets/{id}", at: "/v1/assets/$assetA",
              [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200],
              hides: ["$assetAFile"], seenBy: [.composerA, .admin]),
        Route("PATCH", "/v1/assets/{id}", at: "/v1/assets/$draftA",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              body: #"{"title":"Renamed Sketch"}"#),
        Route("POST", "/v1/assets/{id}/publish", at: "/v1/assets/$toPublish/publish",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404]),
        Route("POST", "/v1/assets/{id}/withdraw", at: "/v1/assets/$toWithdraw/withdraw",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404]),
        Route("GET", "/v1/assets/{id}/splits", at: "/v1/assets/$assetA/splits",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("PUT", "/v1/assets/{id}/splits", at: "/v1/assets/$assetA/splits",
              [.anonymous: 401, .composerA: 201, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              body: #"{"splits":[{"party_id":"$composerA","basis_points":10000}]}"#),
        Route("GET", "/v1/assets/{id}/original", at: "/v1/assets/$assetA/original",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("GET", "/v1/assets/{id}/original", at: "/v1/assets/$assetB/original",
              [.anonymous: 401, .composerA: 404, .composerB: 200, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("GET", "/v1/assets/{id}/preview", at: "/v1/assets/$draftA/preview",
              [.anonymous: 404, .composerA: 200, .composerB: 404, .licenseeA: 404, .licenseeB: 404, .reporter: 404, .admin: 200]),
        Route("GET", "/v1/assets/{id}/preview", at: "/v1/assets/$assetA/preview",
              [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/v1/assets/{id}/waveform", at: "/v1/assets/$draftA/waveform",
              [.anonymous: 404, .composerA: 200, .composerB: 404, .licenseeA: 404, .licenseeB: 404, .reporter: 404, .admin: 200]),
        Route("GET", "/v1/assets/{id}/waveform", at: "/v1/assets/$assetA/waveform",
              [.anonymous: 200, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),
        Route("GET", "/v1/assets/{id}/bundle", at: "/v1/assets/$assetA/bundle",
              [.anonymous: 401, .composerA: 200, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),

        // Quotes and licenses.
        Route("POST", "/v1/quotes", [.anonymous: 401, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200],
              body: #"{"asset_id":"$assetA","use":$tiktokUse}"#),
        Route("POST", "/v1/quotes", [.anonymous: 401, .composerA: 404, .composerB: 404, .licenseeA: 404, .licenseeB: 404, .reporter: 404, .admin: 404],
              body: #"{"asset_id":"$draftA","use":$tiktokUse}"#),
        // Licensee A's own purchase replayed: A gets its first answer back; B, with the same
        // Idempotency-Key, buys a license of its own and never sees A's; the operator's empty wallet pays nothing.
        Route("POST", "/v1/licenses", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 201, .licenseeB: 201, .reporter: 403, .admin: 402],
              body: "$buyBodyA", headers: ["Idempotency-Key": "$buyKeyA"], hides: ["$licenseA"], seenBy: [.licenseeA, .admin]),
        Route("POST", "/v1/licenses", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 422, .licenseeB: 422, .reporter: 403, .admin: 422],
              body: #"{"asset_id":"$draftA","template":"social-clip","use":$tiktokUse}"#, headers: ["Idempotency-Key": "matrix-draft"]),
        Route("GET", "/v1/licenses", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 200, .licenseeB: 200, .reporter: 403, .admin: 200],
              hides: ["$licenseA"], seenBy: [.licenseeA, .admin]),
        Route("GET", "/v1/licenses/{id}", at: "/v1/licenses/$licenseA",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 200, .licenseeB: 404, .reporter: 403, .admin: 200]),
        Route("GET", "/v1/licenses/{id}", at: "/v1/licenses/$licenseB",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 404, .licenseeB: 200, .reporter: 403, .admin: 200]),
        // The licensed zip carries the track and its stems — but not a stem its composer has
        // not published (a draft is the composer's alone, 404 everywhere else).
        Route("GET", "/v1/licenses/{id}/download", at: "/v1/licenses/$licenseA/download",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 200, .licenseeB: 404, .reporter: 403, .admin: 200],
              hides: ["$draftStemTitle"], seenBy: [.composerA, .admin]),
        Route("GET", "/v1/licenses/{id}/download", at: "/v1/licenses/$licenseB/download",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 404, .licenseeB: 200, .reporter: 403, .admin: 200]),
        Route("POST", "/v1/licenses/{id}/revoke", at: "/v1/licenses/$licenseToRevoke/revoke",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200],
              body: #"{"reason":"matrix"}"#),
        Route("GET", "/v1/clearances", at: "/v1/clearances?platform=youtube",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("POST", "/v1/signing-keys", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 201]),

        // Wallets: a licensee's own; the operator's grants and caps.
        Route("GET", "/v1/wallet", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 200, .licenseeB: 200, .reporter: 403, .admin: 200],
              hides: ["$licenseA"], seenBy: [.licenseeA, .admin]),
        Route("GET", "/v1/wallets/{party}", at: "/v1/wallets/$licenseeA",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("POST", "/v1/wallets/{party}/grants", at: "/v1/wallets/$licenseeA/grants",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 201],
              body: #"{"amount_micros":1000000,"note":"matrix"}"#, headers: ["Idempotency-Key": "matrix-grant"]),
        Route("PUT", "/v1/wallets/{party}/cap", at: "/v1/wallets/$licenseeA/cap",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200],
              body: #"{"monthly_cap_micros":null}"#),
        Route("PUT", "/v1/wallets/{party}/credit-limit", at: "/v1/wallets/$licenseeA/credit-limit",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200],
              body: #"{"limit_micros":null}"#),
        Route("GET", "/v1/wallet/spend", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 200, .licenseeB: 200, .reporter: 403, .admin: 200],
              hides: ["$licenseA"], seenBy: [.licenseeA, .admin]),

        // Drops: the operator opens them; any key may look.
        Route("POST", "/v1/drops", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 201],
              body: #"{"asset_id":"$assetA","template":"social-clip","quantity":3,"starts_at":"$dropStart","ends_at":"$dropEnd"}"#),
        Route("GET", "/v1/drops/{id}", at: "/v1/drops/$dropA",
              [.anonymous: 401, .composerA: 200, .composerB: 200, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200]),

        // Usage: licensee A on its own license, the reporter for its platform and the operator
        // are booked; licensee B gets a 200 whose event is rejected, and nothing changes.
        Route("POST", "/v1/usage", [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 200, .licenseeB: 200, .reporter: 200, .admin: 200],
              body: #"[{"event_id":"matrix-1","license":"$licenseA","kind":"view","quantity":10,"platform":"youtube","channel_id":"UC1","video_id":"v1","country":"DE","occurred_at":"$now"}]"#,
              changers: [.licenseeA, .reporter, .admin]),

        // Statements and periods: a composer's own; `party=` is the operator's.
        Route("GET", "/v1/statements", at: "/v1/statements?period=2026-11",
              [.anonymous: 401, .composerA: 200, .composerB: 200, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200],
              hides: ["$assetA", "$licenseA"], seenBy: [.composerA, .admin]),
        Route("GET", "/v1/statements", at: "/v1/statements?period=2026-11&party=$composerA",
              [.anonymous: 401, .composerA: 404, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("GET", "/v1/statements/lines/{n}/events", at: "/v1/statements/lines/1/events?period=2026-11",
              [.anonymous: 401, .composerA: 200, .composerB: 200, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 404],
              hides: ["$eventA", "$licenseA"], seenBy: [.composerA, .admin]),
        Route("GET", "/v1/statements/lines/{n}/events", at: "/v1/statements/lines/1/events?period=2026-11&party=$composerA",
              [.anonymous: 401, .composerA: 404, .composerB: 404, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("GET", "/v1/earnings/stream", [.anonymous: 401, .composerA: 200, .composerB: 200, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200],
              hides: ["$composerA"], seenBy: [.composerA, .admin], streams: true),
        Route("POST", "/v1/periods/{period}/close", at: "/v1/periods/2026-10/close",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("GET", "/v1/periods/{period}/payouts", at: "/v1/periods/2026-09/payouts",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200]),
        Route("PUT", "/v1/reporters/{id}/platforms", at: "/v1/reporters/$reporter/platforms",
              [.anonymous: 401, .composerA: 403, .composerB: 403, .licenseeA: 403, .licenseeB: 403, .reporter: 403, .admin: 200],
              body: #"{"platforms":["youtube"]}"#),
    ]
}

// MARK: - The world

extension AuthorizationMatrixTests {
    /// One server and one set of objects for the whole table. Composer A owns a published
    /// track (with a draft stem), a draft loop, uploads, a pack upload and assets to publish
    /// and withdraw; composer B a published track of its own. Licensee A holds licenses on
    /// A's track, licensee B on B's; both wallets are funded; both tracks have usage in
    /// 2026-11. The clock stands still at 2026-11-15 12:00 UTC.
    struct World: Sendable {
        let server: RunningServer
        let tokens: [Role: String]
        let values: [String: String]

        static let secret = "test-webhook-secret"

        static func build() async throws -> World {
            let now = Timestamp(rfc3339: "2026-11-15T12:00:00Z")!
            let clock = TestClock(now.millisecondsSince1970)
            let server = try await RunningServer.start { settings in
                settings.clock = clock.clock
                // Nobody is paid out when a period closes: closing moves no money the rows rely on.
                settings.limits.payoutMicrosMin = 1_000_000_000_000
            }
            let raw = RawHTTP(base: server.baseURL)
            guard let adminToken = server.app.bootstrapToken else { throw TestFailure("setup: no bootstrap key") }
            let json = ["Content-Type": "application/json"]

            let (composerA, clientA, tokenA) = try await server.party(.composer, "Ada")
            let (_, clientB, tokenB) = try await server.party(.composer, "Bea")
            let (licenseeA, _, tokenLA) = try await server.party(.licensee, "Lia")
            let (licenseeB, _, tokenLB) = try await server.party(.licensee, "Leo")
            let (reporter, _, tokenR) = try await server.party(.reporter, "Tube")
            try ok(await raw.json(.PUT, "/v1/reporters/\(reporter.id)/platforms", token: adminToken, #"{"platforms":["youtube"]}"#), "platforms")
            // A closed period with nothing in it, for the payout batch row.
            try ok(await raw.send(.POST, "/v1/periods/2026-09/close", token: adminToken), "close 2026-09")
            let spareKeyA = try await server.admin.issueKey(party: composerA.id, label: "spare")

            // Catalog: each file a little longer than the last, so no two share a blob.
            let assetA = try await makeAsset(clientA, .track, "Harbour Lights", seconds: 2.0, publish: true)
            let draftA = try await makeAsset(clientA, .loop, "Unreleased Sketch", seconds: 2.25, publish: false)
            let draftStem = try await makeAsset(clientA, .stem, "Secret Stem", seconds: 2.5, track: assetA.id, publish: false)
            let toPublish = try await makeAsset(clientA, .loop, "To Publish", seconds: 2.75, publish: false)
            let toWithdraw = try await makeAsset(clientA, .loop, "To Withdraw", seconds: 3.25, publish: true)
            let assetB = try await makeAsset(clientB, .track, "Bea's Theme", seconds: 3.5, publish: true)
            _ = await server.app.renderPendingPreviews()
            for asset in [assetA, draftA] {
                let status = try await clientA.asset(asset.id).preview.status
                guard status == "ready" else { throw TestFailure("setup: the preview of \(asset.title) is \(status)") }
            }
            guard let assetAFile = assetA.file?.sha256 else { throw TestFailure("setup: the owner's view has no file") }

            // Uploads: one to continue, one to end, one finished for an asset, B's finished one, a pack.
            let uploadA = try await clientA.createUpload(length: 10, filename: "part.bin")
            let uploadToDelete = try await clientA.createUpload(length: 10, filename: "gone.bin")
            let uploadForAsset = try await clientA.uploadFile(path: try TestFiles.tone(.wav16, seconds: 3.75), journal: nil)
            let uploadB = try await clientB.uploadFile(path: try TestFiles.tone(.wav16, seconds: 4.0), journal: nil)
            let packUploadA = try await PackTests.uploadPack(clientA, try PackTests.packEntries().entries, format: .zip)

            // Money: both wallets funded; A's licenses on A's track, B's on B's.
            for licensee in [licenseeA, licenseeB] {
                try ok(await raw.send(.POST, "/v1/wallets/\(licensee.id)/grants", token: adminToken,
                                      headers: json.merging(["Idempotency-Key": "seed-\(licensee.id)"], uniquingKeysWith: { $1 }),
                                      body: Array(#"{"amount_micros":100000000}"#.utf8)), "grant")
            }
            let tiktokUse = LicensingFixture.use
            let youtubeUse = tiktokUse.replacingOccurrences(of: "\"tiktok\"", with: "\"youtube\"")
            func buy(_ token: String, key: String, _ body: String) async throws -> [String: Any] {
                try World.ok(await raw.send(.POST, "/v1/licenses", token: token,
                                            headers: json.merging(["Idempotency-Key": key], uniquingKeysWith: { $1 }),
                                            body: Array(body.utf8)), "buy \(key)").json
            }
            let buyKeyA = "buy-a"
            let buyBodyA = #"{"asset_id":"\#(assetA.id)","template":"creator-standard","use":\#(youtubeUse),"channels":[{"platform":"youtube","channel_id":"UC123"}]}"#
            let licenseA = try await buy(tokenLA, key: buyKeyA, buyBodyA)
            let licenseToRevoke = try await buy(tokenLA, key: "buy-a-2", #"{"asset_id":"\#(assetA.id)","template":"social-clip","use":\#(tiktokUse)}"#)
            let licenseB = try await buy(tokenLB, key: "buy-b", #"{"asset_id":"\#(assetB.id)","template":"creator-standard","use":\#(youtubeUse)}"#)
            guard let licenseAID = licenseA["id"] as? String, let licenseACode = licenseA["code"] as? String,
                  let licenseAKey = licenseA["key"] as? String, let licenseToRevokeID = licenseToRevoke["id"] as? String,
                  let licenseBID = licenseB["id"] as? String
            else { throw TestFailure("setup: a license answer lacks its id, code or key") }

            // Usage in 2026-11 on both tracks, so both composers have statement lines.
            let eventA = "usage-of-ada-1"
            for (token, event) in [(tokenLA, UsageIngestTests.event(eventA, license: licenseAID, quantity: 1_000, at: now.rfc3339)),
                                   (tokenLB, UsageIngestTests.event("usage-of-bea-1", license: licenseBID, quantity: 1_000, at: now.rfc3339))] {
                let reply = try ok(await raw.json(.POST, "/v1/usage", token: token, "[" + event + "]"), "usage")
                let status = (reply.json["results"] as? [[String: Any]])?.first?["status"] as? String
                guard status == "accepted" else { throw TestFailure("setup: usage was \(status ?? "nil"): \(reply.text)") }
            }

            let dropStart = now.adding(seconds: -60).rfc3339
            let dropEnd = now.adding(seconds: 3_600).rfc3339
            let drop = try ok(await raw.json(.POST, "/v1/drops", token: adminToken,
                #"{"asset_id":"\#(assetA.id)","template":"social-clip","quantity":5,"starts_at":"\#(dropStart)","ends_at":"\#(dropEnd)"}"#), "drop")
            guard let dropA = drop.json["id"] as? String else { throw TestFailure("setup: the drop has no id") }

            let paymentBody = #"{"payment_id":"pay-matrix","licensee_id":"\#(licenseeA.id)","amount_micros":1000000}"#
            let seconds = now.millisecondsSince1970 / 1000
            func signature(_ key: String) -> String {
                "t=\(seconds),v1=" + HMACSHA256.authenticate(Array("\(seconds).".utf8) + Array(paymentBody.utf8), key: Array(key.utf8)).hex
            }

            let tokens: [Role: String] = [.composerA: tokenA, .composerB: tokenB, .licenseeA: tokenLA, .licenseeB: tokenLB,
                                          .reporter: tokenR, .admin: adminToken]
            let values: [String: String] = [
                "$composerA": composerA.id.rawValue, "$licenseeA": licenseeA.id.rawValue, "$reporter": reporter.id.rawValue,
                "$spareKeyA": spareKeyA.key.id.rawValue,
                "$assetA": assetA.id.rawValue, "$assetAFile": assetAFile, "$assetB": assetB.id.rawValue,
                "$draftA": draftA.id.rawValue, "$draftStem": draftStem.id.rawValue, "$draftStemTitle": draftStem.title,
                "$toPublish": toPublish.id.rawValue, "$toWithdraw": toWithdraw.id.rawValue,
                "$uploadA": uploadA.rawValue, "$uploadToDelete": uploadToDelete.rawValue,
                "$uploadForAsset": uploadForAsset.rawValue, "$uploadB": uploadB.rawValue, "$packUploadA": packUploadA.rawValue,
                "$licenseA": licenseAID, "$licenseACode": licenseACode, "$licenseAKey": licenseAKey,
                "$licenseB": licenseBID, "$licenseToRevoke": licenseToRevokeID,
                "$buyBodyA": buyBodyA, "$buyKeyA": buyKeyA, "$tiktokUse": tiktokUse, "$eventA": eventA,
                "$dropA": dropA, "$dropStart": dropStart, "$dropEnd": dropEnd, "$now": now.rfc3339,
                "$paymentBody": paymentBody, "$paymentSignature": signature(secret), "$forgedSignature": signature("not-the-secret"),
            ]
            return World(server: server, tokens: tokens, values: values)
        }

        static func makeAsset(_ client: SyncletClient, _ kind: AssetKind, _ title: String, seconds: Double,
                              track: AssetID? = nil, publish: Bool) async throws -> Wire.Asset {
            let upload = try await client.uploadFile(path: try TestFiles.tone(.wav16, seconds: seconds), journal: nil)
            let asset = try await client.createAsset(Wire.CreateAsset(uploadID: upload, kind: kind, title: title, trackID: track))
            if publish { _ = try await client.publish(asset.id) }
            return asset
        }

        @discardableResult
        static func ok(_ reply: RawHTTP.Reply, _ what: String) throws -> RawHTTP.Reply {
            guard (200..<300).contains(reply.status) else { throw TestFailure("setup: \(what) answered \(reply.status): \(reply.text)") }
            return reply
        }

        /// Fills in the placeholders, longest name first (`$licenseA` is a prefix of `$licenseACode`).
        func resolve(_ text: String) -> String {
            var result = text
            for name in values.keys.sorted(by: { $0.count > $1.count }) where result.contains(name) {
                result = result.replacingOccurrences(of: name, with: values[name]!)
            }
            return result
        }

        /// Sends a row's request as a role; a Server-Sent Events stream is read to its first event.
        func send(_ route: Route, as role: Role) async throws -> RawHTTP.Reply {
            let path = resolve(route.path)
            #expect(!path.contains("$"), "unknown placeholder in \(path)")
            var request = HTTPClientRequest(url: server.baseURL + path)
            request.method = HTTPMethod(rawValue: route.method)
            if let token = tokens[role] { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            for (name, value) in route.headers { request.headers.add(name: name, value: resolve(value)) }
            if let body = route.body {
                if route.headers["Content-Type"] == nil { request.headers.add(name: "Content-Type", value: "application/json") }
                request.body = .bytes(ByteBuffer(string: resolve(body)))
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            var headers = [String: String]()
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            var body = [UInt8]()
            if route.streams && response.status == .ok {
                for try await chunk in response.body {
                    body += chunk.readableBytesView
                    if String(decoding: body, as: UTF8.self).contains("\n\n") { break }
                }
            } else {
                body = Array(try await response.body.collect(upTo: 64 * 1024 * 1024).readableBytesView)
            }
            return RawHTTP.Reply(status: Int(response.status.code), headers: headers, body: body)
        }

        /// The status the table asks for; a refusal is a problem with a type and a detail; a
        /// 2xx shows nothing the row hides from that role.
        func check(_ reply: RawHTTP.Reply, _ route: Route, _ role: Role) {
            let label = "\(route.method) \(resolve(route.path)) as \(role)"
            let expected = route.expect[role] ?? -1
            #expect(reply.status == expected, "\(label): \(reply.status), expected \(expected): \(reply.text.prefix(300))")
            if !(200..<300).contains(reply.status) {
                #expect(reply.header("content-type") == "application/problem+json",
                        "\(label): a \(reply.status) as \(reply.header("content-type") ?? "no content type")")
                guard route.method != "HEAD" else { return }  // a HEAD answer has headers only
                #expect((reply.json["type"] as? String)?.isEmpty == false, "\(label): a problem without a type: \(reply.text.prefix(300))")
                #expect((reply.json["detail"] as? String)?.isEmpty == false, "\(label): a problem without a detail: \(reply.text.prefix(300))")
                #expect(reply.json["status"] as? Int == reply.status, "\(label): the problem names another status")
            } else if !route.seenBy.contains(role) {
                let text = reply.text
                for name in route.hides {
                    #expect(!text.contains(resolve(name)), "\(label) reveals \(name) (\(resolve(name)))")
                }
            }
        }

        /// Every database row and every stored file (with its size): what "nothing changed" is checked against.
        func fingerprint() async throws -> [String] {
            var lines = try await server.services.database.read { db -> [String] in
                var rows = [String]()
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                for table in tables {
                    rows += try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map { "\(table) \($0)" }.sorted()
                }
                return rows
            }
            for folder in [server.services.layout.blobs, server.services.layout.uploads] {
                for name in TestFiles.listRecursively(folder) {
                    let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)
                    lines.append("\(folder)/\(name) \((attributes?[.size] as? NSNumber)?.int64Value ?? -1)")
                }
            }
            return lines
        }

        func expectUnchanged(since before: [String], _ route: Route) async throws {
            let after = try await fingerprint()
            guard after != before else { return }
            let gone = Set(before).subtracting(after).sorted().prefix(5)
            let new = Set(after).subtracting(before).sorted().prefix(5)
            Issue.record("\(route.method) \(resolve(route.path)): refused callers changed state; gone \(Array(gone)), new \(Array(new))")
        }
    }
}
