import AsyncHTTPClient
import Foundation
import SyncletClient
import SyncletCore
import SyncletServer
import Testing

@Suite("The API's conventions hold on every route")
struct ProtocolTests {
    @Test("the OpenAPI document lists exactly the routes the router serves")
    func documentMatchesRouter() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let served = Set(server.app.routes)
        let documented = OpenAPIDocument.shared.operations
        #expect(served.subtracting(documented).isEmpty, "served but undocumented: \(served.subtracting(documented).sorted())")
        #expect(documented.subtracting(served).isEmpty, "documented but not served: \(documented.subtracting(served).sorted())")
        let reply = try await RawHTTP(base: server.baseURL).send(.GET, "/openapi.json")
        #expect(reply.status == 200)
        #expect(reply.json["openapi"] as? String == "3.1.0")
    }

    @Test("every operation in the document has an id, a summary, tags, security, and a problem response for each error status; every problem type thrown in the sources is listed")
    func documentIsComplete() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("Sources/SyncletServer/Resources/openapi.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        let methods: Set = ["get", "put", "post", "patch", "delete", "head", "options"]
        var operationIDs = Set<String>()
        for (path, item) in paths {
            for (method, value) in item where methods.contains(method) {
                let operation = try #require(value as? [String: Any])
                let name = "\(method.uppercased()) \(path)"
                let id = operation["operationId"] as? String
                #expect(id != nil, "\(name) has no operationId")
                if let id { #expect(operationIDs.insert(id).inserted, "\(name): operationId \(id) is used twice") }
                #expect((operation["summary"] as? String)?.isEmpty == false, "\(name) has no summary")
                #expect((operation["tags"] as? [String])?.isEmpty == false, "\(name) has no tags")
                #expect(operation["security"] != nil, "\(name) does not say whether it is public or needs a key")
                let responses = try #require(operation["responses"] as? [String: Any], "\(name) has no responses")
                #expect(responses.keys.contains { $0.hasPrefix("2") || $0.hasPrefix("3") }, "\(name) documents no success")
                for (status, response) in responses where status.hasPrefix("4") || status.hasPrefix("5") {
                    let text = "\(response)"
                    #expect(text.contains("#/components/responses/") || text.contains("application/problem+json"),
                            "\(name) \(status) is not a problem response")
                }
            }
        }
        // Every problem type the code can throw is listed in the document's Problem schema.
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let problem = try #require(schemas["Problem"] as? [String: Any])
        let typeEnum = try #require(((problem["properties"] as? [String: Any])?["type"] as? [String: Any])?["enum"] as? [String])
        let documented = Set(typeEnum.map { $0.replacingOccurrences(of: Problem.typeBase, with: "") })
        var thrown = Set<String>()
        let sources = root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        let patterns = [#"Problem\(status: \d+, type: "([a-z-]+)""#, #"Problem\.conflict\("([a-z-]+)""#, #"\.conflict\("([a-z-]+)""#]
        // The renderer's "preview-exists" guards its own output file and never reaches a client.
        for file in files where file.pathExtension == "swift" && file.lastPathComponent != "PreviewRenderer.swift" {
            let text = try String(contentsOf: file, encoding: .utf8)
            for pattern in patterns {
                let regex = try NSRegularExpression(pattern: pattern)
                for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    if let range = Range(match.range(at: 1), in: text) { thrown.insert(String(text[range])) }
                }
            }
        }
        for helper in ["bad-request", "unauthorized", "forbidden", "not-found", "too-large", "unsupported-media-type",
                       "range-not-satisfiable", "validation", "internal"] { thrown.insert(helper) }
        #expect(thrown.count > 20)
        #expect(thrown.subtracting(documented).isEmpty, "thrown but not in the document: \(thrown.subtracting(documented).sorted())")
    }

    @Test("tus OPTIONS announces the version, extensions and max size; every response carries Tus-Resumable and a request id")
    func tusOptionsAndHeaders() async throws {
        let server = try await RunningServer.start { $0.limits.uploadByteCountMax = 123_456 }
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        let options = try await raw.send(.OPTIONS, "/v1/uploads")
        #expect(options.status == 204)
        #expect(options.header("tus-version") == "1.0.0")
        #expect(options.header("tus-max-size") == "123456")
        #expect(options.header("tus-extension")?.contains("creation") == true)
        for reply in [options, try await raw.send(.GET, "/health"), try await raw.send(.GET, "/nowhere")] {
            #expect(reply.header("tus-resumable") == "1.0.0")
            #expect(reply.header("x-request-id")?.hasPrefix("req_") == true)
        }
        let missing = try await raw.send(.GET, "/nowhere")
        expectProblem(missing, 404, "not-found")
        #expect(missing.json["request_id"] as? String == missing.header("x-request-id"))
    }

    @Test("the operator creates parties, issues keys that work at once, lists and revokes them")
    func partiesAndKeys() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let admin = server.admin
        let composer = try await admin.createParty(kind: .composer, displayName: "Ada")
        let issued = try await admin.issueKey(party: composer.id, label: "laptop")
        #expect(issued.token.hasPrefix("syn_"))
        #expect(issued.key.hint.hasPrefix("syn_"))
        #expect(!issued.key.hint.contains(String(issued.token.suffix(20))))
        #expect(try await server.client(issued.token).me() == composer)
        let listed = try await admin.keys(party: composer.id)
        #expect(listed.map(\.id) == [issued.key.id])
        // The token is stored only as its hash.
        let stored = try await server.services.database.read { db in
            try String.fetchAll(db, sql: "SELECT hex(token_sha256) || lookup || hint || label FROM api_key")
        }
        #expect(!stored.joined().contains(issued.token))
        let revoked = try await admin.revokeKey(issued.key.id)
        #expect(revoked.revokedAt != nil)
        await #expect(throws: ClientError.self) { _ = try await server.client(issued.token).me() }
        // Paging through parties returns each once.
        for index in 0..<5 { _ = try await admin.createParty(kind: .licensee, displayName: "L\(index)") }
        var seen = [PartyID]()
        var cursor: String? = nil
        repeat {
            let page = try await admin.parties(cursor: cursor, limit: 2)
            seen += page.items.map(\.id)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen.count == 7)
        #expect(Set(seen).count == 7)
        #expect(seen == seen.sorted())
    }
}
