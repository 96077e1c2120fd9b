import Foundation

/// One HTTP request as the client hands it to a transport.
public struct TransportRequest: Sendable, Hashable {
    public var method: String
    /// Path and query, e.g. `/api/v1/namespaces/x/configmaps?limit=10`.
    public var target: String
    public var headers: [String: String]
    public var body: Data?
    /// A body streamed from a file (uploads), instead of `body`.
    public var fileBody: FileBody?
    /// The largest successful answer `send` reads; a larger one fails with `tooLarge` before
    /// more than this is held (nil: the transport's own limit, meant for the API server).
    public var maxResponseBytes: Int?

    public init(method: String, target: String, headers: [String: String] = [:], body: Data? = nil, fileBody: FileBody? = nil, maxResponseBytes: Int? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.fileBody = fileBody
        self.maxResponseBytes = maxResponseBytes
    }

    /// `target` without its query, which may hold credentials: what error messages name.
    public var path: Substring { target.prefix { $0 != "?" } }

    /// How much of an error answer's body is read: enough for any `Status` or Flink error,
    /// and no more from a server that sends its error page forever.
    public static let maxErrorBodyBytes = 64 * 1024
}

/// `prefix`, then the file's bytes, then `suffix`, read in chunks as the request is sent, so
/// a large upload (a Flink JAR in a multipart form) never sits in memory.
public struct FileBody: Sendable, Hashable {
    public var prefix: Data
    public var file: URL
    public var suffix: Data

    public init(prefix: Data = Data(), file: URL, suffix: Data = Data()) {
        self.prefix = prefix
        self.file = file
        self.suffix = suffix
    }

    public func fileSize() throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.intValue ?? 0
    }

    public var length: Int { get throws { prefix.count + (try fileSize()) + suffix.count } }

    /// The body in chunks of at most `chunkSize` bytes.
    public func chunks(chunkSize: Int = 256 * 1024) throws -> ByteChunks {
        let handle = try FileHandle(forReadingFrom: file)
        let state = FileChunkState(handle: handle, prefix: prefix, suffix: suffix, chunkSize: chunkSize)
        return ByteChunks(makeNext: { { state.next() } })
    }

    /// Reads everything (tests, small bodies).
    public func data() throws -> Data { prefix + (try Data(contentsOf: file)) + suffix }
}

/// Sequential reader behind `FileBody.chunks`; only ever used by one request at a time.
private final class FileChunkState: @unchecked Sendable {
    private let handle: FileHandle
    private var stage = 0
    private let prefix: Data, suffix: Data, chunkSize: Int

    init(handle: FileHandle, prefix: Data, suffix: Data, chunkSize: Int) {
        self.handle = handle
        self.prefix = prefix
        self.suffix = suffix
        self.chunkSize = chunkSize
    }

    func next() -> Data? {
        while true {
            switch stage {
            case 0:
                stage = 1
                if !prefix.isEmpty { return prefix }
            case 1:
                if let chunk = try? handle.read(upToCount: chunkSize), !chunk.isEmpty { return chunk }
                try? handle.close()
                stage = 2
            case 2:
                stage = 3
                if !suffix.isEmpty { return suffix }
            default:
                return nil
            }
        }
    }

    deinit { try? handle.close() }
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
