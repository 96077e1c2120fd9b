import K8sClient
@testable import K8sRuntime
import K8sTestSupport

import Testing

@Suite struct WorkQueueSemantics {
    @Test func duplicateAddsAreDeliveredOnceInOrder() async {
        let q = WorkQueue<String>()
        await q.add("a")
        await q.add("b")
        await q.add("a")
        #expect(await q.depth == 2)
        #expect(await q.next() == "a")
        #expect(await q.next() == "b")
        #expect(await q.depth == 0)
    }

    @Test func aKeyAddedWhileProcessingIsRedeliveredOnlyAfterDone() async {
        let q = WorkQueue<String>()
        await q.add("a")
        let first = await q.next()
        await q.add("a")
        #expect(await q.depth == 0)  // not handed to a second worker
        await q.done(first!)
        #expect(await q.depth == 1)
        #expect(await q.next() == "a")
    }

    @Test func manyWorkersNeverProcessTheSameKeyConcurrently() async {
        let q = WorkQueue<Int>()
        let active = LockedBox<Set<Int>>([])
        let overlaps = LockedBox(0)
        let processed = LockedBox(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    while let key = await q.next() {
                        let clash = active.withLock { !$0.insert(key).inserted }
                        if clash { overlaps.withLock { $0 += 1 } }
                        await Task.yield()
                        _ = active.withLock { $0.remove(key) }
                        processed.withLock { $0 += 1 }
                        await q.done(key)
                    }
                }
            }
            for round in 0..<200 {
                for k in 0..<5 { await q.add((k + round) % 5) }
                await Task.yield()
            }
            _ = await eventually { await q.depth == 0 }
            await q.shutDown()
        }
        #expect(overlaps.withLock { $0 } == 0)
        #expect(processed.withLock { $0 } >= 5)
    }

    @Test func addAfterDeliversAtTheEarliestRequestedTime() async {
        let q = WorkQueue<String>()
        await q.addAfter("a", .seconds(60))
        await q.addAfter("a", .milliseconds(50))
        await q.addAfter("a", .seconds(30))  // later than pending: ignored
        #expect(await q.depth == 0)
        // The earliest request is the one kept (read from the queue, not from how long a
        // delivery took: on a loaded machine a timer can fire many seconds late).
        let start = ContinuousClock.now
        let due = await q.scheduledTime(of: "a")
        #expect(due.map { start.duration(to: $0) < .seconds(1) } == true, "due at \(String(describing: due)), now \(start)")
        #expect(await q.next() == "a")
        #expect(start.duration(to: .now) >= .milliseconds(40))
    }

    @Test func immediateAddWakesAWorkerWaitingForALaterDeadline() async {
        let q = WorkQueue<String>()
        await q.addAfter("later", .seconds(60))
        async let got = q.next()
        try? await Task.sleep(for: .milliseconds(20))
        await q.add("now")
        #expect(await got == "now")
    }

    @Test func rateLimitedBackoffDoublesPerFailureAndForgetResets() async {
        let q = WorkQueue<String>(baseDelay: .milliseconds(5), maxDelay: .seconds(1000))
        #expect(await q.backoff(failures: 0) == .milliseconds(5))
        #expect(await q.backoff(failures: 3) == .milliseconds(40))
        #expect(await q.backoff(failures: 40) == .seconds(1000))
        await q.addRateLimited("k")
        await q.addRateLimited("k")
        #expect(await q.numRequeues("k") == 2)
        await q.forget("k")
        #expect(await q.numRequeues("k") == 0)
    }

    @Test func shutDownReleasesWaitingWorkers() async {
        let q = WorkQueue<String>()
        async let got = q.next()
        try? await Task.sleep(for: .milliseconds(20))
        await q.shutDown()
        #expect(await got == nil)
    }
}

@Suite struct WorkQueueAtScale {
    @Test func thousandsOfDelayedKeysComeOutInDeadlineOrder() async {
        let q = WorkQueue<Int>()
        // Scheduled in scrambled order, each once more with a later (ignored) deadline.
        for i in 0..<3000 {
            let k = (i * 7919) % 3000
            await q.addAfter(k, .milliseconds(Int64(20 + k / 100)))
            await q.addAfter(k, .seconds(60))
        }
        #expect(await q.delayedCount == 3000)
        var scheduled: [Int: ContinuousClock.Instant] = [:]
        for k in 0..<3000 { scheduled[k] = await q.scheduledTime(of: k) }
        var order: [Int] = []
        while order.count < 3000, let k = await q.next() {
            order.append(k)
            await q.done(k)
        }
        #expect(order.count == 3000)
        #expect(Set(order).count == 3000)
        // Out in the order of their (earliest) deadlines.
        let times = order.compactMap { scheduled[$0] }
        #expect(times.count == 3000)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func dueKeysGoBeforeChangesThatHaveNotWaitedLong() async throws {
        let q = WorkQueue<String>(changesWaitAtMost: .seconds(60))
        for i in 0..<5 { await q.add("status-\(i)") }
        for i in 0..<10 { await q.addAfter("tick-\(i)", .milliseconds(1)) }
        try await Task.sleep(for: .milliseconds(20))
        var order: [String] = []
        for _ in 0..<15 {
            let key = await q.next()!
            order.append(key)
            await q.done(key)
        }
        #expect(order == (0..<10).map { "tick-\($0)" } + (0..<5).map { "status-\($0)" })
    }

    @Test func dueKeysGoBeforeABurstOfChangesWhichStillGetEveryEighthTurn() async throws {
        let q = WorkQueue<String>(changesWaitAtMost: .milliseconds(5))
        for i in 0..<100 { await q.add("new-\(i)") }
        for i in 0..<10 { await q.addAfter("tick-\(i)", .milliseconds(1)) }
        try await Task.sleep(for: .milliseconds(20))
        var order: [String] = []
        for _ in 0..<20 {
            let key = await q.next()!
            order.append(key)
            await q.done(key)
        }
        #expect(order.prefix(7).allSatisfy { $0.hasPrefix("tick-") })
        #expect(order[7] == "new-0")  // a change every eighth turn
        #expect(order.filter { $0.hasPrefix("tick-") } == (0..<10).map { "tick-\($0)" })
        #expect(order.firstIndex(of: "tick-9")! < 12)
        #expect(await q.depth == 90)
    }

    @Test func anImmediateAddSupersedesAPendingDelay() async {
        let q = WorkQueue<String>()
        await q.addAfter("a", .seconds(60))
        await q.add("a")
        #expect(await q.next() == "a")
        await q.done("a")
        #expect(await q.delayedCount == 0)
        await q.addAfter("b", .milliseconds(10))
        #expect(await q.next() == "b")  // the stale heap entry for "a" is skipped
    }
}
