import SyncletCore

/// What went wrong talking to the server, in words that say what to do next.
public struct ClientError: Error, CustomStringConvertible, Sendable {
    /// The HTTP status, or `nil` when the server could not be reached.
    public let status: Int?
    /// The server's problem document, when it sent one.
    public let problem: Wire.ProblemDocument?
    public let message: String

    public init(status: Int?, problem: Wire.ProblemDocument?, message: String) {
        self.status = status
        self.problem = problem
        self.message = message
    }

    public var description: String {
        if let problem {
            var text = problem.detail
            if let requestID = problem.requestID, (status ?? 0) >= 500 { text += " (request \(requestID))" }
            return text
        }
        return message
    }

    /// The problem type's last segment, e.g. "upload-offset-mismatch".
    public var problemType: String? { problem?.type.split(separator: "/").last.map(String.init) }
}
