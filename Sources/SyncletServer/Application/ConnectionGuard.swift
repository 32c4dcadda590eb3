#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOPosix
import Synchronization
import SyncletCore

/// Keeps misbehaving clients from taking the server down, below the HTTP layer:
///
/// - at most `servedCountMax` connections are served at once; the next `refusedCountMax`
///   get a `503` problem with `Retry-After` and are closed, and past both the server stops
///   accepting (new connections wait in the kernel's backlog) instead of running out of
///   file descriptors;
/// - a request's header block must arrive whole within `headerTimeout` of its first byte
///   (a client sending a byte a second is closed);
/// - a response whose client stops reading is closed after `writeStallTimeout`;
/// - silent connections and stalled request bodies are closed by Hummingbird's idle
///   timeout (`Limits.httpIdleTimeoutSeconds`).
public final class ConnectionGuard: Sendable {
    public let servedCountMax: Int
    public let refusedCountMax: Int
    let headerTimeout: TimeAmount
    let writeStallTimeout: TimeAmount
    private let open = Atomic<Int>(0)
    private let refusedTotal = Atomic<Int>(0)

    /// File descriptors kept for everything that is not a client: the database and its
    /// WAL, blobs being written, uploads, previews, logs.
    public static let descriptorReserve = 256

    init(limits: Limits, descriptorLimit: Int = ConnectionGuard.raiseDescriptorLimit()) {
        let refused = max(16, min(256, limits.httpConnectionCountMax / 16))
        let room = max(32, descriptorLimit - Self.descriptorReserve - refused)
        servedCountMax = min(limits.httpConnectionCountMax, room)
        refusedCountMax = refused
        headerTimeout = .seconds(limits.httpHeaderTimeoutSeconds)
        writeStallTimeout = .seconds(limits.httpWriteStallTimeoutSeconds)
    }

    /// Connections open now (served and being refused).
    public var openCount: Int { open.load(ordering: .relaxed) }

    /// Connections answered 503 so far.
    public var refusedCount: Int { refusedTotal.load(ordering: .relaxed) }

    /// Whether a new connection is served (`true`) or refused; counted until `release`.
    func admit() -> Bool {
        let now = open.wrappingAdd(1, ordering: .relaxed).newValue
        if now > servedCountMax {
            refusedTotal.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        return true
    }

    func release() {
        open.wrappingSubtract(1, ordering: .relaxed)
    }

    /// Whether the listening socket may accept another connection (under served + refused).
    var hasRoom: Bool { openCount < servedCountMax + refusedCountMax }

    /// What Hummingbird's acceptor consults: past served + refused, stop accepting.
    var acceptCeiling: MaximumAvailableConnections {
        MaximumAvailableConnections(servedCountMax + refusedCountMax)
    }

    /// Raises the soft limit on open files to the hard limit (as servers do) and returns it.
    static func raiseDescriptorLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = min(limit.rlim_max, 1 << 20)
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        return Int(min(limit.rlim_cur, rlim_t(Int32.max)))
    }
}

/// HTTP/1.1 as Hummingbird serves it, with `ConnectionGuard`'s rules on every connection.
struct GuardedHTTP1Channel: ServerChildChannel, HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let http1: HTTP1Channel
    let connectionGuard: ConnectionGuard
    let health: HealthState
    let clock: SyncletCore.Clock

    init(responder: @escaping HTTPChannelHandler.Responder, idleTimeout: TimeAmount, connectionGuard: ConnectionGuard,
         health: HealthState, clock: SyncletCore.Clock) {
        self.connectionGuard = connectionGuard
        self.health = health
        self.clock = clock
        let headerTimeout = connectionGuard.headerTimeout
        let writeStallTimeout = connectionGuard.writeStallTimeout
        self.http1 = HTTP1Channel(responder: responder, configuration: .init(
            additionalChannelHandlers: [RequestPartWatcher(headerTimeout: headerTimeout, writeStallTimeout: writeStallTimeout)],
            idleTimeout: idleTimeout))
    }

    var responder: HTTPChannelHandler.Responder { http1.responder }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let (connectionGuard, health, clock) = (connectionGuard, health, clock)
        let served = connectionGuard.admit()
        channel.closeFuture.whenComplete { _ in connectionGuard.release() }
        return http1.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let watcher = try operations.handler(type: RequestPartWatcher.self)
            try operations.addHandler(FirstByteWatcher(parts: watcher), position: .first)
            let state = try operations.handler(type: HTTPConnectionStateHandler.self)
            try operations.addHandler(HealthFastPath(health: health, clock: clock), position: .after(state))
            let decoder = try operations.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try operations.addHandler(ParseErrorAnswer(), position: .after(decoder))
            if !served { try operations.addHandler(Refusal(), position: .first) }
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

