import Crypto
import K8sClient
import Foundation
import SwiftASN1
import X509

/// The webhook's own CA and serving certificate, as the operator keeps them in a Secret
/// (`--webhook-cert-secret`): what to issue, and when what is stored must be replaced. Plain
/// functions of (stored, hosts, now), so the rotation rules are tested without a cluster.
///
/// The CA lives 10 years and is replaced in its last year; the serving certificate lives one
/// year and is replaced in its last 90 days, or at once when it does not match the hosts
/// asked for, its key, or the current CA. A replaced CA stays in the bundle the API server
/// trusts until it expires, so a replica still serving a certificate it signed keeps working.
enum WebhookCertificateAuthority {
    static let caLifetime: TimeInterval = 10 * 365 * 86_400
    static let caRenewBefore: TimeInterval = 365 * 86_400
    static let servingLifetime: TimeInterval = 365 * 86_400
    static let servingRenewBefore: TimeInterval = 90 * 86_400
    /// Tolerates clocks a little behind ours (the API server's, another replica's).
    static let backdate: TimeInterval = 3_600

    /// The Secret's keys: `ca.crt` is the bundle for the webhook's `caBundle`, newest CA first.
    struct Stored: Sendable, Equatable {
        var caBundlePEM: String
        var caKeyPEM: String
        var certificatePEM: String
        var keyPEM: String

        init(caBundlePEM: String, caKeyPEM: String, certificatePEM: String, keyPEM: String) {
            self.caBundlePEM = caBundlePEM
            self.caKeyPEM = caKeyPEM
            self.certificatePEM = certificatePEM
            self.keyPEM = keyPEM
        }

        init?(secretData data: [String: Data]) {
            func text(_ key: String) -> String? { data[key].flatMap { String(data: $0, encoding: .utf8) } }
            guard let bundle = text("ca.crt"), let caKey = text("ca.key"), let crt = text("tls.crt"), let key = text("tls.key") else { return nil }
            self.init(caBundlePEM: bundle, caKeyPEM: caKey, certificatePEM: crt, keyPEM: key)
        }

        var secretData: [String: Data] {
            ["ca.crt": Data(caBundlePEM.utf8), "ca.key": Data(caKeyPEM.utf8), "tls.crt": Data(certificatePEM.utf8), "tls.key": Data(keyPEM.utf8)]
        }
    }

    enum Decision: Sendable, Equatable {
        case keep
        /// Issue a new serving certificate from the stored CA.
        case renewServing(reason: String)
        /// Issue a new CA and serving certificate.
        case renewAll(reason: String)
    }

    static func decide(_ stored: Stored?, hosts: [String], now: Date) -> Decision {
        guard let stored else { return .renewAll(reason: "no certificate stored yet") }
        guard let ca = try? caOf(stored) else { return .renewAll(reason: "the stored CA cannot be read") }
        if ca.certificate.notValidAfter.timeIntervalSince(now) < caRenewBefore { return .renewAll(reason: "the CA expires \(RFC3339.format(ca.certificate.notValidAfter))") }
        guard let serving = try? Certificate(pemEncoded: stored.certificatePEM), let key = try? Certificate.PrivateKey(pemEncoded: stored.keyPEM) else {
            return .renewServing(reason: "the stored serving certificate cannot be read")
        }
        if key.publicKey != serving.publicKey { return .renewServing(reason: "the serving certificate does not match its key") }
        if serving.issuer != ca.certificate.subject || !ca.certificate.publicKey.isValidSignature(serving.signature, for: serving) {
            return .renewServing(reason: "the serving certificate is not signed by the current CA")
        }
        if serving.notValidAfter.timeIntervalSince(now) < servingRenewBefore { return .renewServing(reason: "the serving certificate expires \(RFC3339.format(serving.notValidAfter))") }
        if serving.notValidBefore > now { return .renewServing(reason: "the serving certificate is not valid yet") }
        if Set(names(of: serving)) != Set(hosts) { return .renewServing(reason: "the serving certificate is for \(names(of: serving).sorted().joined(separator: ",")), not \(hosts.sorted().joined(separator: ","))") }
        return .keep
    }

    /// Carries out a decision other than `.keep`.
    static func issue(_ decision: Decision, replacing stored: Stored?, hosts: [String], now: Date) throws -> Stored {
        let ca: (certificate: Certificate, key: Certificate.PrivateKey)
        var bundle: [Certificate]
        switch decision {
        case .keep:
            guard let stored else { throw WebhookError("nothing stored to keep") }
            return stored
        case .renewServing:
            guard let stored else { throw WebhookError("no CA stored") }
            ca = try caOf(stored)
            bundle = (try? certificates(in: stored.caBundlePEM)) ?? [ca.certificate]
        case .renewAll:
            ca = try newCA(now: now)
            // The previous CA stays trusted while it is valid: replicas may still serve its certificate.
            let previous = stored.flatMap { try? certificates(in: $0.caBundlePEM) }?.first { $0.notValidAfter > now } 
            bundle = [ca.certificate] + (previous.map { [$0] } ?? [])
        }
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let subject = try DistinguishedName { CommonName(hosts.first ?? "sked-webhook") }
        let sans = SubjectAlternativeNames(hosts.map { host in
            IPAddress(host).map { GeneralName.ipAddress(ASN1OctetString(contentBytes: ArraySlice($0.bytes))) } ?? .dnsName(host)
        })
        let serving = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-backdate), notValidAfter: now.addingTimeInterval(servingLifetime),
            issuer: ca.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                sans
                AuthorityKeyIdentifier(keyIdentifier: try? ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: ca.key)
        return Stored(
            caBundlePEM: try bundle.map { try $0.serializeAsPEM().pemString }.joined(separator: "\n") + "\n",
            caKeyPEM: try ca.key.serializeAsPEM().pemString + "\n",
            certificatePEM: try serving.serializeAsPEM().pemString + "\n",
            keyPEM: try key.serializeAsPEM().pemString + "\n")
    }

    static func newCA(now: Date) throws -> (certificate: Certificate, key: Certificate.PrivateKey) {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName { CommonName("sked-webhook-ca-\(Int(now.timeIntervalSince1970))") }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-backdate), notValidAfter: now.addingTimeInterval(caLifetime),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key)
        return (certificate, key)
    }

    /// The current CA: the first certificate of the bundle, with the stored CA key.
    static func caOf(_ stored: Stored) throws -> (certificate: Certificate, key: Certificate.PrivateKey) {
        guard let certificate = try certificates(in: stored.caBundlePEM).first else { throw WebhookError("empty CA bundle") }
        let key = try Certificate.PrivateKey(pemEncoded: stored.caKeyPEM)
        guard key.publicKey == certificate.publicKey else { throw WebhookError("the CA key does not match the CA") }
        return (certificate, key)
    }

    static func certificates(in pem: String) throws -> [Certificate] {
        try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
    }

    /// The DNS names and IP addresses a certificate is for.
    static func names(of certificate: Certificate) -> [String] {
        guard let sans = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return sans.compactMap { name in
            switch name {
            case .dnsName(let dns): return dns
            case .ipAddress(let octets): return IPAddress(bytes: Array(octets.bytes))?.description
            default: return nil
            }
        }
    }
}
