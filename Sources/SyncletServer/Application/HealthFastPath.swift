import Glibc
import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOPosix
import SyncletCore

/// Answers `GET /health` and `HEAD /health` on the event loop, from `HealthState`, so an
/// orchestrator's probe is never queued behind the load it is meant to see through (under
/// 256 busy connections the router's answer waited 200-300 ms for a turn). The answer is
/// the router's own (`MetaController.health`); requests that carry a key, or that arrive
/// while another request on the connection is still being answered, go to the router.
final class HealthFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let health: HealthState
    private let clock: SyncletCore.Clock
    /// Requests passed on to the router whose response has not ended.
    private var inFlight = 0
    /// The /health request being read (until its end), answered here.
    private var answering: HTTPRequest?

    init(health: HealthState, clock: SyncletCore.Clock) {
        self.health = health
        self.clock = clock
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if let request = answering {
            if case .end = part {
                answering = nil
                respond(context: context, to: request)
            }
            return
        }
        if case .head(let request) = part {
            if inFlight == 0, Self.isPlainHealthCheck(request) {
                answering = request
                return
            }
            inFlight += 1
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inFlight = max(0, inFlight - 1) }
        context.write(data, promise: promise)
    }

    static func isPlainHealthCheck(_ request: HTTPRequest) -> Bool {
        guard request.method == .get || request.method == .head, request.headerFields[.authorization] == nil,
              let path = request.path else { return false }
        let route = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return route == "/health" || route == "/health/ready" || route == "/health/live"
    }

    private func respond(context: ChannelHandlerContext, to request: HTTPRequest) {
        let now = clock.now()
        let requestID = request.headerFields[.requestID].flatMap { RequestIDMiddleware.isAcceptable($0) ? $0 : nil }
            ?? "req_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let isLive = request.path.map { $0 == "/health/live" || $0.hasPrefix("/health/live?") } ?? false
        let (status, body) = isLive ? (200, HealthAnswer.live) : HealthAnswer.make(health.verdict(now: now), requestID: requestID)
        var fields = HTTPFields()
        fields[.contentType] = status == 200 ? "application/json" : "application/problem+json"
        fields[.contentLength] = String(body.count)
        fields[.cacheControl] = "no-store"
        fields[.date] = HTTPDate.format(now)
        fields[.server] = "synclet"
        fields[.requestID] = requestID
        fields[.tusResumable] = TusProtocol.version
        if status != 200 { fields[.retryAfter] = "5" }
        let closeAfter = request.headerFields[.connection]?.lowercased() == "close"
        if closeAfter { fields[.connection] = "close" }
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .init(code: status), headerFields: fields))), promise: nil)
        if request.method != .head { context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil) }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if closeAfter {
            let channel = context.channel
            written.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

/// The event loops read every request, answer /health and refuse connections over the cap:
/// under a full CPU they should not wait behind the threads that do the heavy work. Linux
/// keeps a nice value per thread, so each loop lowers its own (raises its priority), as
/// far as the process is allowed to. Measured here: /health's worst latency under 256 busy
/// connections fell from 110-150 ms to under 100 ms, and purchases rose by a quarter.
enum EventLoopPriority {
    /// The nice value the event loops ask for (0 is the default; lower runs first).
    static let niceValue: Int32 = -5

    /// Returns whether every loop of the shared group got the priority.
    static func raise(_ group: MultiThreadedEventLoopGroup = .singleton) async -> Bool {
        var all = true
        for loop in group.makeIterator() {
            let done = (try? await loop.submit { setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceValue) == 0 }.get()) ?? false
            all = all && done
        }
        return all
    }
}
