import K8sClient
@testable import K8sRuntime
import Testing

@Suite struct ExponentialBackoffTests {
    let backoff = ExponentialBackoff(initial: .milliseconds(5), cap: .seconds(1000))

    @Test func itDoublesFromTheInitialDelayUpToTheCap() {
        #expect((0...4).map { backoff.delay(doublings: $0) } == [5, 10, 20, 40, 80].map { Duration.milliseconds($0) })
        #expect(backoff.delay(doublings: 17) == .milliseconds(655_360))
        #expect(backoff.delay(doublings: 18) == .seconds(1000))
    }

    /// Counts come from failures and from attempt numbers read back from the cluster.
    @Test func anyCountIsSafe() {
        #expect(backoff.delay(doublings: .max) == .seconds(1000))
        #expect(backoff.delay(doublings: -3) == .milliseconds(5))
        #expect(ExponentialBackoff(initial: .seconds(10), cap: .seconds(2)).delay(doublings: 0) == .seconds(2))
        #expect(ExponentialBackoff(initial: .zero, cap: .seconds(2)).delay(doublings: .max) == .zero)
        // The largest run-retry values a spec may hold (ten years in seconds).
        let years = ExponentialBackoff(initial: .seconds(315_360_000), cap: .seconds(315_360_000))
        #expect(years.delay(doublings: .max) == .seconds(315_360_000))
    }

    @Test func theWorkQueueTheRetryPolicyAndTheWatcherShareIt() async {
        let queue = WorkQueue<String>()
        #expect(await queue.backoff(failures: 3) == backoff.delay(doublings: 3))
        let retry = RetryPolicy(initialBackoff: .milliseconds(100), maxBackoff: .seconds(5))
        #expect(retry.delay(afterAttempt: 1, error: KubernetesError(statusCode: 503, reason: .serviceUnavailable, message: "x")) == .milliseconds(100))
        #expect(retry.delay(afterAttempt: 4, error: KubernetesError(statusCode: 503, reason: .serviceUnavailable, message: "x")) == .milliseconds(800))
        #expect(retry.delay(afterAttempt: .max, error: KubernetesError(statusCode: 503, reason: .serviceUnavailable, message: "x")) == .seconds(5))
    }
}
