import ArgumentParser
import Foundation
import Logging
import SyncletCore
import SyncletServer

/// `synclet serve`: runs the API on the embedded store until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the Synclet server on a local data folder.",
        discussion: """
            On the first start the folder is created (database, blobs, uploads, keys) and the
            operator's first API key is printed once: keep it. Every flag can also be set
            through the environment variable named in its help.
            """)

    @Option(help: "Address to listen on (SYNCLET_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (SYNCLET_PORT).")
    var port: Int?

    @Option(help: "Data folder (SYNCLET_STORAGE). Default: Storage")
    var storage: String?

    @Option(name: .customLong("upload-max-bytes"), help: "Largest upload in bytes (SYNCLET_UPLOAD_MAX_BYTES).")
    var uploadMaxBytes: Int64?

    @Option(name: .customLong("upload-idle-seconds"), help: "Seconds before an unfinished upload expires (SYNCLET_UPLOAD_IDLE_SECONDS).")
    var uploadIdleSeconds: Int64?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (SYNCLET_LOG_LEVEL).")
    var logLevel: String?

    @Option(help: "Folder of license templates (SYNCLET_LICENSES). Default: Licenses")
    var licenses: String?

    @Option(name: .customLong("payout-threshold"), help: "Balances at or over this amount are paid out at a period close (SYNCLET_PAYOUT_THRESHOLD). Default: 10")
    var payoutThreshold: String?

    @Option(name: .customLong("platform-fee-bps"), help: "The platform's cut of each charge in basis points (SYNCLET_PLATFORM_FEE_BPS). Default: 2000")
    var platformFeeBasisPoints: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var settings = ServerSettings()
        settings.host = host ?? environment["SYNCLET_HOST"] ?? settings.host
        settings.port = try port ?? environment["SYNCLET_PORT"].map { text in
            guard let value = Int(text), (0...65535).contains(value) else { throw ValidationError("SYNCLET_PORT must be a port number.") }
            return value
        } ?? settings.port
        settings.storage = storage ?? environment["SYNCLET_STORAGE"] ?? settings.storage
        if let bytes = uploadMaxBytes ?? environment["SYNCLET_UPLOAD_MAX_BYTES"].flatMap(Int64.init) {
            guard bytes > 0 else { throw ValidationError("--upload-max-bytes must be positive.") }
            settings.limits.uploadByteCountMax = bytes
        }
        if let seconds = uploadIdleSeconds ?? environment["SYNCLET_UPLOAD_IDLE_SECONDS"].flatMap(Int64.init) {
            guard seconds > 0 else { throw ValidationError("--upload-idle-seconds must be positive.") }
            settings.limits.uploadIdleSecondsMax = seconds
        }
        settings.licenses = licenses ?? environment["SYNCLET_LICENSES"] ?? settings.licenses
        if let fee = platformFeeBasisPoints ?? environment["SYNCLET_PLATFORM_FEE_BPS"].flatMap(Int.init) {
            guard (0...10_000).contains(fee) else { throw ValidationError("--platform-fee-bps must be from 0 to 10000.") }
            settings.platformFeeBasisPoints = fee
        }
        settings.paymentWebhookSecret = environment["SYNCLET_PAYMENT_WEBHOOK_SECRET"]
        if let text = payoutThreshold ?? environment["SYNCLET_PAYOUT_THRESHOLD"] {
            guard let amount = Money(decimal: text), amount.micros >= 0 else {
                throw ValidationError("--payout-threshold is an amount such as 10 or 25.50.")
            }
            settings.payoutThresholdMicros = amount.micros
        }
        var logger = Logger(label: "synclet")
        let level = logLevel ?? environment["SYNCLET_LOG_LEVEL"] ?? "info"
        guard let parsed = Logger.Level(rawValue: level) else {
            throw ValidationError("Unknown log level \(level); use trace, debug, info, notice, warning or error.")
        }
        logger.logLevel = parsed

        let server: SyncletApp
        do {
            let (host, folder) = (settings.host, settings.storage)
            server = try await buildApplication(settings: settings, logger: logger) { port in
                print("Synclet is listening on http://\(host):\(port) (data in \(folder))")
                fflush(nil)
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
        try await server.application.runService()
    }
}
