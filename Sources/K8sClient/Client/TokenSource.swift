import Foundation
import Synchronization

/// Supplies the `Authorization` header. Token files are re-read every
/// `refreshInterval` because bound service-account tokens are rotated by the kubelet.
final class TokenSource: Sendable {
    private let authentication: ClientConfiguration.Authentication
    private let refreshInterval: Duration
    private let readFile: @Sendable (String) throws -> Data
    private let cached: Mutex<(token: String, readAt: ContinuousClock.Instant)?> = Mutex(nil)
    private let plugin: ExecCredentialPlugin?

    init(authentication: ClientConfiguration.Authentication, server: String, refreshInterval: Duration, readFile: @escaping @Sendable (String) throws -> Data) {
        self.authentication = authentication
        self.refreshInterval = refreshInterval
        self.readFile = readFile
        if case .exec(let config) = authentication {
            plugin = ExecCredentialPlugin(config: config, server: server)
        } else {
            plugin = nil
        }
    }

    /// Whether a 401 is worth one more try with a fresh credential.
    var canRefresh: Bool { plugin != nil }

    /// The API server answered 401 to `header`: a plugin's token is fetched again next time.
    func unauthorized(_ header: String?) async {
        guard let plugin, let header, header.hasPrefix("Bearer ") else { return }
        await plugin.discard(String(header.dropFirst("Bearer ".count)))
    }

    func authorizationHeader() async throws -> String? {
        switch authentication {
        case .none: return nil
        case .exec: return "Bearer " + (try await plugin!.token())
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
