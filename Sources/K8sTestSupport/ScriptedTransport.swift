import Foundation
import K8sClient
import Synchronization

/// An `HTTPTransport` whose answers a unit test scripts, recording every request so
/// tests can check exact method, path and body (like NIOEmbedded or client/fake).
public final class ScriptedTransport: HTTPTransport {
    public enum Answer: Sendable {
        case response(TransportResponse)
        case stream(status: Int, chunks: [Data])
        case failure(TransportError)
    }
    public typealias Handler = @Sendable (TransportRequest) -> Answer

    private let handler: Handler
    private let log = Mutex<[TransportRequest]>([])

    public init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// Answers the given sequence in order; after it runs out, answers 500.
    public convenience init(answers: [Answer]) {
        let queue = Mutex(answers[...])
        self.init { _ in
            queue.withLock { $0.popFirst() } ?? .response(TransportResponse(status: 500, body: Data("script exhausted".utf8)))
        }
    }

    public var requests: [TransportRequest] { log.withLock { $0 } }

    public func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        log.withLock { $0.append(request) }
        switch handler(request) {
        case .response(let r): return r
        case .stream(let status, let chunks): return TransportResponse(status: status, body: chunks.reduce(Data(), +))
        case .failure(let e): throw e
        }
    }

    public func stream(_ request: TransportRequest, timeout: Duration) async throws -> TransportStreamResponse {
        log.withLock { $0.append(request) }
        switch handler(request) {
        case .response(let r): return TransportStreamResponse(status: r.status, headers: r.headers, body: .chunks([r.body]))
        case .stream(let status, let chunks): return TransportStreamResponse(status: status, body: .chunks(chunks))
        case .failure(let e): throw e
        }
    }

    public func shutdown() async throws {}
}

extension ScriptedTransport.Answer {
    /// A JSON answer from any Encodable value.
    public static func json<T: Encodable>(_ value: T, status: Int = 200) -> Self {
        .response(TransportResponse(status: status, headers: ["content-type": "application/json"], body: try! KubernetesJSON.encode(value)))
    }
    /// A JSON answer from literal text.
    public static func text(_ text: String, status: Int = 200, headers: [String: String] = [:]) -> Self {
        .response(TransportResponse(status: status, headers: headers, body: Data(text.utf8)))
    }
    /// A `metav1.Status` error answer.
    public static func status(_ code: Int, reason: String, message: String, headers: [String: String] = [:]) -> Self {
        text(#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"\#(message)","reason":"\#(reason)","code":\#(code)}"#, status: code, headers: headers)
    }
}

extension KubernetesClient {
    /// A client on a scripted transport, with fast retries for tests.
    public static func scripted(_ transport: ScriptedTransport, namespace: String = "default", retry: RetryPolicy = RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(1), maxBackoff: .milliseconds(5))) -> KubernetesClient {
        KubernetesClient(
            configuration: ClientConfiguration(server: "https://k8s.test", authentication: .bearerToken("test-token"), namespace: namespace),
            transport: transport, retryPolicy: retry)
    }
}
