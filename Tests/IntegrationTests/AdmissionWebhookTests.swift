import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// The operator's validating webhook, called by the real API server: `kubectl apply` refuses
/// what the reconciler would report as Invalid, with the same message; a down webhook blocks
/// (failurePolicy Fail) or admits (Ignore); a rotated certificate is served without a restart.
@Suite struct AdmissionWebhookAtApply {
    /// A CA and a serving certificate for 127.0.0.1 made with openssl, in `dir`.
    func makeCertificates(_ dir: URL, serial: Int) throws {
        func openssl(_ args: [String]) throws {
            let (status, out) = try TestProcess.run("/usr/bin/env", ["openssl"] + args)
            guard status == 0 else { throw TestHarnessError("openssl \(args.first ?? ""): \(out)") }
        }
        let p = { (name: String) in dir.appendingPathComponent(name).path }
        if !FileManager.default.fileExists(atPath: p("ca.key")) {
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "2", "-subj", "/CN=sked-test-ca"])
        }
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: p("san.ext"), atomically: true, encoding: .utf8)
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", p("new.key"), "-out", p("new.csr"), "-subj", "/CN=sked-webhook"])
        try openssl(["x509", "-req", "-in", p("new.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-set_serial", String(serial), "-days", "2", "-extfile", p("san.ext"), "-out", p("new.crt")])
        // Both files replaced at once, as a Secret volume does.
        let certs = dir.appendingPathComponent("certs")
        try FileManager.default.createDirectory(at: certs, withIntermediateDirectories: true)
        _ = try? FileManager.default.removeItem(atPath: certs.appendingPathComponent("tls.crt").path)
        _ = try? FileManager.default.removeItem(atPath: certs.appendingPathComponent("tls.key").path)
        try FileManager.default.copyItem(atPath: p("new.crt"), toPath: certs.appendingPathComponent("tls.crt").path)
        try FileManager.default.copyItem(atPath: p("new.key"), toPath: certs.appendingPathComponent("tls.key").path)
    }

    func servedSerial(_ port: Int) throws -> String {
        let (_, out) = try TestProcess.run("/bin/sh", ["-c", "echo | openssl s_client -connect 127.0.0.1:\(port) 2>/dev/null | openssl x509 -noout -serial"])
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func badSpecsAreRefusedByKubectlApplyWithTheReadyMessage() async throws {
        let plane = try await TestControlPlane.shared()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sked-webhook-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try makeCertificates(dir, serial: 1001)
        let port = try freeLoopbackPort()
        @Sendable func kubectl(_ args: [String], input: String? = nil) throws -> (Int32, String) {
            var all = args
            if let input {
                let file = dir.appendingPathComponent("in-\(UUID().uuidString.prefix(6)).yaml")
                try input.write(to: file, atomically: true, encoding: .utf8)
                all += ["-f", file.path]
            }
            return try plane.kubectl(all)
        }
        try await OperatorFixture.with("webhook") { f in
            let configuration = "sked-test-\(f.namespace)"
            _ = try kubectl(["label", "namespace", f.namespace, "sked.dev/webhook-test=\(f.namespace)"])
            let ca = try Data(contentsOf: dir.appendingPathComponent("ca.crt")).base64EncodedString()
            func webhookConfiguration(_ policy: String) -> String {
                """
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingWebhookConfiguration
                metadata: {name: \(configuration)}
                webhooks:
                - name: scheduledjobs.sked.dev
                  admissionReviewVersions: [v1]
                  sideEffects: None
                  failurePolicy: \(policy)
                  timeoutSeconds: 5
                  clientConfig: {url: "https://127.0.0.1:\(port)/validate-scheduledjob", caBundle: \(ca)}
                  namespaceSelector: {matchLabels: {sked.dev/webhook-test: \(f.namespace)}}
                  rules: [{apiGroups: [sked.dev], apiVersions: [v1alpha1], resources: [scheduledjobs], operations: [CREATE, UPDATE]}]
                """
            }
            #expect(try kubectl(["apply"], input: webhookConfiguration("Fail")).0 == 0)
            defer { _ = try? kubectl(["delete", "validatingwebhookconfiguration", configuration]) }
            func scheduledJob(_ name: String, _ spec: String) -> String {
                "apiVersion: sked.dev/v1alpha1\nkind: ScheduledJob\nmetadata: {name: \(name), namespace: \(f.namespace)}\nspec: \(spec)\n"
            }
            let job = #"jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}"#

            let op = try OperatorProcess(arguments: ["--kubeconfig", plane.adminKubeconfig, "--namespace", f.namespace, "--leader-elect=false",
                                                     "--webhook-bind-address", "127.0.0.1:\(port)", "--webhook-cert-dir", dir.appendingPathComponent("certs").path])
            defer { Task { await op.stop() } }
            #expect(await eventually(timeout: .seconds(60)) { (try? servedSerial(port)) == "serial=03E9" }, "\(op.log)")

            // The message is the one Ready would carry.
            let expected = try #require(SchedulePlanner.plan(
                ScheduledJob(metadata: ObjectMeta(name: "x", namespace: "ns"), spec: ScheduledJobSpec(schedule: "61 * * * *", jobTemplate: JobTemplate(spec: ["template": [:]]))),
                runs: [], now: Date()).status.conditions?[type: "Ready"]?.message)
            let refused = try kubectl(["apply"], input: scheduledJob("minute", "{schedule: \"61 * * * *\", \(job)}"))
            #expect(refused.0 != 0 && refused.1.contains("admission webhook \"scheduledjobs.sked.dev\" denied the request: InvalidSchedule: \(expected)"), "\(refused.1)")
            for (name, spec, says) in [
                ("zone", "{schedule: \"@daily\", timeZone: Mars/Olympus, \(job)}", "InvalidTimeZone: spec.timeZone: unknown time zone \"Mars/Olympus\""),
                ("flink", "{schedule: \"@daily\", flinkJob: {jobManagerURL: \"ftp://jm\", jarURL: \"http://x/a.jar\"}}", "jobManagerURL"),
            ] {
                let (status, out) = try kubectl(["apply"], input: scheduledJob(name, spec))
                #expect(status != 0 && out.contains(says), "\(name): \(out)")
            }
            let good = try kubectl(["apply"], input: scheduledJob("good", "{schedule: \"@daily\", \(job)}"))
            #expect(good.0 == 0, "\(good.1)")
            // An update is checked too.
            let (patched, patchOut) = try kubectl(["patch", "scheduledjobs.sked.dev", "good", "-n", f.namespace, "--type=merge", "-p", #"{"spec":{"schedule":"* * * *"}}"#])
            #expect(patched != 0 && patchOut.contains("InvalidSchedule"), "\(patchOut)")

            // A rotated certificate is served at the next handshake, without a restart.
            try makeCertificates(dir, serial: 1002)
            #expect(await eventually(timeout: .seconds(30)) { (try? servedSerial(port)) == "serial=03EA" })
            #expect(try kubectl(["apply"], input: scheduledJob("after-rotation", "{schedule: \"@hourly\", \(job)}")).0 == 0)

            // The webhook down: Fail refuses every write, Ignore admits (the reconciler still validates).
            op.signal(SIGTERM)
            _ = await op.waitForExit(timeout: .seconds(30))
            let (blocked, blockedOut) = try kubectl(["apply"], input: scheduledJob("while-down", "{schedule: \"@daily\", \(job)}"))
            #expect(blocked != 0 && blockedOut.contains("failed calling webhook"), "\(blockedOut)")
            #expect(try kubectl(["apply"], input: webhookConfiguration("Ignore")).0 == 0)
            #expect(await eventually(timeout: .seconds(30), interval: .milliseconds(500)) {
                (try? kubectl(["apply"], input: scheduledJob("while-down", "{schedule: \"@daily\", \(job)}")).0) == 0
            })
        }
    }

    func serial(ofPEM pem: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sked-crt-\(UUID().uuidString.prefix(8)).pem")
        try pem.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, out) = try TestProcess.run("/usr/bin/env", ["openssl", "x509", "-noout", "-serial", "-in", file.path])
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// --webhook-cert-secret: two replicas issue one CA and certificate between them (a
    /// Secret, written once), serve it, and set the configuration's caBundle, so the API
    /// server calls the webhook without anyone providing a certificate; a certificate near its
    /// end is replaced in the Secret and served by both without a restart, the CA kept.
    @Test func theOperatorIssuesTrustsAndRotatesItsOwnCertificate() async throws {
        let plane = try await TestControlPlane.shared()
        try await OperatorFixture.with("selfcert") { f in
            let ports = [try freeLoopbackPort(), try freeLoopbackPort()]
            let configuration = "sked-selfcert-\(f.namespace)"
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sked-selfcert-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            func apply(_ yaml: String) throws -> (Int32, String) {
                let file = dir.appendingPathComponent("in-\(UUID().uuidString.prefix(6)).yaml")
                try yaml.write(to: file, atomically: true, encoding: .utf8)
                return try plane.kubectl(["apply", "-f", file.path])
            }
            _ = try plane.kubectl(["label", "namespace", f.namespace, "sked.dev/webhook-test=\(f.namespace)"])
            // No caBundle: the operator provides it.
            #expect(try apply("""
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingWebhookConfiguration
                metadata: {name: \(configuration)}
                webhooks:
                - name: scheduledjobs.sked.dev
                  admissionReviewVersions: [v1]
                  sideEffects: None
                  failurePolicy: Fail
                  timeoutSeconds: 5
                  clientConfig: {url: "https://127.0.0.1:\(ports[0])/validate-scheduledjob"}
                  namespaceSelector: {matchLabels: {sked.dev/webhook-test: \(f.namespace)}}
                  rules: [{apiGroups: [sked.dev], apiVersions: [v1alpha1], resources: [scheduledjobs], operations: [CREATE, UPDATE]}]
                """).0 == 0)
            defer { _ = try? plane.kubectl(["delete", "validatingwebhookconfiguration", configuration]) }
            let replicas = try ports.map { port in
                try OperatorProcess(arguments: [
                    "--kubeconfig", plane.adminKubeconfig, "--namespace", f.namespace, "--leader-elect=false",
                    "--webhook-bind-address", "127.0.0.1:\(port)", "--webhook-cert-secret", "sked-webhook-cert", "--webhook-cert-hosts", "127.0.0.1",
                    "--webhook-configuration", configuration, "--webhook-cert-check-interval", "1s",
                ], environment: ["POD_NAMESPACE": f.namespace])
            }
            defer { for op in replicas { Task { await op.stop() } } }
            let secrets = f.client.api(Secret.self, namespace: f.namespace)
            let configurations = f.client.api(UnstructuredObject.self, namespace: nil, resource: WebhookConfigurationKind.descriptor)
            func caBundle() async throws -> String? {
                try await configurations.get(configuration)["webhooks"]?.arrayValue?.first?["clientConfig"]?["caBundle"]?.stringValue
            }
            func stored() async throws -> (ca: String, crt: String)? {
                guard let data = try await secrets.getIfPresent("sked-webhook-cert")?.data,
                      let ca = data["ca.crt"].flatMap({ String(data: $0, encoding: .utf8) }), let crt = data["tls.crt"].flatMap({ String(data: $0, encoding: .utf8) }) else { return nil }
                return (ca, crt)
            }
            #expect(await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                guard let s = try? await stored(), let bundle = try? await caBundle() else { return false }
                return bundle == Data(s.ca.utf8).base64EncodedString()
            }, "\(replicas[0].log)")
            let first = try #require(try await stored())
            let secret = try await secrets.get("sked-webhook-cert")
            #expect(secret.type == "kubernetes.io/tls")
            let firstSerial = try serial(ofPEM: first.crt)
            #expect(await eventually(timeout: .seconds(30)) { ports.allSatisfy { (try? servedSerial($0)) == firstSerial } }, "both replicas serve the one stored certificate")

            // The API server trusts it: a bad spec is refused by the webhook, a good one admitted.
            let job = #"jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}"#
            func scheduledJob(_ name: String, _ schedule: String) -> String {
                "apiVersion: sked.dev/v1alpha1\nkind: ScheduledJob\nmetadata: {name: \(name), namespace: \(f.namespace)}\nspec: {schedule: \"\(schedule)\", \(job)}\n"
            }
            let refused = try apply(scheduledJob("bad", "61 * * * *"))
            #expect(refused.0 != 0 && refused.1.contains("denied the request: InvalidSchedule"), "\(refused.1)")
            let admitted = try apply(scheduledJob("good", "@daily"))
            #expect(admitted.0 == 0, "\(admitted.1)")

            // A serving certificate 30 days from its end, signed by the stored CA: replaced.
            let caKey = try #require(secret.data?["ca.key"])
            try caKey.write(to: dir.appendingPathComponent("ca.key"))
            try first.ca.write(to: dir.appendingPathComponent("ca.crt"), atomically: true, encoding: .utf8)
            try "subjectAltName=IP:127.0.0.1\n".write(to: dir.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
            let p = { (name: String) in dir.appendingPathComponent(name).path }
            for args in [
                ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", p("due.key"), "-out", p("due.csr"), "-subj", "/CN=due"],
                ["x509", "-req", "-in", p("due.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-set_serial", "4242", "-days", "30", "-extfile", p("san.ext"), "-out", p("due.crt")],
            ] {
                let (status, out) = try TestProcess.run("/usr/bin/env", ["openssl"] + args)
                try #require(status == 0, "\(out)")
            }
            var due = secret
            due.data?["tls.crt"] = try Data(contentsOf: dir.appendingPathComponent("due.crt"))
            due.data?["tls.key"] = try Data(contentsOf: dir.appendingPathComponent("due.key"))
            _ = try await secrets.update(due)
            #expect(await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                guard let s = try? await stored(), let now = try? serial(ofPEM: s.crt) else { return false }
                return now != "serial=1092" && now != firstSerial
            }, "the due certificate is replaced: \(replicas[0].log)")
            let renewed = try #require(try await stored())
            #expect(renewed.ca == first.ca, "same CA")
            #expect(try await caBundle() == Data(first.ca.utf8).base64EncodedString())
            let renewedSerial = try serial(ofPEM: renewed.crt)
            #expect(await eventually(timeout: .seconds(30)) { ports.allSatisfy { (try? servedSerial($0)) == renewedSerial } }, "both replicas serve the renewed certificate without a restart")
            let again = try apply(scheduledJob("bad-again", "* * * *"))
            #expect(again.0 != 0 && again.1.contains("denied the request: InvalidSchedule"), "\(again.1)")
            // Issued once, by one replica: the other adopted it.
            let issuedLines = replicas.map { $0.log.components(separatedBy: "issued a new webhook CA").count - 1 }.reduce(0, +)
            #expect(issuedLines == 1, "\(issuedLines) CAs issued")
        }
    }

    @Test func aMissingCertificateStopsTheOperatorWithOneLine() async throws {
        let plane = try await TestControlPlane.shared()
        let (status, out) = try TestProcess.run(OperatorProcess.binary, ["operator", "--kubeconfig", plane.adminKubeconfig, "--webhook-bind-address", "127.0.0.1:0", "--webhook-cert-dir", "/nonexistent"])
        #expect(status == 2 && out.split(separator: "\n").count == 1, "\(out)")
        #expect(out.contains("cannot read /nonexistent/tls.crt and /nonexistent/tls.key as PEM"), "\(out)")
    }
}

enum WebhookConfigurationKind {
    static let descriptor = ResourceDescriptor(group: "admissionregistration.k8s.io", version: "v1", kind: "ValidatingWebhookConfiguration", plural: "validatingwebhookconfigurations", namespaced: false)
}
