import ArgumentParser
import Audio
import Blocking
import Foundation
import Licensing
import Logging
import ServiceLifecycle
import Synchronization
import SyncletClient
import SyncletCore
import SyncletServer
import Usage

/// `synclet demo`: a small, realistic marketplace in a fresh folder, made through the
/// server's own engines over HTTP (the same routes the CLI uses), with a clock the demo
/// moves forward: last month is used, closed, sealed and paid out; this month is live.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill a fresh data folder with a small marketplace to explore.",
        discussion: """
            Makes composers and a co-writer, tracks with stems and a loop (generated tones),
            licensees with wallets and licenses, two reporting platforms, a month of usage
            with a reversal, that month closed with sealed statements and a payout, a late
            event booked in the current month, and the current month live. Everything is made
            through the server's own routes with a clock the demo moves forward, so the books
            are exactly what the server would have written. Then it prints how to start the
            server on the folder and what to look at.

            Example: synclet demo --storage /tmp/synclet-demo
            """)

    @Option(help: "The data folder to fill; it must not exist yet, or be empty.") var storage: String
    @Flag(help: "Print the keys, ids and periods made as JSON.") var json = false

    func run() async throws {
        let folder = storage
        let occupied = try await Blocking.file { !((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).isEmpty }
        guard !occupied else {
            Output.error("\(folder) is not empty. The demo fills a fresh folder: give another --storage (it is created).")
            throw ExitCode.failure
        }
        var logger = Logger(label: "synclet-demo")
        logger.logLevel = .warning
        let report = try await DemoMarketplace(storage: folder, logger: logger, progress: { step in
            if !json { FileHandle.standardError.write(Data("  \(step)\n".utf8)) }
        }).build()
        if json {
            try Output.json(report)
        } else {
            print(report.instructions)
        }
    }
}

/// What the demo made, for `--json` and the instructions.
struct DemoReport: Encodable {
    let storage: String
    let closedPeriod: String
    let currentPeriod: String
    let operatorKey: String
    let composerKey: String
    let coWriterKey: String
    let licenseeKey: String
    let reporterKey: String
    let composerID: String
    let coWriterID: String
    let trackID: String
    let licenseCode: String

    enum CodingKeys: String, CodingKey {
        case storage
        case closedPeriod = "closed_period"
        case currentPeriod = "current_period"
        case operatorKey = "operator_key"
        case composerKey = "composer_key"
        case coWriterKey = "co_writer_key"
        case licenseeKey = "licensee_key"
        case reporterKey = "reporter_key"
        case composerID = "composer_id"
        case coWriterID = "co_writer_id"
        case trackID = "track_id"
        case licenseCode = "license_code"
    }

    var instructions: String {
        """

        A demo marketplace is ready in \(storage).
        Start the server on it:

            synclet serve --storage \(storage)

        Keys (kept nowhere else; each is a login):
            operator            \(operatorKey)
            Ada (composer)      \(composerKey)
            Grace (co-writer)   \(coWriterKey)
            Clip Studio         \(licenseeKey)
            ShortsHub (reporter) \(reporterKey)

        Then, in another terminal:

            synclet login --server http://127.0.0.1:8080 --api-key \(composerKey)
            synclet statements show --period \(closedPeriod)    # sealed: usage, sales, payout, SHA-256
            synclet statements show --period \(currentPeriod)    # live: the late event and this month's usage
            synclet statements events --period \(closedPeriod) --line 1
            synclet earnings                                   # this month so far
            synclet assets show \(trackID)                     # a track, its stems and splits
            synclet search night --bpm 80-100
            synclet verify \(licenseCode)
            synclet login --server http://127.0.0.1:8080 --api-key \(operatorKey)
            synclet admin payouts \(closedPeriod) -o -        # the payout batch of the closed month

        In a browser: http://127.0.0.1:8080/earnings (paste Ada's key) and
        http://127.0.0.1:8080/check?code=\(licenseCode)
        """
    }
}

