import Glibc
import BlobStore
import Blocking
import Catalog
import GRDB
import Ledger
import Licensing
import Hummingbird
import HummingbirdCore
import Logging
import ServiceLifecycle
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
    /// The connection limits in force (after fitting them under the open-files limit).
    public let connectionGuard: ConnectionGuard
    /// This server's hold on its storage folder (`synclet.lock`): a second server refuses to start.
    public let folderLock: FolderLock

    /// Runs until SIGTERM or SIGINT. Then the server stops accepting, requests in flight
    /// get `shutdown-grace-seconds` to finish, and whatever is still open after that is
    /// closed: a stop never waits on a client.
    public func runUntilStopped() async throws {
        if await !EventLoopPriority.raise() {
            application.logger.notice("could not raise the event loops' priority (needs CAP_SYS_NICE); /health may answer slower under full load")
        }
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint], logger: application.logger)
        configuration.maximumGracefulShutdownDuration = .seconds(services.settings.limits.shutdownGraceSeconds)
        configuration.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: configuration).run()
        // The folder stays held until the process exits (the database is still open).
    }

    /// Lets the storage folder go once the server has stopped (the process exiting does it
    /// too), so another server, or this process again, may start on it.
    public func releaseFolder() {
        folderLock.release()
    }

    /// Renders every pending preview now (tests, and a way to catch up); returns how many.
    public func renderPendingPreviews() async -> Int {
        await PreviewWorker(app: services, logger: application.logger).renderPending()
    }

    /// Runs the health check now (tests); returns the problem found, if any.
    @discardableResult
    public func checkHealth() async -> String? {
        await HealthMonitor(app: services, logger: application.logger).check()
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
    // A client or a log reader that goes away fails a write with EPIPE; it never ends the
    // process (NIO ignores SIGPIPE too, once it makes its first socket).
    _ = signal(SIGPIPE, SIG_IGN)
    let layout = StorageLayout(root: settings.storage)
    // Start-up reads and writes files and opens (migrates) the database synchronously: all
    // of it on the file pool, so no shared thread waits on the disk even before serving.
    // The templates first: a start refused for a bad template has created nothing.
    let templates: TemplateCatalog
    do {
        let folder = settings.licenses
        templates = try await Blocking.file { try folder.map { try TemplateCatalog.load(directory: $0) } ?? TemplateCatalog.builtIn() }
    } catch {
        throw ServerSetupError(description: "\(String(describing: error)). Fix the template (or point --licenses at the right folder, or leave it out for the built-in templates) and start again.")
    }
    // A start that fails in a folder it created leaves no trace: the folders this start's
    // own mkdir made are its own. Their contents go while it still holds the folder's lock
    // (so no other server is using them), then the empty folders, innermost first, each
    // only if empty. A folder that existed before is never touched.
    let (folderLock, created) = try await startingOnAFullDisk(layout) { try await Blocking.file { () throws -> (FolderLock, (made: [String], madeItself: Bool)) in
        let created: (made: [String], madeItself: Bool)
        do {
            created = try DurableFile.makeDirectoriesReportingCreated(layout.root)
        } catch {
            throw ServerSetupError(description: "Cannot create the storage folder \(layout.root): \(error). Choose another with --storage or SYNCLET_STORAGE.")
        }
        // One server per folder, taken before anything in it is read, swept or migrated.
        do {
            return (try FolderLock.acquire(folder: layout.root), created)
        } catch {
            for folder in created.made.reversed() { _ = rmdir(folder) }
            throw ServerSetupError(description: String(describing: error))
        }
    } }
    let services: AppServices
    let bootstrap: (PartyRecord, String)?
    do {
        (services, bootstrap) = try await openStorage(settings: settings, layout: layout, templates: templates, logger: logger)
    } catch {
        if created.madeItself {
            try? await Blocking.file {
                for name in DurableFile.list(layout.root) { DurableFile.removeTree("\(layout.root)/\(name)") }
                folderLock.release()
                for folder in created.made.reversed() { _ = rmdir(folder) }
            }
        }
        throw error
    }

    let router = Router(context: AppRequestContext.self, options: .autoGenerateHeadEndpoints)
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: AccessLogMiddleware(metrics: services.metrics))
    router.add(middleware: ProblemMiddleware())
    let routeMethods = RouteMethods()
    router.add(middleware: MethodMiddleware(routes: routeMethods))
    router.add(middleware: AuthMiddleware(catalog: services.catalog, keys: services.keyCache))
    MetaController(app: services).addRoutes(to: router)
    try await WebController.loaded().addRoutes(to: router)
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
    let connectionGuard = ConnectionGuard(limits: settings.limits)
    let idleTimeout = TimeAmount.seconds(settings.limits.httpIdleTimeoutSeconds)
    let workers: [any Service] = settings.runsBackgroundWorkers
        ? [UploadSweeper(app: services, logger: logger), PreviewWorker(app: services, logger: logger)] : []
    let application = Application(
        router: router,
        server: HTTPServerBuilder { responder in
            GuardedHTTP1Channel(responder: responder, idleTimeout: idleTimeout, connectionGuard: connectionGuard,
                                health: services.health, clock: settings.clock)
        },
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "synclet",
                             availableConnectionsDelegate: connectionGuard.acceptCeiling),
        services: workers + [HealthMonitor(app: services, logger: logger), StreamCloser(earnings: services.earnings)],
        onServerRunning: { channel in
            do {
                try await AcceptKeeper.install(on: channel, connectionGuard: connectionGuard)
            } catch {
                logger.warning("could not keep the listening socket accepting under load", metadata: ["error": "\(error)"])
            }
            await onServerRunning(channel.localAddress?.port ?? settings.port)
        },
        logger: logger)
    return SyncletApp(application: application, services: services, bootstrapToken: bootstrap?.1, routes: routes,
                      connectionGuard: connectionGuard, folderLock: folderLock)
}

