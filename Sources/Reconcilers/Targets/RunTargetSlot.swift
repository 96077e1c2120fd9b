/// Room for one reconcile to use a target's backend, held until `release()`.
///
/// A backend that answers slowly (a JobManager behind a tarpit, a JAR server trickling a
/// download) would otherwise hold every reconcile worker for as long as its timeouts allow,
/// and every other tenant's ticks would wait: a target limits how many reconciles use it at
/// once, and a reconcile that finds no room is looked at again shortly instead of waiting.
public struct RunTargetSlot: Sendable {
    private let onRelease: @Sendable () -> Void

    public init(onRelease: @escaping @Sendable () -> Void) {
        self.onRelease = onRelease
    }

    /// For targets without a limit (Kubernetes Jobs: the API server has its own fairness).
    public static let unlimited = RunTargetSlot(onRelease: {})

    public func release() { onRelease() }

    /// Both slots, released together.
    public func combined(with other: RunTargetSlot) -> RunTargetSlot {
        RunTargetSlot { [self] in
            release()
            other.release()
        }
    }
}
