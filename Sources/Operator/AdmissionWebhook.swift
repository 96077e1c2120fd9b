import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// The validating admission webhook for ScheduledJobs, over HTTPS at
/// `POST /validate-scheduledjob`. Its serving certificate is `tls.crt`/`tls.key` in a folder
/// (a Secret mounted by the chart, or cert-manager's); they are re-read when they change, at
/// the next TLS handshake, so a rotated certificate needs no restart.
struct AdmissionWebhook: Service {
    let address: OperatorSettings.BindAddress
    let certificate: ServingCertificate
    let defaultTimeZone: String
    let logger: Logger

    func run() async throws {
        let router = Router()
        let zone = defaultTimeZone
        router.post("validate-scheduledjob") { request, _ -> Response in
            // A ScheduledJob is at most 1.5 MiB in etcd; the review wraps it (and an old copy).
            let body = try await request.body.collect(upTo: 4 * 1024 * 1024)
            let answer = AdmissionReview.answer(Data(buffer: body), defaultTimeZone: zone)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: answer)))
        }
        var tls = try TLSConfiguration.makeServerConfiguration(certificateChain: certificate.current.chain, privateKey: certificate.current.key)
        tls.minimumTLSVersion = .tlsv12
        let serving = certificate
        tls.sslContextCallback = { _, promise in
            do {
                let c = try serving.reloadedIfChanged()
                var override = NIOSSLContextConfigurationOverride()
                override.certificateChain = c.chain
                override.privateKey = c.key
                promise.succeed(override)
            } catch {
                promise.succeed(.noChanges)  // keep serving the last good certificate
            }
        }
        let app = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(address.host, port: address.port), serverName: nil), logger: logger)
        try await app.run()
    }
}

/// `tls.crt` and `tls.key` of a folder, cached and re-read when either file changes.
final class ServingCertificate: Sendable {
    struct Loaded: Sendable {
        let chain: [NIOSSLCertificateSource]
        let key: NIOSSLPrivateKeySource
        let stamp: String
    }

    let directory: String
    private let loaded: Mutex<Loaded>

    init(directory: String) throws {
        self.directory = directory
        loaded = Mutex(try Self.load(directory))
    }

    var current: Loaded { loaded.withLock { $0 } }

    func reloadedIfChanged() throws -> Loaded {
        let stamp = Self.stamp(directory)
        if let c = loaded.withLock({ $0.stamp == stamp ? $0 : nil }) { return c }
        let fresh = try Self.load(directory)
        loaded.withLock { $0 = fresh }
        return fresh
    }

    /// Sizes and modification times: a Secret volume swaps both files at once (a symlink flip).
    static func stamp(_ directory: String) -> String {
        ["tls.crt", "tls.key"].map { name in
            let a = try? FileManager.default.attributesOfItem(atPath: (directory as NSString).appendingPathComponent(name))
            return "\((a?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\(a?[.size] as? Int ?? 0)"
        }.joined(separator: ",")
    }

    static func load(_ directory: String) throws -> Loaded {
        let crt = (directory as NSString).appendingPathComponent("tls.crt"), key = (directory as NSString).appendingPathComponent("tls.key")
        let stamp = stamp(directory)
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(crt).map { NIOSSLCertificateSource.certificate($0) }
            guard !chain.isEmpty else { throw WebhookError("\(crt) holds no certificate") }
            return Loaded(chain: chain, key: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)), stamp: stamp)
        } catch let e as WebhookError {
            throw e
        } catch {
            throw WebhookError("the webhook's serving certificate: cannot read \(crt) and \(key) as PEM")
        }
    }
}

struct WebhookError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
