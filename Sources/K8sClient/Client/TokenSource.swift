import Foundation
import Synchronization

/// Supplies the `Authorization` header. Token files are re-read every
/// `refreshInterval` because bound service-account tokens are rotated by the kubelet.
final class TokenSource: Sendable {
    private let authentication: ClientConfiguration.Authentication
    private let refreshInterval: Duration
    private let readFile: @Sendable (String) throws -> Data
    private let cached: Mutex<(token: String, readAt: ContinuousClock.Instant)?> = Mutex(nil)

    init(authentication: ClientConfiguration.Authentication, refreshInterval: Duration, readFile: @escaping @Sendable (String) throws -> Data) {
        self.authentication = authentication
        self.refreshInterval = refreshInterval
        self.readFile = readFile
    }

    func authorizationHeader() throws -> String? {
        switch authentication {
        case .none: return nil
        case .bearerToken(let token): return "Bearer \(token)"
        case .basic(let user, let password): return "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
        case .bearerTokenFile(let path):
            let now = ContinuousClock.now
            if let c = cached.withLock({ $0 }), c.readAt.duration(to: now) < refreshInterval { return "Bearer \(c.token)" }
            do {
                let token = String(decoding: try readFile(path), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                cached.withLock { $0 = (token, now) }
                return "Bearer \(token)"
            } catch {
                // Keep using the last good token rather than failing every request while the file is swapped.
                if let c = cached.withLock({ $0 }) { return "Bearer \(c.token)" }
                throw KubernetesError(statusCode: nil, reason: .unauthorized, message: "cannot read token file \(path)")
            }
        }
    }
}
