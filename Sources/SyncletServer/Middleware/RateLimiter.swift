import Synchronization
import SyncletCore

/// A token bucket per client address: `burst` requests at once, refilled at `perMinute`.
/// Past `addressCountMax` addresses, those idle long enough to be full again are forgotten,
/// so memory stays bounded by the addresses active in the last minute or so.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedMilliseconds: Int64
    }

    private let burst: Double
    private let perMillisecond: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    private let addressCountMax: Int

    init(burst: Int, perMinute: Int, addressCountMax: Int) {
        self.burst = Double(max(1, burst))
        self.perMillisecond = Double(max(1, perMinute)) / 60_000
        self.addressCountMax = addressCountMax
    }

    /// Takes one token for `address`; throws a 429 problem when there is none.
    func take(_ address: String, now: Timestamp) throws(Problem) {
        let ms = now.millisecondsSince1970
        let waitSeconds: Int? = buckets.withLock { buckets in
            if buckets.count > addressCountMax {
                let fullAfter = Int64(burst / perMillisecond)
                buckets = buckets.filter { ms - $0.value.updatedMilliseconds < fullAfter }
            }
            var bucket = buckets[address] ?? Bucket(tokens: burst, updatedMilliseconds: ms)
            bucket.tokens = min(burst, bucket.tokens + Double(max(0, ms - bucket.updatedMilliseconds)) * perMillisecond)
            bucket.updatedMilliseconds = ms
            defer { buckets[address] = bucket }
            guard bucket.tokens >= 1 else { return Int(((1 - bucket.tokens) / perMillisecond / 1000).rounded(.up)) }
            bucket.tokens -= 1
            return nil
        }
        if let waitSeconds {
            throw Problem(status: 429, type: "rate-limited", title: "Too many requests",
                          detail: "Too many verification requests from your address; try again in \(waitSeconds) s. Verify keys offline with the published keys to avoid the limit.",
                          extensions: ["retry_after": String(waitSeconds)])
        }
    }
}
