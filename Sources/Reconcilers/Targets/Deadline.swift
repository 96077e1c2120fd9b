/// A time limit on a whole operation (a Job create, a JAR download) rather than on each of
/// its requests.
struct DeadlineExceeded: Error, CustomStringConvertible {
    var description: String { "gave up: the time limit passed first" }
}

/// Runs `body`, cancelling it when `limit` passes first.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded() }
        return value
    }
}
