import Foundation
import Licensing
import Logging
import SyncletClient
import SyncletCore
import SyncletServer
import Synchronization
import Testing

@Suite("Operators see metrics at /metrics and one log line per request, tied together by the request id")
struct MetricsTests {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func scrape(_ f: LicensingFixture, sourceLocation: SourceLocation = #_sourceLocation) async throws -> Exposition {
        let reply = try await f.raw.send(.GET, "/metrics", token: f.adminToken)
        #expect(reply.status == 200, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.header("content-type") == contentType, sourceLocation: sourceLocation)
        return try Exposition(reply.text)
    }

    static func requests(_ e: Exposition, _ method: String, _ route: String, _ statusClass: String) -> Double {
        e.value("synclet_http_requests_total", ["method": method, "route": route, "status_class": statusClass]) ?? 0
    }

    static func usage(_ e: Exposition, _ result: String) -> Double {
        e.value("synclet_usage_events_total", ["result": result]) ?? 0
    }

    @Test("requests are counted by route template, usage by result, licenses once, group commits and upload bytes exactly")
    func countsWhatHappened() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        let before = try await Self.scrape(f)

        // One license, then a retry with the same Idempotency-Key: one license issued.
        let license = try await UsageIngestTests.license(f)
        let replayed = try await UsageIngestTests.license(f)
        #expect(replayed.id == license.id)

        // Two accepted, one rejected (unknown license), one flagged (over max_views); then a duplicate.
        let batch = try await UsageIngestTests.send(f, [
            UsageIngestTests.event("m1", license: license.id.rawValue, quantity: 1_234),
            UsageIngestTests.event("m2", license: license.code, quantity: 766),
            UsageIngestTests.event("m3", license: "lic_00000000000000000000000000", quantity: 5),
            UsageIngestTests.event("m4", license: license.key, quantity: 1_000_000),
        ])
        #expect((batch.json["results"] as? [[String: Any]])?.map { $0["status"] as? String } == ["accepted", "accepted", "rejected", "flagged"])
        let duplicate = try await UsageIngestTests.send(f, [UsageIngestTests.event("m1", license: license.id.rawValue, quantity: 1_234)])
        #expect((duplicate.json["results"] as? [[String: Any]])?.first?["status"] as? String == "duplicate")

        // Two reads of one asset and one miss on the same route; a path no route serves.
        _ = try await f.adaClient.asset(f.asset.id)
        _ = try await f.adaClient.asset(f.asset.id)
        let missing = try await f.raw.send(.GET, "/v1/assets/ast_00000000000000000000000000", token: f.adminToken)
        #expect(missing.status == 404)
        let nowhere = try await f.raw.send(.GET, "/nowhere/\(f.asset.id)")
        #expect(nowhere.status == 404)

        // An upload of a known size.
        let size = 50_000
        let path = TestFiles.write((0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }, name: "metrics.bin")
        _ = try await f.adaClient.uploadFile(path: path, journal: nil)

        let after = try await Self.scrape(f)
        #expect(Self.usage(after, "accepted") - Self.usage(before, "accepted") == 2)
        #expect(Self.usage(after, "rejected") - Self.usage(before, "rejected") == 1)
        #expect(Self.usage(after, "flagged") - Self.usage(before, "flagged") == 1)
        #expect(Self.usage(after, "duplicate") - Self.usage(before, "duplicate") == 1)
        #expect((after.value("synclet_licenses_issued_total") ?? 0) - (before.value("synclet_licenses_issued_total") ?? 0) == 1)
        #expect((after.value("synclet_upload_bytes_total") ?? 0) - (before.value("synclet_upload_bytes_total") ?? 0) == Double(size))
        #expect((after.value("synclet_uploads_completed_total") ?? 0) - (before.value("synclet_uploads_completed_total") ?? 0) == 1)

