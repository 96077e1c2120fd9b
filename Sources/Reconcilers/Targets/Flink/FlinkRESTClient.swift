import Foundation
import K8sClient
import Metrics

/// The parts of the Flink JobManager REST API sked uses (Flink 2.x, see docs/flink-testing.md),
/// over any `HTTPTransport` (AsyncHTTPClient in production, a scripted one in tests).
public struct FlinkRESTClient: Sendable {
    public let transport: any HTTPTransport
    /// Extra headers for every call (from `headersSecretRef`); never logged.
    public let headers: [String: String]
    public let timeout: Duration

    public init(transport: any HTTPTransport, headers: [String: String] = [:], timeout: Duration = .seconds(30)) {
        self.transport = transport
        self.headers = headers
        self.timeout = timeout
    }

    /// The largest answer read from a JobManager: its control answers (job status, details,
    /// the JAR list, exceptions) are kilobytes, and the operator serves every tenant from one
    /// memory limit.
    public static let maxAnswerBytes = 1024 * 1024

    /// `operation` names the endpoint in `sked_flink_requests_total` (bounded: never an id).
    private func call(_ operation: String, _ method: String, _ path: String, body: Data? = nil, fileBody: FileBody? = nil, contentType: String = "application/json") async throws -> Data {
        var h = headers
        h["Accept"] = "application/json"
        if body != nil || fileBody != nil { h["Content-Type"] = contentType }
        let response: TransportResponse
        do {
            response = try await transport.send(
                TransportRequest(method: method, target: path, headers: h, body: body, fileBody: fileBody, maxResponseBytes: Self.maxAnswerBytes), timeout: timeout)
        } catch let e as TransportError where e.kind.isTooLarge {
            Counter(label: "sked_flink_requests_total", dimensions: [("operation", operation), ("code", "too_large")]).increment()
            // A JobManager (or whatever answers at its URL) cannot make the operator hold an
            // answer of any size: control answers are small. Reported like an outage, so the
            // ScheduledJob says so and is looked at again with a backoff.
            throw FlinkRESTError.unreachable(e.message)
        } catch let e as TransportError {
            Counter(label: "sked_flink_requests_total", dimensions: [("operation", operation), ("code", "error")]).increment()
            throw FlinkRESTError.unreachable(e.message)
        }
        Counter(label: "sked_flink_requests_total", dimensions: [("operation", operation), ("code", String(response.status))]).increment()
        guard (200..<300).contains(response.status) else { throw FlinkRESTError(statusCode: response.status, body: response.body) }
        return response.body
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw FlinkRESTError.unexpectedAnswer(what)
        }
    }

    private static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: "/"))) ?? s
    }

    /// `GET /overview`: reachability and version.
    public func overview() async throws -> [String: JSONValue] {
        try decode([String: JSONValue].self, try await call("overview", "GET", "/overview"), "GET /overview")
    }

    /// `POST /jars/upload` (multipart field `jarfile`); returns the JAR id.
    public func uploadJar(_ contents: Data, fileName: String) async throws -> String {
        let (boundary, prefix, suffix) = Self.multipart(fileName: fileName)
        let data = try await call("upload", "POST", "/jars/upload", body: prefix + contents + suffix, contentType: "multipart/form-data; boundary=\(boundary)")
        return try decode(FlinkResponses.Upload.self, data, "POST /jars/upload").jarID
    }

    /// The same, streaming the JAR from a file: it is never held in memory.
    public func uploadJar(file: URL, fileName: String) async throws -> String {
        let (boundary, prefix, suffix) = Self.multipart(fileName: fileName)
        let data = try await call(
            "upload", "POST", "/jars/upload", fileBody: FileBody(prefix: prefix, file: file, suffix: suffix),
            contentType: "multipart/form-data; boundary=\(boundary)")
        return try decode(FlinkResponses.Upload.self, data, "POST /jars/upload").jarID
    }

    private static func multipart(fileName: String) -> (boundary: String, prefix: Data, suffix: Data) {
        let boundary = "sked-\(UUID().uuidString)"
        let prefix = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"\(fileName)\"\r\nContent-Type: application/java-archive\r\n\r\n".utf8)
        return (boundary, prefix, Data("\r\n--\(boundary)--\r\n".utf8))
    }

    public func jars() async throws -> [FlinkResponses.Jars.File] {
        try decode(FlinkResponses.Jars.self, try await call("jars", "GET", "/jars"), "GET /jars").files
    }

    public func deleteJar(_ id: String) async throws {
        _ = try await call("deleteJar", "DELETE", "/jars/\(Self.escape(id))")
    }

    public struct JarRunRequestBody: Encodable, Sendable, Hashable {
        public var entryClass: String?
        public var programArgsList: [String]?
        public var parallelism: Int?
        public var jobId: String
        public var savepointPath: String?
        public var allowNonRestoredState: Bool?

        public init(jobId: String, entryClass: String? = nil, programArgsList: [String]? = nil, parallelism: Int? = nil, savepointPath: String? = nil, allowNonRestoredState: Bool? = nil) {
            self.jobId = jobId
            self.entryClass = entryClass
            self.programArgsList = programArgsList
            self.parallelism = parallelism
            self.savepointPath = savepointPath
            self.allowNonRestoredState = allowNonRestoredState
        }
    }

    public enum RunOutcome: Sendable, Hashable {
        case submitted(jobID: String)
        /// A job with this id was submitted before (by us): adopt it.
        case alreadySubmitted(jobID: String)
    }

    /// `POST /jars/{id}/run` with a caller-chosen `jobId`, the idempotency key of a run.
    public func run(jar: String, _ request: JarRunRequestBody) async throws -> RunOutcome {
        do {
            let data = try await call("run", "POST", "/jars/\(Self.escape(jar))/run", body: try JSONEncoder().encode(request))
            return .submitted(jobID: try decode(FlinkResponses.Run.self, data, "run").jobid)
        } catch let e as FlinkRESTError where e.isDuplicateSubmission {
            return .alreadySubmitted(jobID: request.jobId)
        }
    }

    /// `GET /jobs/{id}/status` (uncached); nil when Flink does not know the job.
    public func state(of job: String) async throws -> FlinkJobState? {
        do {
            let status = try decode(FlinkResponses.Status.self, try await call("status", "GET", "/jobs/\(Self.escape(job))/status"), "job status")
            return status.state
        } catch let e as FlinkRESTError where e.isNotFound {
            return nil
        }
    }

    /// `GET /jobs/{id}`: start and end times (served from a cache that can lag by one refresh
    /// interval; use `state(of:)` for the state). Nil when Flink does not know the job.
    public func details(of job: String) async throws -> FlinkResponses.JobDetails? {
        do {
            return try decode(FlinkResponses.JobDetails.self, try await call("details", "GET", "/jobs/\(Self.escape(job))"), "job details")
        } catch let e as FlinkRESTError where e.isNotFound {
            return nil
        }
    }

    /// Why a failed job failed, from `GET /jobs/{id}/exceptions`.
    public func failureMessage(of job: String) async throws -> String? {
        try decode(FlinkResponses.Exceptions.self, try await call("exceptions", "GET", "/jobs/\(Self.escape(job))/exceptions"), "exceptions").rootMessage
    }

    /// `PATCH /jobs/{id}?mode=cancel`; a job that already ended is not an error.
    public func cancel(_ job: String) async throws {
        do {
            _ = try await call("cancel", "PATCH", "/jobs/\(Self.escape(job))?mode=cancel")
        } catch let e as FlinkRESTError where e.statusCode == 409 || e.isNotFound {
            return
        }
    }

    /// `POST /jobs/{id}/stop` (stop with savepoint); returns the trigger id to poll.
    public func stopWithSavepoint(_ job: String, targetDirectory: String?) async throws -> String {
        var body: [String: JSONValue] = ["drain": false]
        if let targetDirectory { body["targetDirectory"] = .string(targetDirectory) }
        let data = try await call("stop", "POST", "/jobs/\(Self.escape(job))/stop", body: try JSONEncoder().encode(body))
        return try decode(FlinkResponses.Trigger.self, data, "stop").requestID
    }

    public func savepoint(_ job: String, trigger: String) async throws -> FlinkResponses.SavepointOperation.Outcome {
        try decode(FlinkResponses.SavepointOperation.self, try await call("savepoint", "GET", "/jobs/\(Self.escape(job))/savepoints/\(Self.escape(trigger))"), "savepoint").outcome
    }
}
