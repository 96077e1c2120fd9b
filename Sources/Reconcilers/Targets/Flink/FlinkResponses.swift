import Foundation

/// JSON shapes of the Flink 2.x REST API that sked reads (see docs/flink-testing.md).
public enum FlinkResponses {
    /// `POST /jars/upload`: the JAR id is the basename of `filename`.
    public struct Upload: Decodable, Sendable {
        public var filename: String
        public var status: String
        public var jarID: String { (filename as NSString).lastPathComponent }
    }

    /// `GET /jars`.
    public struct Jars: Decodable, Sendable {
        public struct File: Decodable, Sendable {
            public var id: String
            public var name: String
            public var uploaded: Int64?
        }
        public var files: [File]
    }

    /// `POST /jars/{id}/run`.
    public struct Run: Decodable, Sendable {
        public var jobid: String
    }

    /// `GET /jobs/{id}/status` (not served from the execution-graph cache, unlike `/jobs/{id}`).
    public struct Status: Decodable, Sendable {
        public var status: String
        public var state: FlinkJobState? { FlinkJobState(rawValue: status) }
    }

    /// `GET /jobs/{id}` (the fields sked reads): times are epoch milliseconds, `end-time` is -1
    /// while the job runs.
    public struct JobDetails: Decodable, Sendable {
        public var state: String
        public var startTime: Int64?
        public var endTime: Int64?
        enum CodingKeys: String, CodingKey {
            case state
            case startTime = "start-time"
            case endTime = "end-time"
        }
        public var started: Date? { startTime.flatMap { $0 > 0 ? Date(timeIntervalSince1970: Double($0) / 1000) : nil } }
        public var ended: Date? { endTime.flatMap { $0 > 0 ? Date(timeIntervalSince1970: Double($0) / 1000) : nil } }
    }

    /// `POST /jobs/{id}/stop` and `POST /jobs/{id}/savepoints`.
    public struct Trigger: Decodable, Sendable {
        public var requestID: String
        enum CodingKeys: String, CodingKey { case requestID = "request-id" }
    }

    /// `GET /jobs/{id}/savepoints/{trigger}`. A failed operation also reports `COMPLETED`,
    /// with `failure-cause` instead of `location`.
    public struct SavepointOperation: Decodable, Sendable {
        public struct State: Decodable, Sendable { public var id: String }
        public struct Operation: Decodable, Sendable {
            public struct Failure: Decodable, Sendable {
                public var stackTrace: String?
                enum CodingKeys: String, CodingKey { case stackTrace = "stack-trace" }
            }
            public var location: String?
            public var failureCause: Failure?
            enum CodingKeys: String, CodingKey {
                case location
                case failureCause = "failure-cause"
            }
        }
        public var status: State
        public var operation: Operation?

        public enum Outcome: Sendable, Hashable {
            case inProgress
            case completed(location: String)
            case failed(message: String)
        }

        public var outcome: Outcome {
            guard status.id == "COMPLETED" else { return .inProgress }
            if let location = operation?.location { return .completed(location: location) }
            let trace = operation?.failureCause?.stackTrace ?? "savepoint failed without a cause"
            return .failed(message: FlinkRESTError.rootCause(of: trace) ?? trace)
        }
    }

    /// `GET /jobs/{id}/exceptions`: the user's message is in the last `Caused by:` of the
    /// root entry, or in the first concurrent exception.
    public struct Exceptions: Decodable, Sendable {
        public struct History: Decodable, Sendable {
            public struct Entry: Decodable, Sendable {
                public var exceptionName: String?
                public var stacktrace: String?
                public var concurrentExceptions: [Entry]?
            }
            public var entries: [Entry]
        }
        public var exceptionHistory: History?

        /// Why the job failed, in one line of at most 1 KiB; nil when Flink recorded nothing.
        public var rootMessage: String? {
            guard let entry = exceptionHistory?.entries.first else { return nil }
            if let trace = entry.stacktrace, trace.contains("Caused by: ") { return FlinkRESTError.rootCause(of: trace) }
            if let first = entry.concurrentExceptions?.first?.stacktrace { return FlinkRESTError.rootCause(of: first) }
            return (entry.stacktrace.flatMap { FlinkRESTError.rootCause(of: $0) }) ?? entry.exceptionName
        }
    }
}
