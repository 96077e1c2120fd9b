import Foundation
import K8sClient

/// Fetches a job JAR over HTTP(S) into a temporary file: streamed chunk by chunk (never the
/// whole file in memory), refused beyond `maxBytes`, bounded by `timeout`, and checked to be
/// a JAR (a zip archive) before Flink sees it.
public struct JarDownloader: Sendable {
    public let transports: HTTPTransports
    public let maxBytes: Int
    public let timeout: Duration
    public let directory: URL

    public init(transports: HTTPTransports, maxBytes: Int = 512 * 1024 * 1024, timeout: Duration = .seconds(300), directory: URL = FileManager.default.temporaryDirectory) {
        self.transports = transports
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.directory = directory
    }

    /// Why a download failed; `isTransient` failures (unreachable server, 5xx) are retried,
    /// the others are reported on the run.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let message: String
        public let isTransient: Bool
        public var description: String { message }
    }

    /// What identifies the JAR's current content without downloading it: the server's ETag
    /// and Last-Modified (from a HEAD), empty when it gives neither or answers no HEAD.
    public func validators(of url: URL, headers: [String: String]) async throws -> String {
        let (transport, target) = transports.transport(for: url)
        let response: TransportResponse
        do {
            response = try await transport.send(TransportRequest(method: "HEAD", target: target, headers: headers), timeout: .seconds(30))
        } catch let refused as URLNotAllowed {
            throw refused
        } catch {
            throw Failure(message: "cannot reach \(Self.redacted(url)): \(Self.describe(error))", isTransient: true)
        }
        if response.status >= 500 { throw Failure(message: "\(Self.redacted(url)) answered HTTP \(response.status)", isTransient: true) }
        guard (200..<300).contains(response.status) else { return "" }
        return [response.headers["etag"], response.headers["last-modified"]].map { $0 ?? "" }.joined(separator: "|")
    }

    /// Downloads `url` into a new file in `directory`; the caller removes it.
    public func download(_ url: URL, headers: [String: String]) async throws -> URL {
        let file = directory.appendingPathComponent("sked-\(UUID().uuidString).jar")
        do {
            try await withDeadline(timeout) { try await fetch(url, headers: headers, into: file) }
            return file
        } catch {
            try? FileManager.default.removeItem(at: file)
            if let failure = error as? Failure { throw failure }
            if let refused = error as? URLNotAllowed { throw refused }
            if error is DeadlineExceeded {
                throw Failure(message: "downloading \(Self.redacted(url)) took longer than \(timeout)", isTransient: true)
            }
            throw Failure(message: "downloading \(Self.redacted(url)) failed: \(Self.describe(error))", isTransient: true)
        }
    }

    private func fetch(_ url: URL, headers: [String: String], into file: URL) async throws {
        let (transport, target) = transports.transport(for: url)
        let response: TransportStreamResponse
        do {
            response = try await transport.stream(TransportRequest(method: "GET", target: target, headers: headers), timeout: timeout)
        } catch let refused as URLNotAllowed {
            throw refused
        } catch {
            throw Failure(message: "cannot reach \(Self.redacted(url)): \(Self.describe(error))", isTransient: true)
        }
        guard (200..<300).contains(response.status) else {
            throw Failure(message: "downloading \(Self.redacted(url)) answered HTTP \(response.status)", isTransient: response.status >= 500 || response.status == 429)
        }
        if let length = response.headers["content-length"].flatMap(Int.init), length > maxBytes {
            throw Failure(message: "\(Self.redacted(url)) is \(length) bytes, more than the limit of \(maxBytes)", isTransient: false)
        }
        guard FileManager.default.createFile(atPath: file.path, contents: nil) else {
            throw Failure(message: "cannot create \(file.path)", isTransient: true)
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var written = 0
        var head = Data()
        for try await chunk in response.body {
            written += chunk.count
            if written > maxBytes {
                throw Failure(message: "\(Self.redacted(url)) is larger than the limit of \(maxBytes) bytes", isTransient: false)
            }
            if head.count < 4 { head.append(chunk.prefix(4 - head.count)) }
            try handle.write(contentsOf: chunk)
        }
        // Every JAR is a zip archive: "PK\u{3}\u{4}". An HTML error page served with 200 is not.
        guard head.starts(with: [0x50, 0x4B, 0x03, 0x04]) else {
            let shown = String(decoding: head, as: UTF8.self).filter { $0.isASCII && !$0.isNewline }
            throw Failure(message: "\(Self.redacted(url)) is not a JAR file (it does not start with a zip header; first bytes: \"\(shown)\")", isTransient: false)
        }
    }

    /// The URL without user info or query, which may hold credentials (JAR and JobManager URLs
    /// in messages).
    static func redacted(_ url: URL) -> String {
        guard var c = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return "the URL" }
        c.user = nil
        c.password = nil
        if c.query != nil { c.query = "…" }
        return c.string ?? "the URL"
    }

    /// The transport's words, without the request line (the caller names the URL, redacted).
    static func describe(_ error: any Error) -> String {
        (error as? TransportError)?.detail ?? "\(error)"
    }
}