/// A clock the demo sets: the server reads it for every timestamp it writes.
final class DemoClock: Sendable {
    private let milliseconds: Mutex<Int64>
    init(_ time: Timestamp) { milliseconds = Mutex(time.millisecondsSince1970) }
    var now: Timestamp { Timestamp(millisecondsSince1970: milliseconds.withLock { $0 }) }
    func set(_ time: Timestamp) { milliseconds.withLock { $0 = max($0, time.millisecondsSince1970) } }
    var clock: Clock { Clock { [self] in now } }
}

/// Builds the demo marketplace through a server running in this process on a loopback port.
struct DemoMarketplace {
    let storage: String
    let logger: Logger
    let progress: @Sendable (String) -> Void

    static let hour: Int64 = 3_600_000
    static let day: Int64 = 24 * hour

    func build() async throws -> DemoReport {
        let real = Clock.system.now()
        let periods = PeriodCalendar.utc
        let current = periods.period(containing: real)
        let closed = current.previous
        let monthStart = periods.start(of: closed)
        let clock = DemoClock(Timestamp(millisecondsSince1970: monthStart.millisecondsSince1970 + 9 * Self.hour))

        var settings = ServerSettings()
        settings.host = "127.0.0.1"
        settings.port = 0
        settings.storage = storage
        settings.runsBackgroundWorkers = false
        settings.clock = clock.clock
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app: SyncletApp
        do {
            app = try await buildApplication(settings: settings, logger: logger) { port in
                continuation.yield(port)
                continuation.finish()
            }
        } catch let error as ServerSetupError {
            Output.error(error.description)
            throw ExitCode.failure
        }
        let group = ServiceGroup(configuration: .init(services: [app.application], logger: logger))
        let running = Task { try await group.run() }
        defer { app.releaseFolder() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), let operatorKey = app.bootstrapToken else {
            throw ValidationError("The demo server did not start.")
        }
        do {
            let report = try await populate(server: "http://127.0.0.1:\(port)", operatorKey: operatorKey, clock: clock,
                                            closed: closed, current: current, monthStart: monthStart, real: real)
            progress("rendering previews and waveforms")
            _ = await app.renderPendingPreviews()
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            return report
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await running.value
            throw error
        }
    }