        let asset = "/v1/assets/{id}"
        #expect(Self.requests(after, "GET", asset, "2xx") - Self.requests(before, "GET", asset, "2xx") == 2)
        #expect(Self.requests(after, "GET", asset, "4xx") - Self.requests(before, "GET", asset, "4xx") == 1)
        #expect(Self.requests(after, "GET", "unmatched", "4xx") - Self.requests(before, "GET", "unmatched", "4xx") == 1)
        #expect(Self.requests(after, "POST", "/v1/usage", "2xx") - Self.requests(before, "POST", "/v1/usage", "2xx") == 2)
        #expect(Self.requests(after, "POST", "/v1/licenses", "2xx") - Self.requests(before, "POST", "/v1/licenses", "2xx") == 2)
        // Each counted request is in its latency histogram too.
        #expect(after.value("synclet_http_request_duration_seconds_count", ["method": "GET", "route": asset, "status_class": "2xx"])
                == Self.requests(after, "GET", asset, "2xx"))

        // Route labels are templates the router serves (or "unmatched"), never a raw path.
        let templates = Set(f.server.app.routes.compactMap { $0.split(separator: " ", maxSplits: 1).last.map(String.init) })
        let routes = Set(after.samples.filter { $0.name == "synclet_http_requests_total" }.compactMap { $0.labels["route"] })
        #expect(routes.contains(asset))
        #expect(routes.subtracting(templates).subtracting(["unmatched"]).isEmpty, "\(routes.subtracting(templates))")
        #expect(!after.samples.contains { $0.labels.values.contains { $0.contains(f.asset.id.rawValue) || $0.contains("nowhere") } })

        // Group commits: as many observations as commits, as many jobs as were submitted.
        let sizes = f.server.services.groupCommitBatchSizes
        #expect(after.value("synclet_group_commit_jobs_count") == Double(sizes.count))
        #expect(after.value("synclet_group_commit_jobs_sum") == Double(sizes.reduce(0, +)))
        #expect(after.value("synclet_group_commit_duration_seconds_count") == Double(sizes.count))
        #expect(after.types["synclet_group_commit_duration_seconds"] == "histogram")
        #expect(after.types["synclet_http_requests_total"] == "counter")
        #expect(after.helps["synclet_usage_events_total"]?.isEmpty == false)
    }

    @Test("/metrics needs an admin key: anonymous callers get 401 and other keys 403, as problems")
    func adminOnly() async throws {
        let f = try await LicensingFixture.make()
        defer { Task { await f.server.stop() } }
        expectProblem(try await f.raw.send(.GET, "/metrics"), 401, "unauthorized")
        expectProblem(try await f.raw.send(.GET, "/metrics", token: f.liaToken), 403, "forbidden")
        let reply = try await f.raw.send(.GET, "/metrics", token: f.adminToken)
        #expect(reply.status == 200)
        #expect(reply.header("content-type") == Self.contentType)
        _ = try Exposition(reply.text)
    }

    @Test("every response carries X-Request-Id: a client's short plain id is kept, anything else replaced by ours")
    func requestIDs() async throws {
        let server = try await RunningServer.start()
        defer { Task { await server.stop() } }
        let raw = RawHTTP(base: server.baseURL)
        let first = try await raw.send(.GET, "/health")
        let second = try await raw.send(.GET, "/health")
        #expect(first.header("x-request-id")?.hasPrefix("req_") == true)
        #expect(first.header("x-request-id") != second.header("x-request-id"))

        let longest = String(repeating: "a", count: 64)
        for kept in ["trace-01.ABC_x", "0", longest] {
            let reply = try await raw.send(.GET, "/health", headers: ["X-Request-Id": kept])
            #expect(reply.header("x-request-id") == kept)
        }
        let problem = try await raw.send(.GET, "/nowhere", headers: ["X-Request-Id": "my-trace-42"])
        expectProblem(problem, 404, "not-found")
        #expect(problem.header("x-request-id") == "my-trace-42")
        #expect(problem.json["request_id"] as? String == "my-trace-42")

        for refused in ["has space", longest + "b", "semi;colon", "a/b", "quote\"d", "{id}"] {
            let reply = try await raw.send(.GET, "/health", headers: ["X-Request-Id": refused])
            let id = reply.header("x-request-id")
            #expect(id?.hasPrefix("req_") == true, "\(refused) was kept as \(id ?? "nil")")
        }
    }

    @Test("--log-format json writes one JSON object per line with the request's fields at the top level")
    func jsonLogLines() async throws {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "synclet-test") { label in JSONLogHandler(label: label) { line in lines.withLock { $0.append(line) } } }
        logger.logLevel = .info
        let server = try await RunningServer.start(logger: logger)
        defer { Task { await server.stop() } }
        let token = try #require(server.app.bootstrapToken)
        let reply = try await RawHTTP(base: server.baseURL).send(.GET, "/v1/me", token: token, headers: ["X-Request-Id": "json-log-1"])
        #expect(reply.status == 200)
        let objects = lines.withLock { $0 }.compactMap { line -> [String: Any]? in
            #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"), "one line per entry: \(line)")
            return try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }
        #expect(objects.count == lines.withLock { $0.count }, "every line is a JSON object")
        let access = try #require(objects.first { $0["request_id"] as? String == "json-log-1" && $0["message"] as? String == "request" })
        #expect(access["level"] as? String == "info")
        #expect(access["route"] as? String == "/v1/me")
        #expect(access["status"] as? String == "200")
        #expect((access["time"] as? String)?.hasSuffix("Z") == true)
        #expect(!lines.withLock { $0 }.joined().contains(token))
    }

    @Test("each request logs one info line with method, route, status, duration, request id and caller; never the key")
    func accessLog() async throws {
        let capture = LogCapture()
        var logger = Logger(label: "synclet-test") { _ in CapturingLogHandler(capture: capture) }
        logger.logLevel = .debug
        let server = try await RunningServer.start(logger: logger)
        defer { Task { await server.stop() } }
        let token = try #require(server.app.bootstrapToken)
        let raw = RawHTTP(base: server.baseURL)

        let me = try await raw.send(.GET, "/v1/me", token: token, headers: ["X-Request-Id": "log-check-1"])
        #expect(me.status == 200)
        let adminID = try #require(me.json["id"] as? String)
        let missing = try await raw.send(.GET, "/v1/assets/ast_00000000000000000000000000", token: token,
                                         headers: ["X-Request-Id": "log-check-2"])
        #expect(missing.status == 404)
        let bad = try await raw.send(.GET, "/v1/me", token: "syn_not_a_real_key", headers: ["X-Request-Id": "log-check-3"])
        #expect(bad.status == 401)

        let lines = capture.entries
        let access = lines.filter { $0.message == "request" && $0.metadata["request_id"] == "log-check-1" }
        #expect(access.count == 1)
        let line = try #require(access.first)
        #expect(line.level == .info)
        #expect(line.metadata["method"] == "GET")
        #expect(line.metadata["route"] == "/v1/me")
        #expect(line.metadata["status"] == "200")
        #expect(line.metadata["party"] == adminID)
        #expect(line.metadata["duration_ms"].flatMap { Double($0) } != nil)

        let miss = lines.filter { $0.message == "request" && $0.metadata["request_id"] == "log-check-2" }
        #expect(miss.map { $0.metadata["route"] } == ["/v1/assets/{id}"])
        #expect(miss.map { $0.metadata["status"] } == ["404"])
        #expect(lines.contains { $0.message == "request refused" && $0.level == .debug && $0.metadata["request_id"] == "log-check-2" })
        let refused = lines.filter { $0.message == "request" && $0.metadata["request_id"] == "log-check-3" }
        #expect(refused.map { $0.metadata["status"] } == ["401"])
        #expect(refused.first?.metadata["party"] == nil)

        // No key and no Authorization header anywhere in the log.
        let everything = lines.map { $0.message + " " + $0.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }.joined(separator: "\n")
        #expect(!everything.contains(token))
        #expect(!everything.contains("syn_not_a_real_key"))
        #expect(!lines.contains { $0.metadata.keys.contains { $0.lowercased().contains("authorization") } })
    }
}

