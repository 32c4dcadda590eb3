import BlobStore
import Blocking
import Foundation
import HTTPTypes
import Hummingbird
import SyncletCore
import SyncletCrypto

extension HTTPField.Name {
    static let referrerPolicy = Self("Referrer-Policy")!
}

/// The two public web pages: the license check (`/check`) and a composer's live earnings
/// (`/earnings`). Plain HTML with inline style and script, served from the bundle; they
/// call the same public API as anyone else, so they need no route of their own beyond these.
struct WebController {
    /// Everything from this server only: the pages' own inline script and style, data from
    /// our API, no frames around them. Nothing on the page may load from elsewhere.
    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self' 'unsafe-inline'", "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:", "connect-src 'self'", "base-uri 'none'", "form-action 'self'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    let check: WebPage
    let earnings: WebPage

    /// Read when the router is built (on the file pool), so that a page missing from the
    /// bundle stops the server at start instead of failing the first visitor.
    static func loaded() async throws -> WebController {
        try await Blocking.file { WebController(check: WebPage.load("check"), earnings: WebPage.load("earnings")) }
    }

    func addRoutes(to router: Router<AppRequestContext>) {
        router.get("/check", use: checkPage)
        router.get("/earnings", use: earningsPage)
    }

    /// Public: enter a code or paste a key; `?code=` checks at once, so a check can be linked.
    @Sendable func checkPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try check.response(to: request)
    }

    /// Public page; its data needs a composer's key, which the page keeps in memory and sends
    /// only as `Authorization: Bearer` (a `#key=` fragment never reaches the server).
    @Sendable func earningsPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try earnings.response(to: request)
    }
}

/// One page's bytes and their validator, read once from the bundle's `web` folder.
struct WebPage: Sendable {
    let bytes: [UInt8]
    let etag: EntityTag

    static func load(_ name: String) -> WebPage {
        // The pages share one style sheet, inlined where a page says so: one request per
        // page, and nothing for the Content-Security-Policy to allow beyond the page itself.
        let page = resource(name, "html").replacingOccurrences(of: "/* SHARED-STYLE */", with: resource("shared", "css"))
        let bytes = Array(page.utf8)
        return WebPage(bytes: bytes, etag: EntityTag(opaque: SHA256Hasher.digest(bytes).hex.prefix(32).utf8))
    }

    static func resource(_ name: String, _ ext: String) -> String {
        let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "web")
            ?? Bundle.module.resourceURL?.appendingPathComponent("web/\(name).\(ext)")
        guard let url, let data = try? Data(contentsOf: url) else {
            fatalError("web/\(name).\(ext) is missing from the SyncletServer bundle")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The page, or 304 when the browser already holds this version (412 when If-Match names
    /// another). `no-cache` makes the browser ask each time, so a new server version is seen at once.
    func response(to request: Request) throws(Problem) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = WebController.contentSecurityPolicy
        headers[.cacheControl] = "no-cache"
        headers[.eTag] = etag.header
        headers[.xContentTypeOptions] = "nosniff"
        headers[.referrerPolicy] = "no-referrer"
        if try request.isNotModified(etag: etag) {
            return Response.notModified(from: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