    func populate(server: String, operatorKey: String, clock: DemoClock, closed: Period, current: Period,
                  monthStart: Timestamp, real: Timestamp) async throws -> DemoReport {
        let admin = SyncletClient(server: server, apiKey: operatorKey)
        func at(day: Int64, hour: Int64) -> Timestamp {
            Timestamp(millisecondsSince1970: monthStart.millisecondsSince1970 + (day - 1) * Self.day + hour * Self.hour)
        }
        func party(_ kind: PartyKind, _ name: String) async throws -> (Wire.Party, SyncletClient, String) {
            let party = try await admin.createParty(kind: kind, displayName: name)
            let key = try await admin.issueKey(party: party.id, label: "demo")
            return (party, SyncletClient(server: server, apiKey: key.token), key.token)
        }

        progress("parties: three composers, two licensees, two platforms")
        let (ada, adaClient, adaKey) = try await party(.composer, "Ada Lovelace")
        let (grace, _, graceKey) = try await party(.composer, "Grace Hopper")
        let (_, claraClient, _) = try await party(.composer, "Clara Schumann")
        let (studio, studioClient, studioKey) = try await party(.licensee, "Clip Studio")
        let (films, filmsClient, _) = try await party(.licensee, "Northwind Films")
        let (shorts, shortsClient, shortsKey) = try await party(.reporter, "ShortsHub")
        let (reels, reelsClient, _) = try await party(.reporter, "ReelTok")
        _ = try await admin.setReporterPlatforms(shorts.id, ["youtube"])
        _ = try await admin.setReporterPlatforms(reels.id, ["tiktok", "instagram"])

        progress("catalog: a track with stems, a loop and a second composer's track (generated audio)")
        let audio = try await Blocking.file { () throws -> String in
            let directory = NSTemporaryDirectory() + "synclet-demo-audio-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (name, format, seconds, frequency) in [("night-drive.flac", ToneWriter.Format.flac16, 48.0, 220.0),
                                                       ("drums.wav", .wav16, 48.0, 110.0), ("bass.wav", .wav16, 48.0, 55.0),
                                                       ("neon-hook.wav", .wav16, 8.0, 440.0), ("paper-lanterns.mp3", .mp3, 40.0, 330.0)] {
                try ToneWriter.writeSine(path: "\(directory)/\(name)", format: format, sampleRate: 44_100,
                                         frames: Int64(seconds * 44_100), frequency: frequency)
            }
            return directory
        }
        defer { Task.detached { try? FileManager.default.removeItem(atPath: audio) } }
        func upload(_ client: SyncletClient, _ file: String, _ request: (UploadID) -> Wire.CreateAsset) async throws -> Wire.Asset {
            let id = try await client.uploadFile(path: "\(audio)/\(file)", journal: nil)
            let asset = try await client.createAsset(request(id))
            return asset
        }
        let split = [SplitShare(partyID: ada.id, basisPoints: 6_000), SplitShare(partyID: grace.id, basisPoints: 4_000)]
        let track = try await upload(adaClient, "night-drive.flac") {
            Wire.CreateAsset(uploadID: $0, kind: .track, title: "Night Drive", bpm: 92, key: "Am", tags: ["synthwave", "night"],
                             moods: ["dark"], genres: ["electronic"], instruments: ["synth"], vocals: false, splits: split)
        }
        let drums = try await upload(adaClient, "drums.wav") { Wire.CreateAsset(uploadID: $0, kind: .stem, title: "Drums", trackID: track.id) }
        let bass = try await upload(adaClient, "bass.wav") { Wire.CreateAsset(uploadID: $0, kind: .stem, title: "Bass", trackID: track.id) }
        let hook = try await upload(adaClient, "neon-hook.wav") {
            Wire.CreateAsset(uploadID: $0, kind: .loop, title: "Neon Hook", bpm: 120, key: "8A", tags: ["hook", "synthwave"], moods: ["bright"])
        }
        let lanterns = try await upload(claraClient, "paper-lanterns.mp3") {
            Wire.CreateAsset(uploadID: $0, kind: .track, title: "Paper Lanterns", bpm: 84, key: "F major", tags: ["piano", "calm"],
                             moods: ["warm"], genres: ["ambient"], instruments: ["piano"], vocals: false)
        }
        for id in [track.id, drums.id, bass.id, hook.id] { _ = try await adaClient.publish(id) }
        _ = try await claraClient.publish(lanterns.id)

        progress("wallets and licenses, on the 2nd of \(closed)")
        clock.set(at(day: 2, hour: 10))
        _ = try await admin.grant(party: studio.id, amountMicros: 60_000_000, note: "demo: welcome credit", idempotencyKey: UUID().uuidString)
        _ = try await admin.grant(party: films.id, amountMicros: 40_000_000, note: "demo: welcome credit", idempotencyKey: UUID().uuidString)
        let longForm = IntendedUse(platform: "youtube", media: .longForm, clipSeconds: 120, expectedViews: 300_000, termDays: 3650,
                                   territory: "US", monetized: true, paidAds: false)
        let standard = try await studioClient.issueLicense(
            Wire.IssueLicense(assetID: track.id, template: "creator-standard", use: longForm,
                              channels: [ClearedChannel(platform: "youtube", channelID: "UCclipstudio")]),
            idempotencyKey: UUID().uuidString)
        let short = IntendedUse(platform: "tiktok", media: .shortForm, clipSeconds: 15, expectedViews: 20_000, termDays: 365,
                                territory: "DE", monetized: true, paidAds: false)
        _ = try await filmsClient.issueLicense(Wire.IssueLicense(assetID: hook.id, template: "social-clip", use: short),
                                               idempotencyKey: UUID().uuidString)
        let pooled = try await filmsClient.issueLicense(
            Wire.IssueLicense(assetID: lanterns.id, template: "subscription-pool",
                              use: IntendedUse(platform: "instagram", media: .shortForm, clipSeconds: 30, expectedViews: 5_000,
                                               termDays: 30, territory: "DE", monetized: true, paidAds: false)),
            idempotencyKey: UUID().uuidString)

