import Foundation
import K8sTestSupport
import Testing

import K8sClient
import Reconcilers
import Yams

@testable import Operator

@Suite struct NextCommandOutput {
    let from = "2024-03-29T00:00:00Z"

    @Test func localTimesCarryTheZonesOffsetAcrossDST() throws {
        let out = try NextCommand.render(schedule: "30 2 * * *", timeZone: "Europe/Berlin", from: from, count: 3, json: false, now: Date())
        // 2024-03-31 02:30 does not exist in Berlin: robfig skips that day.
        #expect(out == "2024-03-29T02:30:00+01:00\n2024-03-30T02:30:00+01:00\n2024-04-01T02:30:00+02:00")
    }

    @Test func jsonIsAnArrayOfUTCTimes() throws {
        let out = try NextCommand.render(schedule: "@every 90s", timeZone: "UTC", from: from, count: 2, json: true, now: Date())
        #expect(out == #"["2024-03-29T00:01:30Z","2024-03-29T00:03:00Z"]"#)
    }

    @Test func hNeedsTheScheduledJobItIsFor() throws {
        #expect { try NextCommand.render(schedule: "H * * * *", timeZone: "UTC", from: from, count: 1, json: false, now: Date()) } throws: {
            ($0 as? NextCommand.NextError)?.message == "the schedule uses H: name the ScheduledJob it is for with --for namespace/name"
        }
        let minute = try HashedSchedule.expand("H * * * *", key: "team-a/report").split(separator: " ")[0]
        let out = try NextCommand.render(schedule: "H * * * *", timeZone: "UTC", from: from, count: 1, json: false, now: Date(), hashKey: "team-a/report")
        #expect(out == String(format: "2024-03-29T00:%02d:00Z", Int(minute)!))
    }

    @Test func sixFieldSchedulesAndNowAsTheDefaultStart() throws {
        let now = Date(timeIntervalSince1970: 1_463_652_000.5)
        #expect(try NextCommand.render(schedule: "*/10 * * * * *", timeZone: "UTC", from: nil, count: 1, json: false, now: now) == "2016-05-19T10:00:10Z")
    }

    @Test(arguments: [
        ("0 0 30 2 *", "UTC", "(no fire time within five years)"),
    ])
    func aScheduleThatNeverFiresSaysSo(schedule: String, zone: String, expected: String) throws {
        #expect(try NextCommand.render(schedule: schedule, timeZone: zone, from: from, count: 1, json: false, now: Date()) == expected)
    }
}

/// The built `sked` binary, as a user runs it.
@Suite struct SkedBinary {
    static var binary: String { TestControlPlane.repositoryRoot + "/.build/debug/sked" }

    @Test(arguments: [
        (["next", "61 * * * *"], "minute value 61 out of range"),
        (["next", "CRON_TZ=UTC 0 * * * *"], "timeZone"),
        (["next", "@daily", "--time-zone", "Nowhere/Land"], "unknown time zone \"Nowhere/Land\""),
        (["next", "@daily", "--from", "yesterday"], "--from \"yesterday\" is not an RFC 3339 time"),
        (["operator", "--kubeconfig", "/nonexistent/kubeconfig"], "/nonexistent/kubeconfig"),
        (["operator", "--log-level", "loud"], "--log-level"),
        (["operator", "--flink-follow-redirects", "sometimes"], "--flink-follow-redirects \"sometimes\" must be same-origin, any or none"),
        (["operator", "--allowed-url-cidrs", "10.0.0.0/8,intranet"], "--allowed-url-cidrs: \"intranet\" is not a CIDR range like 10.0.0.0/8 or fd00::/8"),
        (["operator", "--denied-url-cidrs", "10.0.0.0/33"], "--denied-url-cidrs: \"10.0.0.0/33\" is not a CIDR range"),
    ])
    func badInputExitsWithTwoAndOneReadableLine(arguments: [String], mentions: String) throws {
        let (status, output) = try TestProcess.run(Self.binary, arguments, environment: ["PATH": "/usr/bin:/bin"])
        #expect(status == 2)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1, "\(output)")
        #expect(output.hasPrefix("sked: error: "))
        #expect(output.contains(mentions), "\(output)")
    }

