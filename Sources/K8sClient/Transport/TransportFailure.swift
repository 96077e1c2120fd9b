import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Words for a request that got no HTTP answer, from a fixed vocabulary.
///
/// An HTTP library's own error description may carry what was sent: AsyncHTTPClient's
/// `invalidHeaderFieldValues` lists the values, and a header value can be a bearer token or
/// a Secret's content. These words reach logs, Events and `status` (readable with the `view`
/// role, which cannot read Secrets), so none of them is taken from an error's description.
public enum TransportFailure {
    public static func describe(_ error: any Error) -> String {
        switch error {
        case let e as HTTPClientError:
            switch e {
            case .connectTimeout: return "connect timed out"
            case .readTimeout, .deadlineExceeded: return "timed out waiting for the answer"
            case .remoteConnectionClosed: return "the server closed the connection"
            case .tlsHandshakeTimeout: return "TLS handshake timed out"
            case .cancelled: return "cancelled"
            default:
                // Bounded by AsyncHTTPClient without associated values ("Invalid header field values").
                return e.shortDescription.lowercased()
            }
        case let e as IOError: return describe(errno: e.errnoCode)
        case let e as NIOConnectionError:
            if let first = e.connectionErrors.first { return describe(first.error) }
            if e.dnsAError != nil || e.dnsAAAAError != nil { return "cannot resolve the host name" }
            return "cannot connect"
        case is SocketAddressError: return "cannot resolve the host name"
        case let e as ChannelError:
            switch e {
            case .connectTimeout: return "connect timed out"
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed: return "the connection was closed"
            default: return "connection error"
            }
        case is NIOSSLExtraError: return "TLS: the server's certificate does not match its host name"
        case let e as NIOSSLError:
            if case .handshakeFailed(let inner) = e, "\(inner)".contains("CERTIFICATE_VERIFY_FAILED") {
                return "TLS: the server's certificate is not trusted"
            }
            return "TLS handshake failed"
        case is BoringSSLError: return "TLS handshake failed"
        case is HTTPParserError: return "the answer is not valid HTTP"
        case is CancellationError: return "cancelled"
        case is NIOTooManyBytesError: return "the answer is too large"
        default: return "request failed (\(type(of: error)))"
        }
    }

    /// TLS failures repeat until a certificate or trust bundle changes: not worth retrying.
    public static func isTLS(_ error: any Error) -> Bool {
        if error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError { return true }
        if let e = error as? NIOConnectionError, let first = e.connectionErrors.first { return isTLS(first.error) }
        return false
    }

    static func describe(errno: CInt) -> String {
        switch errno {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset by the server"
        case ETIMEDOUT: return "connect timed out"
        case EHOSTUNREACH, ENETUNREACH: return "host unreachable"
        case EPIPE: return "the connection was closed"
        default: return "socket error (errno \(errno))"
        }
    }
}