/// Keeps the listening socket accepting while the task that takes accepted connections
/// waits for its turn on the cooperative threads.
///
/// Hummingbird hands accepted connections to one task through an async sequence with a
/// buffer of a few; when that task waited behind hundreds of request jobs, the socket
/// stopped accepting, and a new connection (an orchestrator's /health probe) sat in the
/// kernel's backlog for 80-220 ms under 256 busy connections, although its event loop
/// answers /health at once (measured: a keep-alive probe stayed under 18 ms meanwhile).
/// An accepted connection is set up, read and answered by its event loop without that task
/// (the task only starts the router's work), so this handler, first on the listening
/// channel, asks for the next accept after each one, up to the connection ceiling.
final class AcceptKeeper: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let connectionGuard: ConnectionGuard

    init(connectionGuard: ConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.fireChannelReadComplete()
        if connectionGuard.hasRoom { context.read() }
    }

    /// Installs the keeper on a listening channel (from any thread).
    static func install(on channel: any Channel, connectionGuard: ConnectionGuard) async throws {
        try await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(AcceptKeeper(connectionGuard: connectionGuard), position: .first)
        }.get()
    }
}

/// Sees raw bytes before the HTTP decoder: the first byte of a request's header block
/// starts its deadline.
final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let parts: RequestPartWatcher

    init(parts: RequestPartWatcher) { self.parts = parts }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        parts.bytesArrived(context: context)
        context.fireChannelRead(data)
    }
}

/// Sees requests and responses as HTTP parts: cancels the header deadline when a head is
/// whole, re-arms it for the next request when a response ends, and closes a connection
/// whose client has not read its response for `writeStallTimeout`.
final class RequestPartWatcher: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let writeStallTimeout: TimeAmount
    /// Requests whose head arrived and whose response has not ended.
    private var openRequests = 0
    private var headDeadline: Scheduled<Void>?
    private var stallDeadline: Scheduled<Void>?

    init(headerTimeout: TimeAmount, writeStallTimeout: TimeAmount) {
        self.headerTimeout = headerTimeout
        self.writeStallTimeout = writeStallTimeout
    }

    /// Bytes of the next request arrived: its header block now has `headerTimeout`.
    func bytesArrived(context: ChannelHandlerContext) {
        guard openRequests == 0, headDeadline == nil else { return }
        let channel = context.channel
        headDeadline = context.eventLoop.scheduleTask(in: headerTimeout) {
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            openRequests += 1
            headDeadline?.cancel()
            headDeadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { openRequests = max(0, openRequests - 1) }
        context.write(data, promise: promise)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallDeadline?.cancel()
            stallDeadline = nil
        } else if stallDeadline == nil {
            let channel = context.channel
            stallDeadline = context.eventLoop.scheduleTask(in: writeStallTimeout) {
                channel.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        headDeadline?.cancel()
        stallDeadline?.cancel()
        headDeadline = nil
        stallDeadline = nil
        context.fireChannelInactive()
    }
}

/// Answers a connection over the limit with a 503 problem and closes it: the response
/// first, then the write side, then (after the client had a moment to read) the socket.
/// What the client sends is read and dropped, so the close does not reset the answer.
final class Refusal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let retryAfterSeconds = 1
    static let lingerTime = TimeAmount.seconds(2)

    static let response: [UInt8] = {
        let body = (try? JSONWriter.encode(JSONValue.object([
            "type": .string(Problem.typeBase + "overloaded"), "title": .string("The server is at its connection limit"),
            "status": .integer(503),
            "detail": .string("Too many connections are open; this one was closed. Retry in \(retryAfterSeconds) s, and reuse connections (keep-alive)."),
        ]))) ?? []
        let head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nRetry-After: \(retryAfterSeconds)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }()

    func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: Self.response))).whenComplete { _ in
            channel.close(mode: .output, promise: nil)
        }
        context.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Dropped: this connection is not served.
    }
}