    /// A proxy the operator could not use stops it at start, naming the variable; the proxy
    /// URL's password never reaches the output.
    @Test func anUnusableProxyStopsTheOperatorAtStart() throws {
        let (status, output) = try TestProcess.run(Self.binary, ["operator"], environment: ["PATH": "/usr/bin:/bin", "HTTPS_PROXY": "https://sked:s3cret@proxy.corp:3128"])
        #expect(status == 2)
        #expect(output == "sked: error: HTTPS_PROXY: an https:// proxy (TLS to the proxy itself) is not supported; use http://\n", "\(output)")
    }

    @Test func nextPrintsFireTimesAndVersionPrintsTheVersion() throws {
        let (status, output) = try TestProcess.run(Self.binary, ["next", "0 12 * * MON-FRI", "--time-zone", "America/New_York", "--from", "2024-11-01T00:00:00Z", "--count", "2"])
        #expect(status == 0)
        #expect(output == "2024-11-01T12:00:00-04:00\n2024-11-04T12:00:00-05:00\n")
        let (vs, vout) = try TestProcess.run(Self.binary, ["version"])
        #expect(vs == 0)
        #expect(vout.hasPrefix("sked \(BuildInfo.version) (commit "))
        #expect(vout.contains("Swift 6."))
        let (js, jout) = try TestProcess.run(Self.binary, ["version", "--json"])
        #expect(js == 0)
        let object = try JSONSerialization.jsonObject(with: Data(jout.utf8)) as? [String: String]
        #expect(object?["version"] == BuildInfo.version)
        #expect(object?.keys.sorted() == ["buildDate", "commit", "swiftVersion", "version"])
    }
}

/// `sked lint`: the reconciler's validation, offline.
@Suite struct LintCommandOutput {
    func lint(_ files: [(String, String)]) -> (checked: Int, problems: [String]) {
        LintCommand.lint(files.map { ($0.0, .success($0.1)) }, defaultTimeZone: "UTC")
    }

    static let good = """
        apiVersion: sked.dev/v1alpha1
        kind: ScheduledJob
        metadata: {name: good}
        spec:
          schedule: "*/5 * * * *"
          jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}
        """

