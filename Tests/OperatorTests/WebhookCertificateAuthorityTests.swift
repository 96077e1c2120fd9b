import Foundation
import K8sClient
import K8sTestSupport
import Testing
import X509

@testable import Operator

/// When the operator's own webhook certificate is issued and replaced, at fixed instants.
@Suite struct WebhookCertificateRotation {
    typealias CA = WebhookCertificateAuthority
    let hosts = ["sked-webhook.sked-system.svc", "sked-webhook.sked-system.svc.cluster.local", "127.0.0.1"]
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func issued(at now: Date) throws -> CA.Stored {
        try CA.issue(CA.decide(nil, hosts: hosts, now: now), replacing: nil, hosts: hosts, now: now)
    }

    /// openssl's verdict on the chain: what the API server's Go TLS checks in the same way.
    func opensslVerifies(_ stored: CA.Stored, host: String) throws -> Bool {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sked-ca-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try stored.caBundlePEM.write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
        try stored.certificatePEM.write(to: dir.appendingPathComponent("tls.crt"), atomically: true, encoding: .utf8)
        let check = IPAddress(host) == nil ? ["-verify_hostname", host] : ["-verify_ip", host]
        let (status, out) = try TestProcess.run("/usr/bin/env", ["openssl", "verify", "-purpose", "sslserver", "-attime", String(Int(t0.timeIntervalSince1970) + 60)] + check + ["-CAfile", dir.appendingPathComponent("ca.crt").path, dir.appendingPathComponent("tls.crt").path])
        return status == 0 && out.contains(": OK")
    }

    @Test func aFirstCertificateIsIssuedForExactlyTheHostsAndVerifies() throws {
        #expect(CA.decide(nil, hosts: hosts, now: t0) == .renewAll(reason: "no certificate stored yet"))
        let stored = try issued(at: t0)
        #expect(CA.decide(stored, hosts: hosts, now: t0) == .keep)
        let serving = try Certificate(pemEncoded: stored.certificatePEM)
        #expect(Set(CA.names(of: serving)) == Set(hosts))
        #expect(try serving.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try serving.extensions.basicConstraints == .notCertificateAuthority)
        for host in hosts { #expect(try opensslVerifies(stored, host: host), "\(host)") }
        #expect(try opensslVerifies(stored, host: "other.example") == false)
        // Round trip through the Secret's keys.
        #expect(CA.Stored(secretData: stored.secretData) == stored)
    }

    @Test func theServingCertificateIsRenewedInItsLast90DaysFromTheSameCA() throws {
        let stored = try issued(at: t0)
        #expect(CA.decide(stored, hosts: hosts, now: t0.addingTimeInterval(270 * 86_400)) == .keep)
        let late = t0.addingTimeInterval(280 * 86_400)
        guard case .renewServing(let reason) = CA.decide(stored, hosts: hosts, now: late) else { Issue.record("not renewed"); return }
        #expect(reason.hasPrefix("the serving certificate expires "))
        let renewed = try CA.issue(.renewServing(reason: reason), replacing: stored, hosts: hosts, now: late)
        #expect(renewed.caBundlePEM == stored.caBundlePEM && renewed.caKeyPEM == stored.caKeyPEM, "the caBundle the API server trusts stays")
        #expect(renewed.certificatePEM != stored.certificatePEM && renewed.keyPEM != stored.keyPEM)
        #expect(CA.decide(renewed, hosts: hosts, now: late) == .keep)
    }

    @Test func otherHostsOrAForeignKeyMeanANewServingCertificate() throws {
        let stored = try issued(at: t0)
        #expect(CA.decide(stored, hosts: ["new-name.sked-system.svc"], now: t0) == .renewServing(reason:
            "the serving certificate is for 127.0.0.1,sked-webhook.sked-system.svc,sked-webhook.sked-system.svc.cluster.local, not new-name.sked-system.svc"))
        var foreignKey = stored
        foreignKey.keyPEM = try issued(at: t0).keyPEM
        #expect(CA.decide(foreignKey, hosts: hosts, now: t0) == .renewServing(reason: "the serving certificate does not match its key"))
        var otherCA = stored
        let other = try issued(at: t0)
        otherCA.certificatePEM = other.certificatePEM
        otherCA.keyPEM = other.keyPEM
        #expect(CA.decide(otherCA, hosts: hosts, now: t0) == .renewServing(reason: "the serving certificate is not signed by the current CA"))
        var garbage = stored
        garbage.certificatePEM = "not a certificate"
        #expect(CA.decide(garbage, hosts: hosts, now: t0) == .renewServing(reason: "the stored serving certificate cannot be read"))
    }

    @Test func aCAInItsLastYearIsReplacedAndStaysTrustedBesideTheNewOne() throws {
        let stored = try issued(at: t0)
        let late = t0.addingTimeInterval(9.5 * 365 * 86_400)
        guard case .renewAll = CA.decide(stored, hosts: hosts, now: late) else { Issue.record("CA not renewed"); return }
        let renewed = try CA.issue(CA.decide(stored, hosts: hosts, now: late), replacing: stored, hosts: hosts, now: late)
        let bundle = try CA.certificates(in: renewed.caBundlePEM)
        let old = try CA.certificates(in: stored.caBundlePEM)
        #expect(bundle.count == 2 && bundle[1] == old[0], "the old CA is still trusted until it expires")
        #expect(bundle[0] != old[0] && renewed.caKeyPEM != stored.caKeyPEM)
        #expect(CA.decide(renewed, hosts: hosts, now: late) == .keep)
        // A CA key that does not belong to the CA: start over.
        var mismatched = stored
        mismatched.caKeyPEM = renewed.caKeyPEM
        #expect(CA.decide(mismatched, hosts: hosts, now: t0) == .renewAll(reason: "the stored CA cannot be read"))
    }
}
