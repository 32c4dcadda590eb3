/// An error that crosses the API: it knows its HTTP status and its stable problem type,
/// and its `detail` tells the caller what to do next (RFC 9457).
public struct Problem: Error, Equatable, Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The stable type, the last path segment of `https://synclet.dev/problems/…`.
    public var type: String
    /// A short, fixed summary of the problem type.
    public var title: String
    /// What went wrong in this instance and what to do about it.
    public var detail: String
    /// Extra members, e.g. `offset` on an upload conflict or `field` on a validation error.
    public var extensions: [String: String]

    public init(status: Int, type: String, title: String, detail: String, extensions: [String: String] = [:]) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.extensions = extensions
    }

    /// The full type URI.
    public var typeURI: String { Problem.typeBase + type }
    public static let typeBase = "https://synclet.dev/problems/"
}

extension Problem {
    public static func badRequest(_ detail: String, field: String? = nil) -> Problem {
        Problem(status: 400, type: "bad-request", title: "The request is malformed", detail: detail,
                extensions: field.map { ["field": $0] } ?? [:])
    }
    public static func unauthorized(_ detail: String) -> Problem {
        Problem(status: 401, type: "unauthorized", title: "Authentication is required", detail: detail)
    }
    public static func forbidden(_ detail: String) -> Problem {
        Problem(status: 403, type: "forbidden", title: "This key may not do that", detail: detail)
    }
    /// Also used for objects that exist but belong to someone else, so that nobody learns
    /// what is not theirs.
    public static func notFound(_ what: String) -> Problem {
        Problem(status: 404, type: "not-found", title: "Not found",
                detail: "\(what) does not exist or is not yours.")
    }
    public static func conflict(_ type: String, _ detail: String, extensions: [String: String] = [:]) -> Problem {
        Problem(status: 409, type: type, title: "The request conflicts with the current state",
                detail: detail, extensions: extensions)
    }
    /// If-Match named no current representation (RFC 9110 §13.1.1). tus versions have their own type.
    public static func preconditionFailed(_ detail: String) -> Problem {
        Problem(status: 412, type: "precondition-failed", title: "A precondition failed", detail: detail)
    }
    public static func tooLarge(_ detail: String) -> Problem {
        Problem(status: 413, type: "too-large", title: "The content is too large", detail: detail)
    }
    public static func unsupportedMediaType(_ detail: String) -> Problem {
        Problem(status: 415, type: "unsupported-media-type", title: "Unsupported media type", detail: detail)
    }
    public static func rangeNotSatisfiable(_ detail: String) -> Problem {
        Problem(status: 416, type: "range-not-satisfiable", title: "Range not satisfiable", detail: detail)
    }
    public static func invalid(_ detail: String, field: String? = nil) -> Problem {
        Problem(status: 422, type: "validation", title: "The request is well-formed but invalid",
                detail: detail, extensions: field.map { ["field": $0] } ?? [:])
    }
    public static func unreadableAudio(_ detail: String) -> Problem {
        Problem(status: 422, type: "unreadable-audio", title: "The file is not readable audio", detail: detail)
    }
    public static func audioMismatch(_ detail: String, field: String) -> Problem {
        Problem(status: 422, type: "audio-mismatch", title: "The audio contradicts its metadata",
                detail: detail, extensions: ["field": field])
    }
    /// The disk (or the database's file system) is full: the write failed and nothing was kept.
    public static func insufficientStorage() -> Problem {
        Problem(status: 507, type: "insufficient-storage", title: "The server's storage is full",
                detail: "The server's disk is full, so nothing of this request was kept. Retry later; the operator has been told.")
    }
    public static func internalError(requestID: String) -> Problem {
        Problem(status: 500, type: "internal", title: "Internal error",
                detail: "Something went wrong on our side; nothing was acknowledged. Retry, and quote request id \(requestID) if it persists.")
    }
}
