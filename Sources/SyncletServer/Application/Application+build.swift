import BlobStore
import Catalog
import GRDB
import Ledger
import Licensing
import Hummingbird
import Logging
import NIOCore
import SyncletCore
import SyncletCrypto

/// A server ready to run, with its shared services exposed for tests and the CLI.
public struct SyncletApp: Sendable {
    public let application: Application<RouterResponder<AppRequestContext>>
    public let services: AppServices
    /// The operator's first API key, present only on the very first start of a folder.
    public let bootstrapToken: String?
    /// Every route the router serves, as "METHOD /path/{param}".
    public let routes: [String]

    /// Renders every pending preview now (tests, and a way to catch up); returns how many.
    public func renderPendingPreviews() async -> Int {
        await PreviewWorker(app: services, logger: application.logger).renderPending()
    }

    /// Runs one pass of the abandoned-upload sweep now; returns how many were removed.
    public func sweepUploads() async throws -> Int {
        try await UploadSweeper(app: services, logger: application.logger).sweep()
    }
}

/// Why the server cannot start, said so that the operator knows what to fix.
public struct ServerSetupError: Error, CustomStringConvertible {
    public let description: String
}

/// The one place that wires the server: storage folder, database, stores, middleware,
/// routes and background services. `synclet serve` and the tests both call it.
public func buildApplication(
    settings: ServerSettings,
    logger: Logger = Logger(label: "synclet"),
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> SyncletApp {
    let layout = StorageLayout(root: settings.storage)
    do {
        try DurableFile.makeDirectories(layout.root)
        try DurableFile.makeDirectories(layout.keys)
    } catch {
        throw ServerSetupError(description: "Cannot create the storage folder \(layout.root): \(error). Choose another with --storage or SYNCLET_STORAGE.")
    }
    let cursorKey = try loadOrCreateSecret(at: layout.cursorKey)
    let templates: TemplateCatalog
    do {
        templates = try TemplateCatalog.load(directory: settings.licenses)
    } catch {
        throw ServerSetupError(description: "\(error.description). Fix the template (or point --licenses at the right folder) and start again.")
    }
    let webhookSecret = try settings.paymentWebhookSecret.map { Array($0.utf8) } ?? loadOrCreateSecret(at: layout.webhookKey)
    let signingKeys = try SigningKeys(folder: layout.signingKeys, now: settings.clock.now())
    let database = try { () throws -> DatabasePool in
        do {
            return try SyncletDatabase.open(path: layout.database, limits: settings.limits, periods: settings.periods)
        } catch let mismatch as Ledger.PeriodZoneMismatch {
            throw ServerSetupError(description: mismatch.description)
        }
    }()
    let services = try AppServices(settings: settings, layout: layout, database: database, cursorKey: cursorKey,
                                   templates: templates, signingKeys: signingKeys, webhookSecret: webhookSecret)
    let swept = services.blobs.sweepTemporaryFiles()
    if swept > 0 { logger.notice("removed leftover temporary files", metadata: ["count": "\(swept)"]) }
    let referenced = try await services.catalog.referencedBlobs()
    let orphans = services.blobs.sweepUnreferenced { referenced.contains($0) }
    if orphans > 0 { logger.notice("removed blobs no row refers to (left by a crash)", metadata: ["count": "\(orphans)"]) }
    let bootstrap = try await services.catalog.bootstrapIfEmpty(now: settings.clock.now())

    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: AccessLogMiddleware(metrics: services.metrics))
    router.add(middleware: ProblemMiddleware())
    let routeMethods = RouteMethods()
    router.add(middleware: MethodMiddleware(routes: routeMethods))
    router.add(middleware: AuthMiddleware(catalog: services.catalog))
    MetaController(app: services).addRoutes(to: router)
    WebController().addRoutes(to: router)
    MetricsController(app: services).addRoutes(to: router)
    PartiesController(app: services).addRoutes(to: router)
    UploadsController(app: services).addRoutes(to: router)
    AssetsController(app: services).addRoutes(to: router)
    AssetFilesController(app: services).addRoutes(to: router)
    PacksController(app: services).addRoutes(to: router)
    LicensingController(app: services).addRoutes(to: router)
    WalletsController(app: services).addRoutes(to: router)
    VerifyController(app: services).addRoutes(to: router)
    DropsController(app: services).addRoutes(to: router)
    UsageController(app: services).addRoutes(to: router)
    EarningsController(app: services).addRoutes(to: router)

    let routes = router.routes.map { route in
        let path = route.path.description.split(separator: "/").map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }.joined(separator: "/")
        return "\(route.method.rawValue) /\(path)"
    }
    routeMethods.set(routes)
    let application = Application(
        router: router,
        server: .http1(configuration: .init(idleTimeout: .seconds(settings.limits.httpIdleTimeoutSeconds))),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "synclet"),
        services: settings.runsBackgroundWorkers
            ? [UploadSweeper(app: services, logger: logger), PreviewWorker(app: services, logger: logger)] : [],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
        logger: logger)
    return SyncletApp(application: application, services: services, bootstrapToken: bootstrap?.1, routes: routes)
}

/// Reads a 32-byte secret kept with 0600 permissions, creating it on first start.
func loadOrCreateSecret(at path: String) throws -> [UInt8] {
    if let mode = DurableFile.mode(path) {
        guard mode & 0o077 == 0 else {
            throw ServerSetupError(description: "\(path) is readable by others (mode \(String(mode, radix: 8))). Run `chmod 600 \(path)` and start again.")
        }
        let bytes = try DurableFile.read(path)
        guard bytes.count == 32 else {
            throw ServerSetupError(description: "\(path) is damaged (expected 32 bytes). Delete it to make a new one; page cursors already handed out stop working.")
        }
        return bytes
    }
    let bytes = SecureBytes.random(count: 32)
    try DurableFile.writeAtomically(bytes, to: path, mode: 0o600)
    return bytes
}
