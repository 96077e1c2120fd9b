import K8sClient

/// A binary min-heap of (deadline, key), so the work queue finds due keys in O(log n)
/// instead of scanning every delayed key on each `next()` (thousands of ScheduledJobs each
/// wait for their next tick). Superseded entries are left in place and skipped when popped.
struct DeadlineHeap<Key: Hashable> {
    private(set) var items: [(deadline: ContinuousClock.Instant, key: Key)] = []

    var count: Int { items.count }
    var top: (deadline: ContinuousClock.Instant, key: Key)? { items.first }

    mutating func push(_ deadline: ContinuousClock.Instant, _ key: Key) {
        items.append((deadline, key))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard items[i].deadline < items[parent].deadline else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    @discardableResult
    mutating func pop() -> (deadline: ContinuousClock.Instant, key: Key)? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let last = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < items.count && items[l].deadline < items[smallest].deadline { smallest = l }
            if r < items.count && items[r].deadline < items[smallest].deadline { smallest = r }
            if smallest == i { break }
            items.swapAt(i, smallest)
            i = smallest
        }
        return last
    }

    /// Rebuilds from the live entries only (drops superseded ones).
    mutating func rebuild(from live: [Key: ContinuousClock.Instant]) {
        items = []
        for (key, deadline) in live { push(deadline, key) }
    }
}
