import Synchronization
import ArgumentParser
import Foundation
import Logging
import SyncletCore
import SyncletServer
import Blocking

/// `synclet serve`: runs the API on the embedded store until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Synclet server on a local data folder.",
        discussion: """
            On the first start the folder is created (database, blobs, uploads, keys) and the
            operator's first API key is printed once: keep it. Every flag can also be set
            through the environment variable named in its help; a flag wins over the
            environment.

            Limits — body and batch sizes, archive limits, rate limits, page sizes, intervals,
            timeouts and the payout threshold — are set with --limit NAME=VALUE (repeatable) or
            with the variable SYNCLET_NAME (upper case, "-" as "_"). Sizes take KiB, MiB, GiB;
            seconds take m, h, d. `synclet serve --list-limits` prints every limit with its
            default, and README.md (section "Limits") explains each one.

            Examples:
              synclet serve --storage /var/lib/synclet --port 8080
              synclet serve --limit usage-batch-max-events=5000 --limit upload-max-bytes=2GiB
              SYNCLET_VERIFY_REQUESTS_PER_MINUTE=30 synclet serve
              synclet serve --list-limits --json
            """)

    @Option(help: "Address to listen on (SYNCLET_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (SYNCLET_PORT).")
    var port: Int?

    @Option(help: "Data folder (SYNCLET_STORAGE). Default: Storage")
    var storage: String?

    @Option(name: .customLong("limit"),
            help: ArgumentHelp("Set a limit, e.g. usage-batch-max-events=5000 or upload-max-bytes=2GiB; repeatable (SYNCLET_NAME). See --list-limits.",
                               valueName: "name=value"))
    var limitArguments: [String] = []

    @Flag(name: .customLong("list-limits"), help: "Print every limit with its environment variable, default and meaning, then exit.")
    var listLimits = false

    @Flag(help: "With --list-limits: print JSON for scripts.")
    var json = false

    @Flag(help: "With --list-limits: print the rows of the README's Limits table.")
    var markdown = false

    @Option(name: .customLong("upload-max-bytes"), help: "Largest upload, e.g. 4GiB: the same as --limit upload-max-bytes=… (SYNCLET_UPLOAD_MAX_BYTES).")
    var uploadMaxBytes: String?

    @Option(name: .customLong("upload-idle-seconds"), help: "Seconds before an unfinished upload expires: the same as --limit upload-idle-seconds=… (SYNCLET_UPLOAD_IDLE_SECONDS).")
    var uploadIdleSeconds: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (SYNCLET_LOG_LEVEL).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text (readable) or json (one object per line, for log shippers) (SYNCLET_LOG_FORMAT). Default: text")
    var logFormat: String?

    @Option(help: "Folder of license templates, ID.json + ID.md each (SYNCLET_LICENSES). Default: the templates built into this binary (Licenses/ of its source)")
    var licenses: String?

    @Option(name: .customLong("payout-threshold"), help: "Balances at or over this amount are paid out at a period close: the same as --limit payout-threshold=… (SYNCLET_PAYOUT_THRESHOLD). Default: 10")
    var payoutThreshold: String?

    @Option(name: .customLong("platform-fee-bps"), help: "The platform's cut of each charge in basis points (SYNCLET_PLATFORM_FEE_BPS). Default: 2000")
    var platformFeeBasisPoints: Int?

    @Option(name: .customLong("period-time-zone"), help: "IANA time zone of the calendar months statements and closes use, e.g. Europe/Berlin (SYNCLET_PERIOD_TIME_ZONE). Fixed once money is booked. Default: UTC")
    var periodTimeZone: String?

    mutating func validate() throws {
        guard listLimits || (!json && !markdown) else {
            throw ValidationError("--json and --markdown go with --list-limits.")
        }
        _ = try resolvedLimits(environment: ProcessInfo.processInfo.environment)
    }

    /// The limits from the environment, then from the flags: the specific ones
    /// (`--upload-max-bytes`, …) and every `--limit`, all through the one table.
    func resolvedLimits(environment: [String: String]) throws -> Limits {
        let specific = [("upload-max-bytes", uploadMaxBytes), ("upload-idle-seconds", uploadIdleSeconds),
                        ("payout-threshold", payoutThreshold)]
        do {
            var assignments = specific.compactMap { name, value in
                value.map { LimitAssignment(name: name, value: $0, source: "--\(name)") }
            }
            for argument in limitArguments { assignments.append(try LimitAssignment(parsing: argument)) }
            return try Limits.resolved(environment: environment, assignments: assignments)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var settings = ServerSettings()
        settings.limits = try resolvedLimits(environment: environment)
        if listLimits {
            try Self.printLimits(settings.limits, json: json, markdown: markdown)
            return
        }
        settings.host = host ?? environment["SYNCLET_HOST"] ?? settings.host
        settings.port = try port ?? environment["SYNCLET_PORT"].map { text in
            guard let value = Int(text), (0...65535).contains(value) else { throw ValidationError("SYNCLET_PORT must be a port number.") }
            return value
        } ?? settings.port
        settings.storage = storage ?? environment["SYNCLET_STORAGE"] ?? settings.storage
        settings.licenses = (licenses ?? environment["SYNCLET_LICENSES"]).flatMap { $0.isEmpty ? nil : $0 }
        if let fee = platformFeeBasisPoints ?? environment["SYNCLET_PLATFORM_FEE_BPS"].flatMap(Int.init) {
            guard (0...10_000).contains(fee) else { throw ValidationError("--platform-fee-bps must be from 0 to 10000.") }
            settings.platformFeeBasisPoints = fee
        }
        settings.paymentWebhookSecret = environment["SYNCLET_PAYMENT_WEBHOOK_SECRET"]
        if let zone = periodTimeZone ?? environment["SYNCLET_PERIOD_TIME_ZONE"] {
            guard let periods = PeriodCalendar(timeZone: zone) else {
                throw ValidationError("--period-time-zone \(zone) is not an IANA time zone; use a name such as UTC, Europe/Berlin or America/New_York.")
            }
            settings.periods = periods
        }
        if let text = payoutThreshold ?? environment["SYNCLET_PAYOUT_THRESHOLD"] {
            guard let amount = Money(decimal: text), amount.micros >= 0 else {
                throw ValidationError("--payout-threshold is an amount such as 10 or 25.50.")
            }
            settings.payoutThresholdMicros = amount.micros
        }

        // Both formats write through LogWriter's own thread: a log line never waits for stderr.
        switch logFormat ?? environment["SYNCLET_LOG_FORMAT"] ?? "text" {
        case "text": LoggingSystem.bootstrap { label in TextLogHandler(label: label) }
        case "json": LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        case let other: throw ValidationError("Unknown log format \(other); use text or json.")
        }
        var logger = Logger(label: "synclet")
        let level = logLevel ?? environment["SYNCLET_LOG_LEVEL"] ?? "info"
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ValidationError("Unknown log level \(level); use trace, debug, info, notice, warning or error.")
        }
        logger.logLevel = parsed
        for setting in Limits.settings where setting.value(in: settings.limits) != setting.defaultValue {
            logger.info("limit set", metadata: ["limit": "\(setting.name)", "value": "\(setting.format(setting.value(in: settings.limits)))",
                                                "default": "\(setting.defaultText)"])
        }

        // Before the folder is touched: a start refused here has created nothing.
        let (checkHost, checkPort) = (settings.host, settings.port)
        if let problem = try await Blocking.file({ PortCheck.problem(host: checkHost, port: checkPort) }) {
            Output.error("\(problem). Stop the other server, or choose another port with --port (SYNCLET_PORT).")
            throw ExitCode.failure
        }
        let server: SyncletApp
        let listening = ListeningFlag()
        do {
            let (host, folder) = (settings.host, settings.storage)
            server = try await buildApplication(settings: settings, logger: logger) { port in
                listening.value.withLock { $0 = true }
                // Requests may already arrive: the write to stdout goes to the file pool.
                try? await Blocking.file {
                    print("Synclet is listening on http://\(host):\(port) (data in \(folder))")
                    fflush(nil)
                }
            }
        } catch let error as ServerSetupError {
            Output.error(error.description)
            throw ExitCode.failure
        }
        if let token = server.bootstrapToken {
            print("""

                ┌───────────────────────────────────────────────────────────────────────────────┐
                  First start: this is the operator's (admin) API key. It is shown only now.
                  \(token)
                  Save it, then: synclet login --server http://\(settings.host):\(settings.port) --api-key <key>
                └───────────────────────────────────────────────────────────────────────────────┘

                """)
            // Flush now: the key must reach a pipe or a log even if the process is killed later.
            fflush(nil)
        }
        do {
            try await server.runUntilStopped()
        } catch {
            // After a stop asked for by a signal this is the grace period running out, and the
            // stop went as planned; before the server listened at all it is a failed start.
            guard listening.value.withLock({ $0 }) else {
                Output.error("The server could not start listening on \(settings.host):\(settings.port): \(error)")
                LogWriter.standardError.flush()
                throw ExitCode.failure
            }
            logger.notice("stopped", metadata: ["after": "\(error)"])
        }
        LogWriter.standardError.flush()
    }
}

