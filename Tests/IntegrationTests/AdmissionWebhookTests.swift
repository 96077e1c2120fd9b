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

    @Test func aMissingCertificateStopsTheOperatorWithOneLine() async throws {
        let plane = try await TestControlPlane.shared()
        let (status, out) = try TestProcess.run(OperatorProcess.binary, ["operator", "--kubeconfig", plane.adminKubeconfig, "--webhook-bind-address", "127.0.0.1:0", "--webhook-cert-dir", "/nonexistent"])
        #expect(status == 2 && out.split(separator: "\n").count == 1, "\(out)")
        #expect(out.contains("cannot read /nonexistent/tls.crt and /nonexistent/tls.key as PEM"), "\(out)")
    }
}