/// Opens (or makes) everything in the locked storage folder: keys, secrets, the database
/// and its identity, leftovers swept, the operator bootstrapped; then the first health check.
private func openStorage(settings: ServerSettings, layout: StorageLayout, templates: TemplateCatalog,
                         logger: Logger) async throws -> (AppServices, (PartyRecord, String)?) {
    let services = try await startingOnAFullDisk(layout) { try await Blocking.file { () throws -> AppServices in
        do {
            try DurableFile.makeDirectories(layout.keys)
        } catch {
            throw ServerSetupError(description: "Cannot create the storage folder \(layout.root): \(error). Choose another with --storage or SYNCLET_STORAGE.")
        }
        let cursorKey = try loadOrCreateSecret(at: layout.cursorKey)
        let webhookSecret = try settings.paymentWebhookSecret.map { Array($0.utf8) } ?? loadOrCreateSecret(at: layout.webhookKey)
        let signingKeys = try SigningKeys(folder: layout.signingKeys, now: settings.clock.now())
        let database: DatabasePool
        do {
            database = try SyncletDatabase.open(path: layout.database, limits: settings.limits, periods: settings.periods)
        } catch let mismatch as Ledger.PeriodZoneMismatch {
            throw ServerSetupError(description: mismatch.description)
        }
        try checkStorageIdentity(layout: layout, database: database)
        _ = OpenAPIDocument.shared  // read and parsed once, here, not by the first request that needs it
        return try AppServices(settings: settings, layout: layout, database: database, cursorKey: cursorKey,
                               templates: templates, signingKeys: signingKeys, webhookSecret: webhookSecret)
    } }
    let swept = try await services.blobs.sweepTemporaryFiles()
    if swept > 0 { logger.notice("removed leftover temporary files", metadata: ["count": "\(swept)"]) }
    let referenced = try await services.catalog.referencedBlobs()
    let setAside = try await services.blobs.setAsideUnreferenced(keeping: referenced, into: layout.orphans)
    if setAside > 0 {
        logger.notice("set aside blobs no row refers to (most likely left by a crash); nothing was deleted",
                      metadata: ["count": "\(setAside)", "folder": "\(layout.orphans)"])
    }
    let bootstrap = try await services.catalog.bootstrapIfEmpty(now: settings.clock.now())
    // The first health check before the first request, so /health is right from the start.
    if let problem = await HealthMonitor(app: services, logger: logger).check() {
        logger.error("the store cannot be written at start", metadata: ["problem": "\(problem)"])
    }
    return (services, bootstrap)
}

/// Runs a start step; a step that failed because the disk is full says so and what to do.
func startingOnAFullDisk<T>(_ layout: StorageLayout, _ step: () async throws -> T) async throws -> T {
    do {
        return try await step()
    } catch let error where isDiskFull(error) {
        throw ServerSetupError(description: "The disk holding \(layout.root) is full (\(error)). Free some space, then start again; nothing was changed.")
    }
}

/// Refuses a database that does not belong to its folder (new, emptied, another folder's)
/// before anything in the folder is swept or served; gives a new folder and a folder from
/// before ids their id. Blocking: runs on the file pool, at start.
func checkStorageIdentity(layout: StorageLayout, database: DatabasePool) throws {
    let folderID = (try? DurableFile.read(layout.folderID)).flatMap {
        String(decoding: $0, as: UTF8.self).split(whereSeparator: \.isWhitespace).first.map(String.init)
    }
    let holdsFiles = DurableFile.list(layout.blobs).contains { $0.count == 2 && !DurableFile.list("\(layout.blobs)/\($0)").isEmpty }
        || DurableFile.list(layout.uploads).contains { $0.hasSuffix(".part") }
    let (databaseID, holdsData) = try database.read { db in try StorageIdentityRecord.read(db) }
    switch StorageIdentity.decide(folderID: folderID, databaseID: databaseID, folderHoldsFiles: holdsFiles, databaseHoldsData: holdsData,
                                  folder: layout.root, newID: "fld_" + SecureBytes.random(count: 16).hex) {
    case .matches:
        break
    case .adopt(let id, let writeFile):
        // The file first: a start cut short between the two finds a file and an empty
        // database in a folder without files, and adopts the file's id.
        if writeFile { try DurableFile.writeAtomically(Array("\(id)\n".utf8), to: layout.folderID, mode: 0o644) }
        try database.write { db in try StorageIdentityRecord.write(db, folderID: id) }
    case .refuse(let message):
        throw ServerSetupError(description: message)
    }
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