    @Test func everyProblemIsOneLineWithTheConditionsReasonAndMessage() {
        let bad = """
            \(Self.good)
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: skipped}
            ---
            apiVersion: sked.dev/v1alpha1
            kind: ScheduledJob
            metadata: {name: minute}
            spec: {schedule: "61 * * * *", jobTemplate: {spec: {template: {}}}}
            ---
            apiVersion: sked.dev/v1alpha1
            kind: ScheduledJob
            metadata: {name: zone}
            spec: {schedule: "@daily", timeZone: Mars/Olympus, jobTemplate: {spec: {}}}
            ---
            apiVersion: sked.dev/v1alpha1
            kind: ScheduledJob
            metadata: {name: both}
            spec: {schedule: "@daily", jobTemplate: {spec: {}}, flinkJob: {jobManagerURL: "http://jm:8081", jarURL: "http://x/a.jar"}}
            ---
            apiVersion: sked.dev/v1alpha1
            kind: ScheduledJob
            metadata: {name: typed}
            spec: {schedule: "@daily", retry: {limit: lots}, jobTemplate: {spec: {}}}
            """
        let result = lint([("sj.yaml", bad)])
        #expect(result.checked == 5)
        #expect(result.problems.count == 4, "\(result.problems)")
        // The same text the Ready condition carries after an apply.
        let minute = SchedulePlanner.plan(try! KubernetesJSON.decode(ScheduledJob.self, from: Data(#"{"metadata":{"name":"minute","generation":1},"spec":{"schedule":"61 * * * *","jobTemplate":{"spec":{"template":{}}}}}"#.utf8)), runs: [], now: Date()).status.conditions?[type: "Ready"]
        #expect(result.problems[0] == "sj.yaml: ScheduledJob minute: InvalidSchedule: \(minute?.message ?? "?")")
        #expect(result.problems[1].hasPrefix("sj.yaml: ScheduledJob zone: InvalidTimeZone: ") && result.problems[1].contains("Mars/Olympus"))
        #expect(result.problems[2].hasPrefix("sj.yaml: ScheduledJob both: InvalidSpec: ") && result.problems[2].contains("both are set"))
        #expect(result.problems[3].hasPrefix("sj.yaml: ScheduledJob typed: InvalidSpec: cannot be read") && result.problems[3].contains("retry.limit"), "\(result.problems[3])")
        #expect(result.problems.allSatisfy { !$0.contains("\n") })
    }

    @Test func listsJSONAndUnreadableFiles() {
        let list = #"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"sked.dev/v1alpha1","kind":"ScheduledJob","metadata":{"name":"a"},"spec":{"schedule":"@hourly"}}]}"#
        let r = LintCommand.lint([("l.json", .success(list)), ("gone.yaml", .failure(LintCommand.LintError("cannot read the file"))), ("broken.yaml", .success("a: b\n  c: d\n"))], defaultTimeZone: "UTC")
        #expect(r.checked == 1)
        #expect(r.problems.count == 3, "\(r.problems)")
        #expect(r.problems[0].hasPrefix("l.json: ScheduledJob a: InvalidSpec: ") && r.problems[0].contains("none is set"))
        #expect(r.problems[1] == "gone.yaml: cannot read the file")
        #expect(r.problems[2].hasPrefix("broken.yaml: "))
    }

    @Test func theDefaultTimeZoneIsTheOperatorsOne() {
        let noZone = Self.good
        #expect(LintCommand.lint([("z.yaml", .success(noZone))], defaultTimeZone: "Moon/Base").problems.first?.contains("Moon/Base") == true)
    }

    @Test func theBinaryAcceptsEveryExampleAndRefusesABadFileWithExitTwo() throws {
        let root = TestControlPlane.repositoryRoot + "/examples/"
        let examples = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasSuffix(".yaml") }.map { root + $0 }
            + ["flink/hourly-streaming.yaml", "flink/nightly-batch.yaml"].map { root + $0 }
        let (ok, out) = try TestProcess.run(SkedBinary.binary, ["lint", "-f"] + examples)
        #expect(ok == 0, "\(out)")
        #expect(out.hasSuffix("ScheduledJob(s) valid\n"))
        let bad = FileManager.default.temporaryDirectory.appendingPathComponent("sked-lint-\(UUID().uuidString).yaml")
        try Self.good.replacingOccurrences(of: "*/5 * * * *", with: "*/5 * * *").write(to: bad, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: bad) }
        let (status, output) = try TestProcess.run(SkedBinary.binary, ["lint", "-f", bad.path])
        #expect(status == 2)
        #expect(output.split(separator: "\n").count == 1 && output.contains("ScheduledJob good: InvalidSchedule: spec.schedule: "), "\(output)")
    }
}

/// The krew manifest names the archive users download by its own checksum.
@Suite struct KrewManifest {
    @Test func theManifestCarriesTheArchivesSHA256AndInstallsTheBinaryAsKubectlSked() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sked-krew-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "#!/bin/sh\n".write(to: dir.appendingPathComponent("kubectl-sked"), atomically: true, encoding: .utf8)
        let archive = dir.appendingPathComponent("a.tar.gz").path
        #expect(try TestProcess.run("/usr/bin/env", ["tar", "czf", archive, "-C", dir.path, "kubectl-sked"]).0 == 0)
        let script = TestControlPlane.repositoryRoot + "/scripts/krew-manifest.sh"
        let (status, out) = try TestProcess.run("/usr/bin/env", ["bash", script, "0.1.0", "https://example.com/a.tar.gz", archive])
        #expect(status == 0, "\(out)")
        let manifest = try #require(try Yams.load(yaml: out) as? [String: Any])
        #expect(manifest["kind"] as? String == "Plugin" && manifest["apiVersion"] as? String == "krew.googlecontainertools.github.com/v1alpha2")
        let spec = try #require(manifest["spec"] as? [String: Any])
        #expect(spec["version"] as? String == "v0.1.0")
        let platform = try #require((spec["platforms"] as? [[String: Any]])?.first)
        let (_, sum) = try TestProcess.run("/usr/bin/env", ["sha256sum", archive])
        #expect(platform["sha256"] as? String == String(sum.prefix(64)))
        #expect(platform["bin"] as? String == "kubectl-sked" && platform["uri"] as? String == "https://example.com/a.tar.gz")
        // An archive without the binary at its top is refused.
        let (bad, badOut) = try TestProcess.run("/usr/bin/env", ["bash", script, "0.1.0", "u", script])
        #expect(bad == 2 && badOut.contains("does not hold kubectl-sked"), "\(badOut)")
    }
}

