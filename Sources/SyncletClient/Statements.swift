import AsyncHTTPClient
import Foundation
import Licensing
import NIOCore
import NIOHTTP1
import SyncletCore
import Usage

/// The formats a statement exports to (`GET /v1/statements?format=`).
public enum StatementFormat: String, Sendable, CaseIterable {
    /// The `Statement` as JSON, with `sealed_sha256` once the period is closed.
    case json
    /// RFC 4180 CSV: amounts as decimals and as micro-units.
    case csv
    /// A tab-separated report in a DDEX DSR-like layout.
    case tsv
    /// A printable page.
    case html
    /// A closed period's statement exactly as sealed (JSON): `sha256sum` of it is the seal.
    case sealed
}

extension SyncletClient {
    /// Events one usage batch may hold (the server's default limit).
    public static let usageBatchEventCountMax = Limits().usageBatchEventCountMax
    /// Bytes one usage batch may hold (the server's default limit).
    public static let usageBatchByteCountMax = Limits().usageBatchByteCountMax
    /// How long the earnings stream may wait for its response head. AsyncHTTPClient's
    /// deadline covers the head only; the body then lasts until the server ends it or falls
    /// silent longer than the client's read timeout (90 s on `HTTPClient.shared`, against
    /// keep-alive comments every 15 s). Very long, so a stream is never cut by the clock.
    static let eventStreamTimeout: TimeAmount = .hours(24 * 365)
    /// Longest line of the earnings stream (one `data:` line holds one small JSON object).
    static let eventStreamLineByteCountMax = 64 * 1024
    /// Updates held for a slow reader; each carries whole totals, so only the newest matter.
    static let earningsUpdateBufferCountMax = 64
    /// Closing a period seals every composer's statement in one transaction: give it time,
    /// because a close cut short by the client still happens on the server.
    static let periodCloseTimeout: TimeAmount = .minutes(30)

    // MARK: Statements

    /// A composer's statement for a month (the operator: any composer's, with `party`):
    /// sealed, with its SHA-256, once the month is closed; live before.
    public func statement(period: Period, party: PartyID? = nil) async throws -> Usage.Statement {
        try await json(.GET, "/v1/statements" + Self.statementQuery(period: period, party: party))
    }

