import HTTPTypes
import Metrics
import Prometheus
import Synchronization

/// What one server counts, served at `GET /metrics` in the Prometheus text format.
///
/// Each server owns its registry: tests start many servers in one process, and the global
/// `MetricsSystem` may be bootstrapped only once, so nothing here touches it. The metrics
/// are swift-metrics values (`Counter`, `Timer`, `Recorder`) backed by handlers made in our
/// registry with a help text; `factory` builds more of them in the same registry (the
/// executable may bootstrap the global system with it so libraries report there too).
///
/// Every label takes values from a closed set (route templates, not raw paths; known methods;
/// status classes; event results), so the number of series stays bounded whatever clients send.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// A swift-metrics factory over `registry`, with our buckets.
    public let factory: PrometheusMetricsFactory

    /// Usage events by result, counted once the batch's commit is durable.
    let usageAccepted: CoreMetrics.Counter
    let usageDuplicate: CoreMetrics.Counter
    let usageFlagged: CoreMetrics.Counter
    let usageRejected: CoreMetrics.Counter
    /// New licenses (an idempotent replay is not a new license).
    let licensesIssued: CoreMetrics.Counter
    /// Bytes of tus PATCH bodies written and synced to disk.
    let uploadBytes: CoreMetrics.Counter
    /// Uploads whose last byte arrived.
    let uploadsCompleted: CoreMetrics.Counter
    /// Jobs (requests) coalesced into one group commit.
    let groupCommitJobs: CoreMetrics.Recorder
    /// Time of one group commit's write transaction, commit and fsync included.
    let groupCommitDuration: CoreMetrics.Timer

    private let httpSeries = Mutex<[HTTPSeriesKey: HTTPSeries]>([:])

    /// Latency buckets from 1 ms to 30 s: most routes answer in milliseconds; uploads,
    /// packs and big usage batches take longer.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2_500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2_500), .seconds(5), .seconds(10), .seconds(30),
    ]
    /// Jobs per commit, in powers of two past the default `Limits.groupCommitJobCountMax` (256).
    static let groupCommitJobBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1_024]

    public init() {
        let registry = PrometheusCollectorRegistry()
        var configured = PrometheusMetricsFactory(registry: registry)
        configured.defaultDurationHistogramBuckets = ServerMetrics.durationBuckets
        let factory = configured
        self.registry = registry
        self.factory = factory

        func counter(_ name: String, _ labels: [(String, String)] = [], help: String) -> CoreMetrics.Counter {
            ServerMetrics.counter(registry, factory, name, labels: labels, help: help)
        }
        let usageHelp = "Usage events answered, by result (accepted, duplicate, flagged, rejected)."
        usageAccepted = counter("usage_events_total", [("result", "accepted")], help: usageHelp)
        usageDuplicate = counter("usage_events_total", [("result", "duplicate")], help: usageHelp)
        usageFlagged = counter("usage_events_total", [("result", "flagged")], help: usageHelp)
        usageRejected = counter("usage_events_total", [("result", "rejected")], help: usageHelp)
        licensesIssued = counter("licenses_issued_total", help: "Licenses issued (idempotent replays not counted).")
        uploadBytes = counter("upload_bytes_total", help: "Bytes of upload (tus PATCH) bodies written durably.")
        uploadsCompleted = counter("uploads_completed_total", help: "Uploads that received their last byte.")
        let jobs = MetricNameDescriptor(namespace: "synclet", metricName: "group_commit_jobs", unitName: "",
                                        helpText: "Write jobs (requests) coalesced per group commit.")
        groupCommitJobs = CoreMetrics.Recorder(
            label: jobs.name, dimensions: [], aggregate: true,
            handler: registry.makeValueHistogram(descriptor: jobs, labels: [], buckets: ServerMetrics.groupCommitJobBuckets),
            factory: factory)
        groupCommitDuration = ServerMetrics.timer(registry, factory, "group_commit_duration_seconds", labels: [],
                                                  help: "Time of a group commit's write transaction, commit and fsync included.")
    }

    // MARK: HTTP

    /// Counts one answered request and its latency. `route` is the matched route's template
    /// (`/v1/assets/{id}`), never the raw path; unmatched requests share one series.
    func recordRequest(method: HTTPRequest.Method, route: String?, status: HTTPResponse.Status, duration: Duration) {
        let key = HTTPSeriesKey(method: Self.methodLabel(method), route: Self.routeLabel(route),
                                statusClass: "\(status.code / 100)xx")
        let series = httpSeries.withLock { cache in
            if let series = cache[key] { return series }
            let series = HTTPSeries(key, registry: registry, factory: factory)
            cache[key] = series
            return series
        }
        series.requests.increment()
        series.duration.record(duration: duration)
    }

    /// The route label of requests no route matched (Hummingbird names them "NotFound").
    static let unmatchedRoute = "unmatched"

    /// The route label: the template the router matched, or `unmatched`.
    static func routeLabel(_ endpointPath: String?) -> String {
        guard let endpointPath, endpointPath.hasPrefix("/") else { return unmatchedRoute }
        return endpointPath
    }

    /// The method label; a method we do not serve is `other`, so clients cannot mint series.
    static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .patch, .delete, .options: method.rawValue
        default: "other"
        }
    }

    private struct HTTPSeriesKey: Hashable, Sendable {
        let method: String
        let route: String
        let statusClass: String
    }

    private struct HTTPSeries: Sendable {
        let requests: CoreMetrics.Counter
        let duration: CoreMetrics.Timer

        init(_ key: HTTPSeriesKey, registry: PrometheusCollectorRegistry, factory: PrometheusMetricsFactory) {
            let labels = [("method", key.method), ("route", key.route), ("status_class", key.statusClass)]
            requests = ServerMetrics.counter(registry, factory, "http_requests_total", labels: labels,
                                             help: "HTTP requests answered, by method, route template and status class.")
            duration = ServerMetrics.timer(registry, factory, "http_request_duration_seconds", labels: labels,
                                           help: "Time from request to response head, by method, route template and status class.")
        }
    }

    // MARK: Domain events

    /// Counts a usage batch's results once its commit is durable.
    func recordUsage(accepted: Int, duplicate: Int, flagged: Int, rejected: Int) {
        usageAccepted.increment(by: accepted)
        usageDuplicate.increment(by: duplicate)
        usageFlagged.increment(by: flagged)
        usageRejected.increment(by: rejected)
    }

    /// Counts one new license.
    func recordLicenseIssued() {
        licensesIssued.increment()
    }

    /// Counts upload bytes made durable, and a finished upload.
    func recordUpload(bytes: Int64, completed: Bool) {
        if bytes > 0 { uploadBytes.increment(by: bytes) }
        if completed { uploadsCompleted.increment() }
    }

    /// Records one group commit: how many jobs it carried and how long its transaction took.
    func recordGroupCommit(jobs: Int, duration: Duration) {
        groupCommitJobs.record(jobs)
        groupCommitDuration.record(duration: duration)
    }

    // MARK: Rendering

    /// The Prometheus text exposition (format 0.0.4) of every metric.
    public func exposition() -> [UInt8] {
        registry.emitToBuffer()
    }

    /// The content type of `exposition()`.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    // MARK: Construction

    private static func counter(_ registry: PrometheusCollectorRegistry, _ factory: PrometheusMetricsFactory, _ name: String,
                                labels: [(String, String)], help: String) -> CoreMetrics.Counter {
        let descriptor = MetricNameDescriptor(namespace: "synclet", metricName: name, unitName: "", helpText: help)
        let handler = labels.isEmpty ? registry.makeCounter(descriptor: descriptor)
                                     : registry.makeCounter(descriptor: descriptor, labels: labels)
        return CoreMetrics.Counter(label: descriptor.name, dimensions: labels, handler: handler, factory: factory)
    }

    private static func timer(_ registry: PrometheusCollectorRegistry, _ factory: PrometheusMetricsFactory, _ name: String,
                              labels: [(String, String)], help: String) -> CoreMetrics.Timer {
        let descriptor = MetricNameDescriptor(namespace: "synclet", metricName: name, unitName: "", helpText: help)
        let handler = registry.makeDurationHistogram(descriptor: descriptor, labels: labels, buckets: durationBuckets)
        return CoreMetrics.Timer(label: descriptor.name, dimensions: labels, handler: handler, factory: factory)
    }
}