extension Serve {
    /// One limit as `--list-limits --json` prints it; values in the limit's stored unit
    /// (bytes, seconds, milliseconds, micro-units) and as text.
    struct LimitListing: Encodable {
        let name: String
        let environment: String
        let kind: LimitSetting.Kind
        let defaultValue: Int64
        let defaultText: String
        let value: Int64
        let valueText: String
        let minimum: Int64
        let maximum: Int64
        let summary: String

        enum CodingKeys: String, CodingKey {
            case name, environment, kind, value, minimum, maximum, summary
            case defaultValue = "default"
            case defaultText = "default_text"
            case valueText = "value_text"
        }
    }

    /// Every limit with its default and, when the environment or a flag changed it, its value.
    static func printLimits(_ limits: Limits, json: Bool, markdown: Bool) throws {
        let settings = Limits.settings
        if json {
            try Output.json(settings.map { setting in
                let value = setting.value(in: limits)
                return LimitListing(name: setting.name, environment: setting.environment, kind: setting.kind,
                                    defaultValue: setting.defaultValue, defaultText: setting.defaultText,
                                    value: value, valueText: setting.format(value),
                                    minimum: setting.range.lowerBound, maximum: setting.range.upperBound, summary: setting.summary)
            })
            return
        }
        if markdown {
            print(LimitSetting.readmeHeader)
            for setting in settings { print(setting.readmeRow) }
            return
        }
        let width = settings.map { $0.name.count + $0.defaultText.count + 1 }.max() ?? 0
        for setting in settings {
            let assignment = "\(setting.name)=\(setting.defaultText)"
            let value = setting.value(in: limits)
            let now = value == setting.defaultValue ? "" : "  [now \(setting.format(value))]"
            print("\(assignment.padding(toLength: width, withPad: " ", startingAt: 0))  \(setting.environment)\(now)")
            print("    \(setting.summary) Accepts \(setting.requirement).")
        }
        print("\nSet one with --limit NAME=VALUE or its environment variable; a flag wins. README.md, section Limits, has this table.")
    }
}

/// Set once the server listens: tells a failed start from a stop after serving.
private final class ListeningFlag: Sendable {
    let value = Mutex(false)
}
