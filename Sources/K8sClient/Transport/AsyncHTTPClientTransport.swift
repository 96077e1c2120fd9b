import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// The production transport: AsyncHTTPClient with TLS set up from the client configuration.
public final class AsyncHTTPClientTransport: HTTPTransport {
    private let client: HTTPClient
    private let baseURL: String
    /// False for a transport on a shared client (`HTTPClient.shared`), which is never shut down.
    private let ownsClient: Bool
    /// Responses larger than this are refused rather than held in memory (lists are
    /// paginated); requests to other servers set their own, smaller limit.
    private let maxBodyBytes = 512 * 1024 * 1024

    public init(configuration: ClientConfiguration) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        if configuration.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        } else if let ca = configuration.certificateAuthorityPEM {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(ca))
            } catch {
                throw ConfigError("certificate authority is not valid PEM: \(error)")
            }
        }
        if let cert = configuration.clientCertificatePEM, let key = configuration.clientKeyPEM {
            do {
                tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(cert).map { .certificate($0) }
                tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: key, format: .pem))
            } catch {
                throw ConfigError("client certificate or key is not valid PEM: \(error)")
            }
        }
        var config = HTTPClient.Configuration(tlsConfiguration: tls)
        config.connectionPool = .init(idleTimeout: .seconds(90), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        // A refused connection fails the attempt at once, to be retried by `RetryPolicy`,
        // instead of AsyncHTTPClient reconnecting until the request timeout: a Job create
        // must not hang for 30 s while the API server restarts and then land after its
        // ScheduledJob's starting deadline.
        config.connectionPool.retryConnectionEstablishment = false
        config.timeout.connect = .seconds(5)
        config.decompression = .enabled(limit: .none)
        var base = configuration.server
        // tls-server-name: ask for the certificate's name and let DNS override point it at
        // the real address, so verification and SNI both use the configured name.
        if let serverName = configuration.tlsServerName, var components = URLComponents(string: base), let host = components.host {
            config.dnsOverride = [serverName: host]
            components.host = serverName
            base = components.string ?? base
        }
        self.baseURL = base
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
        self.ownsClient = true
    }

    /// A transport to `baseURL` (scheme, host, port) on an existing client, for servers other
    /// than the API server (Flink JobManagers, JAR downloads): they share its connection pools
    /// and its TLS settings (system trust roots, verification on).
    public init(client: HTTPClient, baseURL: String) {
        self.client = client
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.ownsClient = false
    }

    private func makeRequest(_ request: TransportRequest) throws -> HTTPClientRequest {
        var r = HTTPClientRequest(url: baseURL + request.target)
        r.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { r.headers.add(name: name, value: value) }
        if let body = request.body { r.body = .bytes(ByteBuffer(bytes: body)) }
        if let file = request.fileBody {
            let chunks = try file.chunks().map { ByteBuffer(bytes: $0) }
            r.body = .stream(chunks, length: .known(Int64(try file.length)))
        }
        return r
    }

    private static func timeAmount(_ d: Duration) -> TimeAmount {
        .nanoseconds(d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000)
    }

    private static func headers(_ h: HTTPHeaders) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in h { out[name.lowercased()] = value }
        return out
    }

    public func send(_ request: TransportRequest, timeout: Duration) async throws -> TransportResponse {
        do {
            let response = try await client.execute(try makeRequest(request), timeout: Self.timeAmount(timeout))
            let status = Int(response.status.code)
            let body: ByteBuffer
            if (200..<300).contains(status) {
                let limit = request.maxResponseBytes ?? maxBodyBytes
                // A HEAD answer's Content-Length is the size a GET would get, not a body that follows.
                if request.method != "HEAD", let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
                    throw Self.tooLarge(request, status: status, limit: limit)
                }
                do { body = try await response.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
                    throw Self.tooLarge(request, status: status, limit: limit)
                }
            } else {
                body = try await Self.prefix(of: response.body, upTo: TransportRequest.maxErrorBodyBytes)
            }
            // Handed over without a copy when the buffer is not shared.
            return TransportResponse(status: status, headers: Self.headers(response.headers), body: Data(buffer: body, byteTransferStrategy: .automatic))
        } catch let error as TransportError {
            throw error
        } catch {
            throw Self.transportError(error, request)
        }
    }

    /// The first `limit` bytes of a body; the rest is not read (the connection is closed).
    private static func prefix(of body: HTTPClientResponse.Body, upTo limit: Int) async throws -> ByteBuffer {
        var collected = ByteBuffer()
        for try await var chunk in body {
            let room = limit - collected.readableBytes
            if chunk.readableBytes >= room {
                if let slice = chunk.readSlice(length: room) { collected.writeImmutableBuffer(slice) }
                break
            }
            collected.writeBuffer(&chunk)
        }
        return collected
    }

    private static func tooLarge(_ request: TransportRequest, status: Int, limit: Int) -> TransportError {
        TransportError(.tooLarge(status: status, limit: limit), method: request.method, path: request.path, detail: "the answer is larger than \(ByteCount(limit)), the limit for it")
    }

    public func stream(_ request: TransportRequest, timeout: Duration) async throws -> TransportStreamResponse {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(try makeRequest(request), timeout: Self.timeAmount(timeout))
        } catch {
            throw Self.transportError(error, request)
        }
        let body = response.body
        let target = request.target
        return TransportStreamResponse(
            status: Int(response.status.code), headers: Self.headers(response.headers),
            body: ByteChunks(makeNext: {
                var it = body.makeAsyncIterator()
                return {
                    do {
                        guard let buffer = try await it.next() else { return nil }
                        return Data(buffer.readableBytesView)
                    } catch {
                        throw TransportError(TransportFailure.isTLS(error) ? .tls : .connection, method: "watch", path: target, detail: TransportFailure.describe(error))
                    }
                }
            }))
    }

    /// A failed TLS handshake (untrusted or mismatched certificate) will fail the same way
    /// next time, so it is not transient; other connection failures are. The message is the
    /// request line and `TransportFailure`'s words, never the library's own description: that
    /// can hold request header values (a bearer token, a Secret's header), and messages reach
    /// logs, Events and status.
    static func transportError(_ error: any Error, _ request: TransportRequest) -> TransportError {
        TransportError(TransportFailure.isTLS(error) ? .tls : .connection, method: request.method, path: request.path, detail: TransportFailure.describe(error))
    }

    public func shutdown() async throws {
        guard ownsClient else { return }
        try await client.shutdown()
    }
}