// MARK: - A small reader of the Prometheus text format (0.0.4)

/// Parses `# HELP`, `# TYPE` and sample lines (`name{label="value",…} value [timestamp]`);
/// throws on any line that is none of them, or on a sample whose family has no TYPE.
struct Exposition {
    struct Sample {
        let name: String
        let labels: [String: String]
        let value: Double
    }

    var samples: [Sample] = []
    var types: [String: String] = [:]
    var helps: [String: String] = [:]

    init(_ text: String) throws {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst("# TYPE ".count).split(separator: " ")
                guard parts.count == 2, Self.isMetricName(parts[0]),
                      ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1])
                else { throw TestFailure("bad TYPE line: \(line)") }
                types[String(parts[0])] = String(parts[1])
            } else if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst("# HELP ".count)
                let name = rest.prefix { $0 != " " }
                guard Self.isMetricName(name) else { throw TestFailure("bad HELP line: \(line)") }
                helps[String(name)] = String(rest.dropFirst(name.count).drop { $0 == " " })
            } else if line.hasPrefix("#") {
                continue
            } else {
                samples.append(try Self.sample(line))
            }
        }
        for sample in samples {
            let family = ["_bucket", "_sum", "_count"].first { sample.name.hasSuffix($0) && types[String(sample.name.dropLast($0.count))] == "histogram" }
                .map { String(sample.name.dropLast($0.count)) } ?? sample.name
            guard types[family] != nil else { throw TestFailure("no TYPE for \(sample.name)") }
        }
    }

    /// The value of the sample with exactly these labels.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    static func isMetricName(_ name: Substring) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" || first == ":" else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "_" || $0 == ":" }
    }

    static func sample(_ line: Substring) throws -> Sample {
        var rest = line[...]
        let name = rest.prefix { $0 != "{" && $0 != " " }
        guard isMetricName(name) else { throw TestFailure("bad metric name: \(line)") }
        rest = rest.dropFirst(name.count)
        var labels = [String: String]()
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                let key = rest.prefix { $0 != "=" }
                guard !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
                    throw TestFailure("bad label name: \(line)")
                }
                rest = rest.dropFirst(key.count)
                guard rest.hasPrefix("=\"") else { throw TestFailure("bad label: \(line)") }
                rest = rest.dropFirst(2)
                var value = ""
                while let character = rest.first, character != "\"" {
                    rest = rest.dropFirst()
                    if character == "\\" {
                        guard let escaped = rest.first else { throw TestFailure("bad escape: \(line)") }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "n": value.append("\n")
                        case "\\", "\"": value.append(escaped)
                        default: throw TestFailure("bad escape: \(line)")
                        }
                    } else {
                        value.append(character)
                    }
                }
                guard rest.first == "\"" else { throw TestFailure("unterminated label value: \(line)") }
                rest = rest.dropFirst()
                labels[String(key)] = value
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw TestFailure("bad labels: \(line)") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw TestFailure("no value: \(line)") }
        let fields = rest.split(separator: " ")
        guard (1...2).contains(fields.count), let value = Double(String(fields[0])) else { throw TestFailure("bad value: \(line)") }
        return Sample(name: String(name), labels: labels, value: value)
    }
}

// MARK: - Captured logs

/// Log lines as a handler saw them: level, message and all metadata (the logger's and the call's).
final class LogCapture: @unchecked Sendable {
    struct Entry {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    func append(_ entry: Entry) { lock.withLock { stored.append(entry) } }
    var entries: [Entry] { lock.withLock { stored } }
}

struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, call in call }
        capture.append(LogCapture.Entry(level: event.level, message: event.message.description,
                                        metadata: merged.mapValues { $0.description }))
    }
}