        progress("a month of usage from ShortsHub and ReelTok, with a reversal")
        var views = SplitMixDemo(seed: 2026)
        var lastShortsEvent = ""
        for dayOfMonth in Int64(3)...Int64(27) {
            clock.set(at(day: dayOfMonth, hour: 22))
            var youtube = [UsageEventInput]()
            for slot in 0..<3 {
                let id = "yt-\(closed)-\(dayOfMonth)-\(slot)"
                youtube.append(UsageEventInput(eventID: id, license: standard.code, kind: .view,
                                               quantity: Int64(1_000 + views.next() % 4_000), platform: "youtube",
                                               channelID: "UCclipstudio", videoID: "vid-night-drive-\(slot % 2)", country: "US",
                                               occurredAt: at(day: dayOfMonth, hour: 8 + Int64(slot) * 4)))
                lastShortsEvent = id
            }
            _ = try await shortsClient.reportUsage(events: youtube)
            if dayOfMonth % 5 == 0 {
                _ = try await reelsClient.reportUsage(events: [
                    UsageEventInput(eventID: "rt-\(closed)-\(dayOfMonth)", license: pooled.code, kind: .use, quantity: 1,
                                    platform: "instagram", videoID: "reel-lanterns-\(dayOfMonth)", country: "DE",
                                    occurredAt: at(day: dayOfMonth, hour: 12)),
                ])
            }
        }
        // A platform takes back a use it counted twice.
        clock.set(at(day: 28, hour: 9))
        _ = try await shortsClient.reportUsage(events: [
            UsageEventInput(eventID: "yt-\(closed)-correction-1", license: standard.code, kind: .view, quantity: 0, platform: "youtube",
                            channelID: "UCclipstudio", occurredAt: at(day: 28, hour: 8), reverses: lastShortsEvent),
        ])

        progress("\(closed) closed: statements sealed, balances over the threshold paid out")
        let currentStart = PeriodCalendar.utc.start(of: current)
        let afterClose = min(Timestamp(millisecondsSince1970: currentStart.millisecondsSince1970 + Self.hour), real)
        clock.set(afterClose)
        _ = try await admin.closePeriod(closed)

        progress("a late event for \(closed), booked in \(current); and this month's usage")
        _ = try await shortsClient.reportUsage(events: [
            UsageEventInput(eventID: "yt-\(closed)-late-1", license: standard.code, kind: .view, quantity: 2_500, platform: "youtube",
                            channelID: "UCclipstudio", videoID: "vid-night-drive-0", country: "US", occurredAt: at(day: 27, hour: 23)),
        ])
        let span = max(1, (real.millisecondsSince1970 - afterClose.millisecondsSince1970) / 4)
        for step in Int64(1)...3 {
            let when = Timestamp(millisecondsSince1970: afterClose.millisecondsSince1970 + step * span)
            clock.set(when)
            _ = try await shortsClient.reportUsage(events: [
                UsageEventInput(eventID: "yt-\(current)-\(step)", license: standard.code, kind: .view,
                                quantity: Int64(1_500 + views.next() % 3_000), platform: "youtube", channelID: "UCclipstudio",
                                videoID: "vid-night-drive-1", country: "CA", occurredAt: when),
            ])
        }
        return DemoReport(storage: storage, closedPeriod: closed.description, currentPeriod: current.description,
                          operatorKey: operatorKey, composerKey: adaKey, coWriterKey: graceKey, licenseeKey: studioKey,
                          reporterKey: shortsKey, composerID: ada.id.rawValue, coWriterID: grace.id.rawValue,
                          trackID: track.id.rawValue, licenseCode: standard.code)
    }
}

/// A seeded generator, so every demo has the same figures for the same dates.
struct SplitMixDemo {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