    /// Streams a statement in `format` to `path` through a temp file.
    public func exportStatement(period: Period, party: PartyID? = nil, format: StatementFormat, to path: String,
                                onBytes: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> (status: Int, byteCount: Int64) {
        try await download("/v1/statements" + Self.statementQuery(period: period, party: party, format: format), to: path, onBytes: onBytes)
    }

    /// One page of the accepted events behind statement line `n` (1-based, in the statement's order).
    public func lineEvents(period: Period, n: Int, party: PartyID? = nil, cursor: String? = nil,
                           limit: Int? = nil) async throws -> Wire.Page<StatementLineEvent> {
        var query = Self.statementQuery(period: period, party: party)
        if let cursor { query += "&cursor=" + Self.queryEscaped(cursor) }
        if let limit { query += "&limit=\(limit)" }
        return try await json(.GET, "/v1/statements/lines/\(n)/events" + query)
    }

    // MARK: Usage

    /// Reports a batch of usage events as a JSON array. Each event comes back with its own
    /// result; a repeat of an `event_id` is a duplicate and is never charged again.
    /// The platforms a reporter may report usage for (operator); returns them as stored.
    public func setReporterPlatforms(_ reporter: PartyID, _ platforms: [String]) async throws -> [String] {
        let stored: ReporterPlatforms = try await json(.PUT, "/v1/reporters/\(reporter)/platforms",
                                                       body: ReporterPlatforms(platforms: platforms))
        return stored.platforms
    }

    struct ReporterPlatforms: Codable {
        var platforms: [String]
    }

    public func reportUsage(events: [UsageEventInput]) async throws -> UsageBatchResult {
        guard !events.isEmpty else {
            throw ClientError(status: nil, problem: nil, message: "There are no usage events to report.")
        }
        guard events.count <= Self.usageBatchEventCountMax else {
            throw ClientError(status: nil, problem: nil,
                              message: "\(events.count) events are more than one batch may hold; report them in batches of at most \(Self.usageBatchEventCountMax).")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let body = try encoder.encode(events)
        guard body.count <= Self.usageBatchByteCountMax else {
            throw ClientError(status: nil, problem: nil,
                              message: "These \(events.count) events encode to \(body.count) bytes, more than one batch may hold (\(Self.usageBatchByteCountMax)); report them in smaller batches.")
        }
        var request = makeRequest(.POST, "/v1/usage")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await send(request, timeout: uploadTimeout)
    }

    /// Reports the events of an NDJSON file (one JSON event per line), streamed from disk.
    /// `line` in each result is the file's line number.
    public func reportUsage(ndjsonFile path: String,
                            onBytes: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> UsageBatchResult {
        try await reportUsageFile(path, contentType: "application/x-ndjson", onBytes: onBytes)
    }

    /// Reports the events of a file holding one JSON array of events, streamed from disk, so
    /// the server judges each event (a malformed one is rejected alone, with its position).
    public func reportUsage(jsonFile path: String,
                            onBytes: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> UsageBatchResult {
        try await reportUsageFile(path, contentType: "application/json", onBytes: onBytes)
    }

    /// Checks the file's size against the batch limit before sending a byte.
    func reportUsageFile(_ path: String, contentType: String, onBytes: @escaping @Sendable (Int) -> Void) async throws -> UsageBatchResult {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = (attributes[.size] as? NSNumber)?.int64Value else {
            throw ClientError(status: nil, problem: nil, message: "Cannot read \(path); check the path and that the file is readable.")
        }
        guard size > 0 else {
            throw ClientError(status: nil, problem: nil, message: "\(path) is empty; there are no usage events in it to report.")
        }
        guard size <= Int64(Self.usageBatchByteCountMax) else {
            throw ClientError(status: nil, problem: nil, message: """
                \(path) is \(size) bytes; one usage batch may hold at most \(Self.usageBatchByteCountMax) bytes (8 MiB) and \
                \(Self.usageBatchEventCountMax) events. Split it into smaller files (for NDJSON: `split -l 5000 \(path) batch-`) \
                and report each; events already reported come back as duplicates and are never charged twice.
                """)
        }
        var request = makeRequest(.POST, "/v1/usage")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .stream(FileChunks(path: path, offset: 0, length: size, onBytes: onBytes), length: .known(size))
        return try await send(request, timeout: uploadTimeout)
    }

    // MARK: Periods and payouts

    /// Operator: closes a month: seals every composer's statement, pays out balances at or
    /// over the threshold, carries smaller ones forward. A period closes once.
    public func closePeriod(_ period: Period) async throws -> StatementBook.CloseResult {
        try await send(makeRequest(.POST, "/v1/periods/\(period)/close"), timeout: Self.periodCloseTimeout)
    }

    /// Operator: streams a closed month's payout batch (CSV for finance) to `path`.
    public func payoutCSV(period: Period, to path: String,
                          onBytes: @escaping @Sendable (Int) -> Void = { _ in }) async throws -> (status: Int, byteCount: Int64) {
        try await download("/v1/periods/\(period)/payouts", to: path, onBytes: onBytes)
    }

    /// Operator: streams a closed month's payout batch to `write` as it arrives (`-o -`).
    public func payoutCSV(period: Period, writing write: ([UInt8]) throws -> Void) async throws -> (status: Int, byteCount: Int64) {
        try await download("/v1/periods/\(period)/payouts", writing: write)
    }

    // MARK: Wallet spending

    /// The licensee's own spending in a month, against its cap, by license and by platform.
    public func spend(period: Period) async throws -> WalletSpend {
        try await json(.GET, "/v1/wallet/spend?period=\(period)")
    }

    // MARK: Earnings stream

    /// The composer's live earnings: the current totals at once, then an update after every
    /// booking that touches the composer. Read over Server-Sent Events; ends when the server
    /// closes the stream, and throws a `ClientError` when it cannot be opened or breaks off.
    /// Stopping the iteration closes the connection.
    public func earningsStream() -> AsyncThrowingStream<EarningsUpdate, any Error> {
        let (stream, continuation) = AsyncThrowingStream<EarningsUpdate, any Error>.makeStream(
            bufferingPolicy: .bufferingNewest(Self.earningsUpdateBufferCountMax))
        let task = Task {
            do {
                try await self.readEarnings(into: continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Opens the stream and yields each `earnings` event until the server ends it.
    func readEarnings(into continuation: AsyncThrowingStream<EarningsUpdate, any Error>.Continuation) async throws {
        var request = makeRequest(.GET, "/v1/earnings/stream")
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "Cache-Control", value: "no-cache")
        let response = try await execute(request, timeout: Self.eventStreamTimeout)
        guard response.status == .ok else { throw try await failure(response) }
        var lines = LineSplitter(lineByteCountMax: Self.eventStreamLineByteCountMax)
        var parser = ServerSentEventParser()
        let decoder = JSONDecoder()
        do {
            for try await chunk in response.body {
                for line in try lines.append(chunk.readableBytesView) {
                    guard let event = parser.feed(line), event.type == "earnings" else { continue }
                    guard let update = try? decoder.decode(EarningsUpdate.self, from: Data(event.data.utf8)) else {
                        throw ClientError(status: Int(response.status.code), problem: nil,
                                          message: "An earnings update from \(server) could not be read (\(event.data.prefix(200))). Is it a Synclet server of the same version?")
                    }
                    continuation.yield(update)
                }
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(status: nil, problem: nil,
                              message: "The earnings stream from \(server) broke off (\(error)). Check the server is running, then run the command again.")
        }
    }

    // MARK: Plumbing

    /// `?period=…[&party=…][&format=…]`, the query every statement route takes.
    static func statementQuery(period: Period, party: PartyID?, format: StatementFormat? = nil) -> String {
        var items = ["period=\(period)"]
        if let party { items.append("party=\(party)") }
        if let format { items.append("format=\(format.rawValue)") }
        return "?" + items.joined(separator: "&")
    }

    /// Escapes everything but letters and digits, so a cursor survives any query parser.
    static func queryEscaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// Like `send(_:)`, with its own timeout (batches and closes that take longer than a page).
    func send<T: Decodable>(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> T {
        let response = try await execute(request, timeout: timeout)
        guard (200..<300).contains(response.status.code) else { throw try await failure(response) }
        let body = try await response.body.collect(upTo: Self.responseByteCountMax)
        do {
            return try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
        } catch {
            throw ClientError(status: Int(response.status.code), problem: nil,
                              message: "The server's answer could not be read (\(error)). Is \(server) a Synclet server of the same version?")
        }
    }
}
