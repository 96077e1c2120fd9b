import Foundation
import K8sClient

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

    private func call(_ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json") async throws -> Data {
        var h = headers
        h["Accept"] = "application/json"
        if body != nil { h["Content-Type"] = contentType }
        let response: TransportResponse
        do {
            response = try await transport.send(TransportRequest(method: method, target: path, headers: h, body: body), timeout: timeout)
        } catch let e as KubernetesError {
            // The shared transport reports connection failures in its own terms.
            throw FlinkRESTError(statusCode: 0, body: Data(#"{"errors":["JobManager unreachable: \#(e.message.replacingOccurrences(of: "\"", with: "'"))"]}"#.utf8))
        }
        guard (200..<300).contains(response.status) else { throw FlinkRESTError(statusCode: response.status, body: response.body) }
        return response.body
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw FlinkRESTError(statusCode: 0, body: Data(#"{"errors":["unexpected answer to \#(what)"]}"#.utf8))
        }
    }

    private static func escape(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: "/"))) ?? s
    }

    /// `GET /overview`: reachability and version.
    public func overview() async throws -> [String: JSONValue] {
        try decode([String: JSONValue].self, try await call("GET", "/overview"), "GET /overview")
    }

    /// `POST /jars/upload` (multipart field `jarfile`); returns the JAR id.
    public func uploadJar(_ contents: Data, fileName: String) async throws -> String {
        let boundary = "sked-\(UUID().uuidString)"
        var body = Data()
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"\(fileName)\"\r\nContent-Type: application/java-archive\r\n\r\n".utf8))
        body.append(contents)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let data = try await call("POST", "/jars/upload", body: body, contentType: "multipart/form-data; boundary=\(boundary)")
        return try decode(FlinkResponses.Upload.self, data, "POST /jars/upload").jarID
    }

    public func jars() async throws -> [FlinkResponses.Jars.File] {
        try decode(FlinkResponses.Jars.self, try await call("GET", "/jars"), "GET /jars").files
    }

    public func deleteJar(_ id: String) async throws {
        _ = try await call("DELETE", "/jars/\(Self.escape(id))")
    }

    public struct RunRequest: Encodable, Sendable, Hashable {
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
    public func run(jar: String, _ request: RunRequest) async throws -> RunOutcome {
        do {
            let data = try await call("POST", "/jars/\(Self.escape(jar))/run", body: try JSONEncoder().encode(request))
            return .submitted(jobID: try decode(FlinkResponses.Run.self, data, "run").jobid)
        } catch let e as FlinkRESTError where e.isDuplicateSubmission {
            return .alreadySubmitted(jobID: request.jobId)
        }
    }

    /// `GET /jobs/{id}/status` (uncached); nil when Flink does not know the job.
    public func state(of job: String) async throws -> FlinkJobState? {
        do {
            let status = try decode(FlinkResponses.Status.self, try await call("GET", "/jobs/\(Self.escape(job))/status"), "job status")
            return status.state
        } catch let e as FlinkRESTError where e.isNotFound {
            return nil
        }
    }

    /// Why a failed job failed, from `GET /jobs/{id}/exceptions`.
    public func failureMessage(of job: String) async throws -> String? {
        try decode(FlinkResponses.Exceptions.self, try await call("GET", "/jobs/\(Self.escape(job))/exceptions"), "exceptions").rootMessage
    }

    /// `PATCH /jobs/{id}?mode=cancel`; a job that already ended is not an error.
    public func cancel(_ job: String) async throws {
        do {
            _ = try await call("PATCH", "/jobs/\(Self.escape(job))?mode=cancel")
        } catch let e as FlinkRESTError where e.statusCode == 409 || e.isNotFound {
            return
        }
    }

    /// `POST /jobs/{id}/stop` (stop with savepoint); returns the trigger id to poll.
    public func stopWithSavepoint(_ job: String, targetDirectory: String?) async throws -> String {
        var body: [String: JSONValue] = ["drain": false]
        if let targetDirectory { body["targetDirectory"] = .string(targetDirectory) }
        let data = try await call("POST", "/jobs/\(Self.escape(job))/stop", body: try JSONEncoder().encode(body))
        return try decode(FlinkResponses.Trigger.self, data, "stop").requestID
    }

    public func savepoint(_ job: String, trigger: String) async throws -> FlinkResponses.SavepointOperation.Outcome {
        try decode(FlinkResponses.SavepointOperation.self, try await call("GET", "/jobs/\(Self.escape(job))/savepoints/\(Self.escape(trigger))"), "savepoint").outcome
    }
}
