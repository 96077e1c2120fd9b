@testable import K8sClient
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
        await controller.process(first!) { _ in throw conflict }
        #expect(await queue.numRequeues("ns/a") == 1)
        #expect(lines.all.count == 1)
        #expect(lines.all.allSatisfy { $0.hasPrefix("debug reconcile read a stale version") }, "\(lines.all)")

        await queue.add("ns/b")
        let second = await queue.next()
        await controller.process(second!) { _ in throw KubernetesError(statusCode: 403, reason: .forbidden, message: "cannot get secrets") }
        #expect(await queue.numRequeues("ns/b") == 1)
        #expect(lines.all.contains { $0.hasPrefix("warning reconcile failed, retrying with backoff") && $0.contains("Forbidden (HTTP 403)") }, "\(lines.all)")
    }
}
