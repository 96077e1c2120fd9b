import Synchronization

/// At most `limit` holders at once; the others wait in order (and stop waiting when their
/// task is cancelled). Bounds what several reconciles may do together, such as JAR downloads
/// into the operator's size-limited temporary directory.
public final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        var nextID: UInt64 = 0
    }
    private let state: Mutex<State>
    public let limit: Int

    public init(limit: Int) {
        self.limit = max(1, limit)
        state = Mutex(State(available: max(1, limit)))
    }

    public func withPermit<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await body()
    }

    /// Holders now (for tests and metrics).
    public var inUse: Int { state.withLock { limit - $0.available } }

    private func acquire() async throws {
        let id = state.withLock { s -> UInt64 in
            s.nextID += 1
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if Task.isCancelled { return false }
                    if s.available > 0 && s.waiters.isEmpty {
                        s.available -= 1
                        return true
                    }
                    s.waiters.append((id, c))
                    return false
                }
                if resumeNow { c.resume() } else if Task.isCancelled { c.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, any Error>? in
            if s.waiters.isEmpty {
                s.available += 1
                return nil
            }
            return s.waiters.removeFirst().continuation  // the permit passes straight to it
        }
        next?.resume()
    }
}
