/// How transient failures (429, 5xx, connection errors) are retried inside one call.
/// Permanent errors (4xx about the request) are returned at once.
public struct RetryPolicy: Sendable, Hashable {
    public var maxAttempts: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration

    public init(maxAttempts: Int = 5, initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(5)) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    public static let none = RetryPolicy(maxAttempts: 1)

    /// Delay before attempt `attempt + 1` (attempt counts from 1); honours `Retry-After`.
    public func delay(afterAttempt attempt: Int, error: KubernetesError) -> Duration {
        if let retryAfter = error.retryAfter { return min(.milliseconds(Int64(retryAfter * 1000)), .seconds(60)) }
        return ExponentialBackoff(initial: initialBackoff, cap: maxBackoff).delay(doublings: max(attempt, 1) - 1)
    }
}
