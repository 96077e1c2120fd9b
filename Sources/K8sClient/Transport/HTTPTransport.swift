import Foundation

/// One HTTP request as the client hands it to a transport.
public struct TransportRequest: Sendable, Hashable {
    public var method: String
    /// Path and query, e.g. `/api/v1/namespaces/x/configmaps?limit=10`.
    public var target: String
    public var headers: [String: String]
    public var body: Data?

    public init(method: String, target: String, headers: [String: String] = [:], body: Data? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// A fully read response.
public struct TransportResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: Data
    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A response whose body arrives chunk by chunk (watches).
public struct TransportStreamResponse: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: ByteChunks
    public init(status: Int, headers: [String: String] = [:], body: ByteChunks) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// The body of a streamed response. Pull-based, so a slow consumer slows the reader:
/// nothing is buffered beyond what the transport itself holds.
public struct ByteChunks: AsyncSequence, Sendable {
    public typealias Element = Data
    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextChunk: () async throws -> Data?
        public mutating func next() async throws -> Data? { try await nextChunk() }
    }
    private let make: @Sendable () -> AsyncIterator
    public init(_ make: @escaping @Sendable () -> AsyncIterator) { self.make = make }
    public init(makeNext: @escaping @Sendable () -> (() async throws -> Data?)) {
        self.make = { AsyncIterator(nextChunk: makeNext()) }
    }
    public func makeAsyncIterator() -> AsyncIterator { make() }

    /// A body from fixed chunks, for tests and for error bodies.
    public static func chunks(_ chunks: [Data]) -> ByteChunks {
        ByteChunks(makeNext: {
            var rest = chunks[...]
            return { rest.popFirst() }
        })
    }
}

/// The HTTP layer under `KubernetesClient`. The real one is AsyncHTTPClient; unit tests
/// script one (`ScriptedTransport` in K8sTestSupport).
public protocol HTTPTransport: Sendable {
    func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse
    func stream(_ request: TransportRequest, timeout: Duration) async throws -> TransportStreamResponse
    func shutdown() async throws
}
