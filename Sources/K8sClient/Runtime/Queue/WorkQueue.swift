import K8sClient

/// A de-duplicating keyed work queue with delayed and rate-limited adds, as in client-go's
/// `workqueue` and kube-rs' scheduler:
/// - a key waiting in the queue is held once, at its earliest requested time;
/// - a key is never handed to two workers at once: adds while it is processed are
///   remembered and delivered after `done`;
/// - `addRateLimited` backs off exponentially per key until `forget`;
/// - keys whose time has come (`addAfter`) go before keys added for a change (`add`): a
///   scheduler's due ticks must not wait behind a burst of new objects (1,000 invalid
///   ScheduledJobs created at once delayed healthy ticks past their deadline), nor behind
///   the status writes of the runs they start. Once the oldest change has waited
///   `changesWaitAtMost`, every `changesEvery`-th key is a change, so changes never starve.
public actor WorkQueue<Key: Hashable & Sendable> {
    private var ready = Lane()
    private var due = Lane()
    private var dueInARow = 0
    public let changesEvery = 8
    public let changesWaitAtMost: Duration
    private var queued: Set<Key> = []
    private var processing: Set<Key> = []
    private var dirty: Set<Key> = []
    private var delayed: [Key: ContinuousClock.Instant] = [:]
    private var deadlines = DeadlineHeap<Key>()
    private var failures: [Key: Int] = [:]
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiterID = 0
    /// Bumped on every change a waiting worker may care about; a worker that saw an older
    /// generation does not go to sleep, so no wake-up is ever lost.
    private var generation = 0
    private var shuttingDown = false

    public let baseDelay: Duration
    public let maxDelay: Duration

    /// Backoff 5 ms doubling up to 1000 s by default, as client-go's controllers use.
    public init(baseDelay: Duration = .milliseconds(5), maxDelay: Duration = .seconds(1000), changesWaitAtMost: Duration = .seconds(1)) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.changesWaitAtMost = changesWaitAtMost
    }

    /// Keys waiting to be processed now (not delayed, not in progress).
    public var depth: Int { ready.count + due.count }
    /// Keys waiting for a later time.
    public var delayedCount: Int { delayed.count }
    public var isShutDown: Bool { shuttingDown }

    public func add(_ key: Key) {
        guard !shuttingDown else { return }
        delayed[key] = nil
        if processing.contains(key) {
            dirty.insert(key)
            return
        }
        guard !queued.contains(key) else { return }
        queued.insert(key)
        ready.append(key)
        changed()
    }

    /// A FIFO of keys, with the time each was added.
    private struct Lane {
        private var keys: [(key: Key, at: ContinuousClock.Instant)] = []
        private var head = 0
        var count: Int { keys.count - head }
        var oldest: ContinuousClock.Instant? { head < keys.count ? keys[head].at : nil }
        mutating func append(_ key: Key) { keys.append((key, .now)) }
        mutating func popFirst() -> Key? {
            guard head < keys.count else { return nil }
            let key = keys[head].key
            head += 1
            if head > 1024, head * 2 > keys.count {
                keys.removeFirst(head)
                head = 0
            }
            return key
        }
    }

    /// Adds `key` after `delay`, unless it is already due sooner.
    public func addAfter(_ key: Key, _ delay: Duration) {
        guard !shuttingDown else { return }
        guard delay > .zero else { return add(key) }
        if queued.contains(key) || dirty.contains(key) { return }
        let deadline = ContinuousClock.now.advanced(by: delay)
        if let existing = delayed[key], existing <= deadline { return }
        delayed[key] = deadline
        deadlines.push(deadline, key)
        if deadlines.count > 4 * delayed.count + 1024 { deadlines.rebuild(from: delayed) }
        changed()
    }

    /// When `key` is scheduled for later, or nil.
    public func scheduledTime(of key: Key) -> ContinuousClock.Instant? { delayed[key] }

    /// Adds after the key's next backoff delay and counts the failure.
    public func addRateLimited(_ key: Key) {
        let n = failures[key, default: 0]
        failures[key] = n + 1
        addAfter(key, backoff(failures: n))
    }

    /// The delay after `failures` previous failures: base · 2^failures, capped.
    public func backoff(failures n: Int) -> Duration {
        ExponentialBackoff(initial: baseDelay, cap: maxDelay).delay(doublings: n)
    }

    /// Clears the key's failure count (after a success).
    public func forget(_ key: Key) { failures[key] = nil }

    public func numRequeues(_ key: Key) -> Int { failures[key, default: 0] }

    /// Marks `key` finished; if it was added meanwhile it becomes ready again.
    public func done(_ key: Key) {
        processing.remove(key)
        if dirty.remove(key) != nil, !queued.contains(key) {
            queued.insert(key)
            ready.append(key)
            changed()
        }
    }

    /// Wakes all workers; `next` returns nil from now on.
    public func shutDown() {
        shuttingDown = true
        changed()
    }

    /// The next key to process, waiting as long as needed; nil once shut down.
    /// The caller must call `done(key)` when finished.
    public nonisolated func next() async -> Key? {
        while true {
            let (key, deadline, gen, stop) = await take()
            if let key { return key }
            if stop || Task.isCancelled { return nil }
            await waitForChange(since: gen, until: deadline)
        }
    }

    private func take() -> (Key?, ContinuousClock.Instant?, Int, Bool) {
        if shuttingDown { return (nil, nil, generation, true) }
        let now = ContinuousClock.now
        var earliest: ContinuousClock.Instant?
        while let top = deadlines.top {
            // Entries whose key was re-added, re-scheduled or made ready are stale: skip them.
            guard delayed[top.key] == top.deadline else {
                deadlines.pop()
                continue
            }
            guard top.deadline <= now else {
                earliest = top.deadline
                break
            }
            deadlines.pop()
            let key = top.key
            delayed[key] = nil
            if processing.contains(key) { dirty.insert(key) } else if !queued.contains(key) {
                queued.insert(key)
                due.append(key)
            }
        }
        let key: Key
        let changesWaited = ready.oldest.map { $0.duration(to: now) >= changesWaitAtMost } ?? false
        if due.count > 0 && (!changesWaited || dueInARow < changesEvery - 1), let k = due.popFirst() {
            key = k
            dueInARow += 1
        } else if let k = ready.popFirst() {
            key = k
            dueInARow = 0
        } else {
            return (nil, earliest, generation, false)
        }
        queued.remove(key)
        processing.insert(key)
        return (key, nil, generation, false)
    }

    private func changed() {
        generation &+= 1
        let all = waiters
        waiters = [:]
        for (_, c) in all { c.resume() }
    }

    private func suspend(id: Int, since gen: Int) async {
        guard gen == generation, !shuttingDown else { return }
        await withCheckedContinuation { waiters[id] = $0 }
    }

    private func wake(id: Int) {
        waiters.removeValue(forKey: id)?.resume()
    }

    private func newWaiterID() -> Int {
        nextWaiterID += 1
        return nextWaiterID
    }

    private nonisolated func waitForChange(since gen: Int, until deadline: ContinuousClock.Instant?) async {
        let id = await newWaiterID()
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.suspend(id: id, since: gen) }
                if let deadline {
                    group.addTask {
                        try? await Task.sleep(until: deadline, clock: .continuous)
                        await self.wake(id: id)
                    }
                }
                await group.next()
                group.cancelAll()
                await self.wake(id: id)
            }
        } onCancel: {
            Task { await self.wake(id: id) }
        }
    }
}
