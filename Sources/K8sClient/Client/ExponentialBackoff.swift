/// A delay that doubles with each failure, from `initial` up to `cap`: the one backoff of the
/// work queue, in-call retries, the watcher and run retries.
public struct ExponentialBackoff: Sendable, Hashable {
    public var initial: Duration
    public var cap: Duration

    public init(initial: Duration, cap: Duration) {
        self.initial = initial
        self.cap = cap
    }

    /// `initial · 2^doublings`, at most `cap` (no doubling below zero). Doubling stops at the
    /// cap, so any count, however large, costs a few dozen steps and cannot overflow.
    public func delay(doublings: Int) -> Duration {
        guard initial > .zero else { return min(initial, cap) }
        var d = min(initial, cap)
        var left = doublings
        while left > 0 && d < cap {
            d = d * 2
            left -= 1
        }
        return min(d, cap)
    }
}
