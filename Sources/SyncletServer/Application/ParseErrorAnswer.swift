import NIOCore
import NIOHTTP1
import SyncletCore

/// Answers a request the HTTP/1.1 parser refused with a 400 problem and closes the
/// connection: a malformed chunk-size line, a chunk longer than its size, two lengths that
/// disagree, a head that is not HTTP. Before, a body that broke mid-way reached the route
/// as an unexplained error (a 500 and an error in the log) or left the connection hanging.
/// It sits right after the decoder, sees each request's head and end and each response's,
/// and answers only when the broken request is the one being read and nothing of its
/// response was written; the error then goes on up, so the route's body read fails too
/// (a body cut short is never taken for a whole one), and whatever the route answers is
/// dropped. Otherwise the error goes on as it came and the connection is closed upstream.
final class ParseErrorAnswer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// Requests whose head was read and whose response has not ended.
    private var unanswered = 0
    /// The last request's head was read and its end not yet.
    private var readingBody = false
    /// A final response head was written and its end not yet.
    private var responding = false
    /// This handler answered; the rest of the connection is dropped.
    private var refused = false

    static func body(for error: HTTPParserError, requestID: String) -> [UInt8] {
        (try? JSONWriter.encode(JSONValue.object([
            "type": .string(Problem.typeBase + "bad-request"), "title": .string("Bad Request"), "status": .integer(400),
            "detail": .string("The request is not valid HTTP/1.1 (\(error)). Check the chunked encoding and the lengths, and send the whole body (an upload resumes from the offset HEAD reports)."),
            "request_id": .string(requestID),
        ]))) ?? []
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        switch unwrapInboundIn(data) {
        case .head: unanswered += 1; readingBody = true
        case .end: readingBody = false
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard !refused else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: responding = true
        case .end: responding = false; unanswered = max(0, unanswered - 1)
        default: break
        }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError, !refused else {
            if !refused { context.fireErrorCaught(error) }
            return
        }
        // The broken request is the one being read, and nothing of its answer went out: a new
        // head that failed, or a body being read whose route has not answered yet.
        let brokenOneIsCurrent = (unanswered == 0 && !readingBody) || (unanswered == 1 && readingBody)
        guard brokenOneIsCurrent, !responding else { return context.fireErrorCaught(error) }
        let body = Self.body(for: parseError, requestID: "req_" + String(UInt64.random(in: 0...UInt64.max), radix: 36))
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/problem+json")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        let channel = context.channel
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        // The answer, then the write side; the socket a moment later, so what the client is
        // still sending does not reset the connection before it has read the answer.
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(mode: .output, promise: nil) }
        context.eventLoop.scheduleTask(in: Refusal.lingerTime) { channel.close(promise: nil) }
        refused = true
        context.fireErrorCaught(error)
    }
}
