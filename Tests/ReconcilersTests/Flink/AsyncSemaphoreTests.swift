import Foundation
import K8sTestSupport
@testable import Reconcilers
import Testing

@Suite struct AsyncSemaphoreLimits {
    @Test func noMoreThanTheLimitHoldAPermitAndWaitersGetItInTurn() async throws {
        let semaphore = AsyncSemaphore(limit: 2)
        let holding = LockedBox(0), most = LockedBox(0), done = LockedBox(0)
        let (gate, open) = AsyncStream<Void>.makeStream()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    try await semaphore.withPermit {
                        let now = holding.withLock { $0 += 1; return $0 }
                        most.withLock { $0 = max($0, now) }
                        // Hold the permit until the test lets one holder go.
                        for await _ in gate { break }
                        holding.withLock { $0 -= 1 }
                    }
                    done.withLock { $0 += 1 }
                }
            }
            while holding.value < 2 { await Task.yield() }
            #expect(semaphore.inUse == 2)
            for _ in 0..<5 { open.yield() }
            try await group.waitForAll()
        }
        #expect(most.value == 2 && done.value == 5 && semaphore.inUse == 0)
    }

    @Test func aCancelledWaiterStopsWaitingAndTakesNoPermit() async throws {
        let semaphore = AsyncSemaphore(limit: 1)
        let (gate, open) = AsyncStream<Void>.makeStream()
        let holder = Task { try await semaphore.withPermit { for await _ in gate { break } } }
        while semaphore.inUse < 1 { await Task.yield() }
        let waiter = Task { try await semaphore.withPermit { "ran" } }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiter.value }
        open.yield()
        try await holder.value
        #expect(semaphore.inUse == 0)
        #expect(try await semaphore.withPermit { "free" } == "free")
    }
}
