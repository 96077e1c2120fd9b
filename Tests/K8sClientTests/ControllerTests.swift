@testable import K8sClient
@testable import K8sRuntime
import K8sTestSupport
import Logging
import Testing

@Suite struct ControllerErrorPolicy {
    /// A lost optimistic-concurrency race (409) is routine: it is retried like any error but
    /// logged at debug, so `kubectl logs` and the reconcile-error alert only show real failures.
    @Test func aConflictIsRetriedQuietlyAndOtherErrorsWarn() async {
        let lines = CapturingLogHandler.Lines()
        let queue = WorkQueue<String>()
        let controller = Controller(queue: queue, workers: 1, logger: .capturing("test", into: lines))
        let conflict = KubernetesError(statusCode: 409, reason: .conflict, message: "the object has been modified")
        await queue.add("ns/a")
        let first = await queue.next()
        await controller.process(first!) { _, _ in throw conflict }
        #expect(await queue.numRequeues("ns/a") == 1)
        #expect(lines.all.count == 1)
        #expect(lines.all.allSatisfy { $0.hasPrefix("debug reconcile read a stale version") }, "\(lines.all)")

        await queue.add("ns/b")
        let second = await queue.next()
        await controller.process(second!) { _, _ in throw KubernetesError(statusCode: 403, reason: .forbidden, message: "cannot get secrets") }
        #expect(await queue.numRequeues("ns/b") == 1)
        #expect(lines.all.contains { $0.hasPrefix("warning reconcile failed, retrying with backoff") && $0.contains("Forbidden (HTTP 403)") }, "\(lines.all)")
    }

    /// Every reconcile's logger carries its own reconcileID and the key's labels, and so does
    /// the line that reports its failure.
    @Test func eachReconcileHasItsOwnIDInItsLogsAndInItsFailure() async {
        let lines = CapturingLogHandler.Lines()
        let queue = WorkQueue<String>()
        let controller = Controller(queue: queue, workers: 1, logger: .capturing("test", into: lines),
                                    labels: { KeyLabels(log: ["object": $0], span: [:]) })
        for key in ["ns/a", "ns/b"] {
            await queue.add(key)
            let next = await queue.next()
            await controller.process(next!) { key, log in
                log.info("looking", metadata: ["at": "\(key)"])
                throw KubernetesError(statusCode: 500, reason: .internalError, message: "boom")
            }
        }
        let ids = lines.all.compactMap { $0.firstMatch(of: /reconcileID=([0-9a-f]{8})/).map { String($0.1) } }
        #expect(ids.count == 4, "\(lines.all)")
        #expect(ids[0] == ids[1] && ids[2] == ids[3] && ids[0] != ids[2], "one ID per reconcile: \(ids)")
        #expect(lines.all.filter { $0.hasPrefix("warning reconcile failed") }.count == 2)
        #expect(lines.all.allSatisfy { $0.contains("object=ns/") }, "\(lines.all)")
    }
}

@Suite struct ControllerRequeues {
    /// `requeueBehindDueKeys` puts the key in the change lane: keys already due go first.
    @Test func aKeyRequeuedBehindDueKeysWaitsForThem() async throws {
        let queue = WorkQueue<String>(changesWaitAtMost: .seconds(60))
        let controller = Controller(queue: queue, workers: 1, logger: Logger(label: "test"))
        await queue.add("ns/status")
        let key = await queue.next()
        for i in 0..<3 { await queue.addAfter("ns/tick-\(i)", .milliseconds(1)) }
        await controller.process(key!) { _, _ in .requeueBehindDueKeys }
        try await Task.sleep(for: .milliseconds(20))
        var order: [String] = []
        for _ in 0..<4 {
            let next = await queue.next()!
            order.append(next)
            await queue.done(next)
        }
        #expect(order == ["ns/tick-0", "ns/tick-1", "ns/tick-2", "ns/status"])
    }
}