/// The webhook's answer to an AdmissionReview, without a server.
@Suite struct AdmissionReviewAnswers {
    func answer(_ operation: String, _ object: [String: Any]?) throws -> [String: Any] {
        var request: [String: Any] = ["uid": "u-1", "operation": operation]
        if let object { request["object"] = object }
        let review: [String: Any] = ["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request]
        let out = AdmissionReview.answer(try JSONSerialization.data(withJSONObject: review), defaultTimeZone: "UTC")
        let decoded = try JSONSerialization.jsonObject(with: out) as? [String: Any]
        #expect(decoded?["kind"] as? String == "AdmissionReview" && decoded?["apiVersion"] as? String == "admission.k8s.io/v1")
        let response = try #require(decoded?["response"] as? [String: Any])
        #expect(response["uid"] as? String == "u-1")
        return response
    }

    func sj(_ spec: [String: Any], deleting: Bool = false) -> [String: Any] {
        var meta: [String: Any] = ["name": "x", "namespace": "ns"]
        if deleting { meta["deletionTimestamp"] = "2026-01-01T00:00:00Z" }
        return ["apiVersion": "sked.dev/v1alpha1", "kind": "ScheduledJob", "metadata": meta, "spec": spec]
    }

    @Test func validIsAllowedInvalidIsRefusedWithReasonAndMessage() throws {
        let job: [String: Any] = ["spec": ["template": [:]]]
        #expect(try answer("CREATE", sj(["schedule": "@daily", "jobTemplate": job]))["allowed"] as? Bool == true)
        let refused = try answer("UPDATE", sj(["schedule": "61 * * * *", "jobTemplate": job]))
        #expect(refused["allowed"] as? Bool == false)
        let status = refused["status"] as? [String: Any]
        #expect(status?["code"] as? Int == 422)
        #expect((status?["message"] as? String)?.hasPrefix("InvalidSchedule: spec.schedule: ") == true, "\(String(describing: status))")
        let unreadable = try answer("CREATE", sj(["schedule": 5, "jobTemplate": job]))
        #expect(unreadable["allowed"] as? Bool == false && ((unreadable["status"] as? [String: Any])?["message"] as? String)?.contains("cannot read") == true)
    }

    @Test func deletesAndObjectsBeingDeletedAlwaysPass() throws {
        #expect(try answer("DELETE", nil)["allowed"] as? Bool == true)
        #expect(try answer("UPDATE", sj(["schedule": "bad"], deleting: true))["allowed"] as? Bool == true)
        #expect(try answer("CREATE", nil)["allowed"] as? Bool == false)
    }
}
