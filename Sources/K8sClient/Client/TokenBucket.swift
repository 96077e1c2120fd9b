import Synchronization

/// Client-side QPS/burst limit, like client-go's token bucket: `burst` requests may go at
/// once, then `qps` per second. Waiters reserve a slot and sleep until it comes, so a
/// burst of callers is spread out fairly rather than retried.
public final class TokenBucket: Sendable {
    public let qps: Double
    public let burst: Int
    private struct State {
        var tokens: Double
        var last: ContinuousClock.Instant
    }
    private let state: Mutex<State>

    public init(qps: Double, burst: Int, now: ContinuousClock.Instant = .now) {
        precondition(qps > 0 && burst > 0, "qps and burst must be positive")
        self.qps = qps
        self.burst = burst
        state = Mutex(State(tokens: Double(burst), last: now))
    }

    /// Takes one token and returns how long the caller must wait before using it.
    public func reserve(now: ContinuousClock.Instant = .now) -> Duration {
        state.withLock { s in
            let elapsed = s.last.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            if seconds > 0 {
                s.tokens = min(Double(burst), s.tokens + seconds * qps)
                s.last = now
            }
            s.tokens -= 1
            if s.tokens >= 0 { return .zero }
            return .nanoseconds(Int64((-s.tokens / qps) * 1e9))
        }
    }

    /// Waits for a token.
    public func acquire() async throws {
        let wait = reserve()
        if wait > .zero { try await Task.sleep(for: wait) }
    }
}
