import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// ScheduledJobs with `spec.flinkJob` against a real Flink 2.3 session cluster and the real
/// API server: the controller downloads the test JAR over HTTP from a loopback server,
/// uploads it, submits, tracks, stops and cleans up. Serialized: the cluster has 4 slots.
@Suite(.serialized) struct FlinkScheduledJobsAgainstRealFlink {
    static let entryClass = "dev.sked.testjob.TestJob"
    /// Poll fast so a test sees Flink's state changes within a second or two.
    static let settings = FlinkTarget.Settings(pollInterval: 0.5, savepointTimeout: .seconds(60))

    struct Env {
        let f: OperatorFixture
        let cluster: TestFlinkCluster
        let files: TestFileServer
        let jarURL: String
        let rest: FlinkRESTClient
    }

    func with(_ prefix: String, _ body: @Sendable (Env) async throws -> Void) async throws {
        let cluster = try await TestFlinkCluster.shared()
        let files = try TestFileServer()
        defer { files.stop() }
        let jarURL = try files.serve("testjob-v1.jar", try Data(contentsOf: URL(fileURLWithPath: cluster.testJar)))
        try await OperatorFixture.with(prefix) { f in
            try await body(Env(f: f, cluster: cluster, files: files, jarURL: jarURL, rest: FlinkRESTClient(transport: HTTPTransports.shared.transport(base: URL(string: cluster.url)!))))
        }
    }

    func flinkSJ(_ env: Env, _ name: String, schedule: String?, args: [String], configure: (inout ScheduledJobSpec) -> Void = { _ in }) async throws -> ScheduledJob {
        var spec = ScheduledJobSpec(schedule: schedule, flinkJob: FlinkJobSpec(
            jobManagerURL: env.cluster.url, jarURL: env.jarURL, entryClass: Self.entryClass, args: args + ["--name", "\(env.f.namespace)-\(name)"]))
        configure(&spec)
        return try await env.f.scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: name), spec: spec))
    }

    func status(_ env: Env, _ name: String) async throws -> ScheduledJobStatus? { try await env.f.scheduledJobs.get(name).status }

    func annotate(_ env: Env, _ name: String, _ key: String, _ value: String) async throws {
        _ = try await env.f.scheduledJobs.patch(name, .merge(["metadata": ["annotations": .object([key: .string(value)])]]))
    }

    /// Flink jobs whose name (`--name`) is `name`, from `/jobs/overview`.
    func flinkJobs(_ env: Env, named name: String) async throws -> [(id: String, state: String)] {
        let t = HTTPTransports.shared.transport(base: URL(string: env.cluster.url)!)
        let r = try await t.send(TransportRequest(method: "GET", target: "/jobs/overview"), timeout: .seconds(10))
        let overview = try JSONDecoder().decode([String: [[String: JSONValue]]].self, from: r.body)
        return (overview["jobs"] ?? []).filter { $0["name"]?.stringValue == name }.map { ($0["jid"]?.stringValue ?? "", $0["state"]?.stringValue ?? "") }
    }

    @Test func scheduledRunsAreSubmittedOnceTrackedToTheEndAndShareOneUploadedJar() async throws {
        try await with("flink-sched") { env in
            try await env.f.running(flink: Self.settings) {
                let sj = try await flinkSJ(env, "nightly", schedule: "*/4 * * * * *", args: ["--mode", "batch", "--seconds", "1"])
                #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(500)) {
                    (try await status(env, "nightly")?.history?.filter { $0.result == .succeeded }.count ?? 0) >= 2
                })
                let st = try #require(try await status(env, "nightly"))
                for record in st.history ?? [] where record.result == .succeeded {
                    #expect(record.kind == "FlinkJob")
                    let id = try #require(record.flinkJobID)
                    #expect(id == FlinkJobID.derive(scheduledJobUID: sj.metadata.uid!, runName: record.name))
                    #expect(try await env.rest.state(of: id) == .finished)
                    #expect(record.completionTime != nil && record.startTime != nil)
                }
                // Each run's Flink job exists exactly once.
                let named = try await flinkJobs(env, named: "\(env.f.namespace)-nightly")
                #expect(Set(named.map(\.id)).count == named.count)
                // One upload serves every run (same URL, same Last-Modified).
                let prefix = "sked-\(RunNaming.hash(sj.metadata.uid!, length: 8))-"
                #expect(try await env.rest.jars().filter { $0.name.hasPrefix(prefix) }.count == 1)
                let current = try await env.f.scheduledJobs.get("nightly")
                #expect(current.metadata.finalizers == ["sked.dev/flink-cleanup"])
                #expect(st.conditions?[type: "Ready"]?.status == "True")
                #expect(try await env.f.events(for: "nightly").contains { $0.reason == "RunSucceeded" })

                // A new JAR version at the same URL is uploaded again and the old upload deleted.
                try await Task.sleep(for: .seconds(1.1))  // Last-Modified has one-second resolution
                try env.files.serve("testjob-v1.jar", try Data(contentsOf: URL(fileURLWithPath: env.cluster.testJar)))
                let firstUpload = try #require(try await env.rest.jars().first { $0.name.hasPrefix(prefix) })
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(500)) {
                    let jars = try await env.rest.jars().filter { $0.name.hasPrefix(prefix) }
                    return jars.count == 1 && jars[0].id != firstUpload.id
                })

                // Deleting the ScheduledJob cleans up its JARs and releases the finalizer.
                try await env.f.scheduledJobs.delete("nightly")
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(300)) {
                    try await env.f.scheduledJobs.getIfPresent("nightly") == nil
                })
                #expect(try await env.rest.jars().filter { $0.name.hasPrefix(prefix) }.isEmpty)
            }
        }
    }

    @Test func failuresCarryFlinksMessageAndBadInputIsReportedClearly() async throws {
        try await with("flink-fail") { env in
            try env.files.serve("login.jar", Data("<!DOCTYPE html><html>please log in</html>".utf8))
            try await env.f.running(flink: Self.settings) {
                _ = try await flinkSJ(env, "failing", schedule: nil, args: ["--mode", "fail"])
                _ = try await flinkSJ(env, "no-class", schedule: nil, args: ["--mode", "batch", "--seconds", "1"]) { $0.flinkJob?.entryClass = "dev.sked.Nope" }
                _ = try await flinkSJ(env, "html", schedule: nil, args: []) { $0.flinkJob?.jarURL = env.files.baseURL + "/login.jar" }
                _ = try await flinkSJ(env, "missing", schedule: nil, args: []) { $0.flinkJob?.jarURL = env.files.baseURL + "/nope.jar" }
                _ = try await flinkSJ(env, "bad-url", schedule: nil, args: []) { $0.flinkJob?.jobManagerURL = "http://:8081" }  // past the CRD's pattern, no host
                // An empty authority is the CRD's to refuse, at apply time, naming the field.
                await #expect { _ = try await flinkSJ(env, "no-authority", schedule: nil, args: []) { $0.flinkJob?.jobManagerURL = "http:///no-host:8081" } } throws: {
                    ($0 as? KubernetesError)?.statusCode == 422 && "\($0)".contains("spec.flinkJob.jobManagerURL")
                }
                _ = try await flinkSJ(env, "no-savepoint", schedule: nil, args: ["--mode", "batch", "--seconds", "1"]) { $0.flinkJob?.savepointPath = "file:/tmp/sked-no-such-savepoint" }

                #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(500)) { try await status(env, "failing")?.phase == "Failed" })
                let failed = try #require(try await status(env, "failing")?.history?.first)
                #expect(failed.result == .failed)
                #expect(failed.message?.contains("sked test job: intentional failure") == true, "\(failed.message ?? "nil")")
                #expect(try await env.f.events(for: "failing").contains { $0.reason == "RunFailed" && $0.message?.contains("intentional failure") == true })

                func ready(_ name: String) async throws -> Condition? {
                    var c: Condition?
                    _ = try await eventually(timeout: .seconds(30), interval: .milliseconds(300)) {
                        c = try await status(env, name)?.conditions?[type: "Ready"]
                        return c?.status == "False"
                    }
                    return c
                }
                let noClass = try #require(try await ready("no-class"))
                #expect(noClass.reason == "RunStartFailed" && noClass.message.contains("dev.sked.Nope"), "\(noClass.message)")
                let html = try #require(try await ready("html"))
                #expect(html.reason == "RunStartFailed" && html.message.contains("is not a JAR file"), "\(html.message)")
                let missing = try #require(try await ready("missing"))
                #expect(missing.reason == "RunStartFailed" && missing.message.contains("HTTP 404"), "\(missing.message)")
                let badURL = try #require(try await ready("bad-url"))
                #expect(badURL.reason == "InvalidSpec" && badURL.message.contains("jobManagerURL"))
                #expect(try await status(env, "html")?.history?.first?.result == .failed)
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(300)) { try await status(env, "no-savepoint")?.phase == "Failed" })
                let noSavepoint = try #require(try await status(env, "no-savepoint")?.history?.first)
                #expect(noSavepoint.message?.lowercased().contains("savepoint") == true, "\(noSavepoint.message ?? "nil")")
            }
        }
    }

    @Test func forbidSkipsReplaceStopsWithASavepointAndTheNextRunRestoresFromIt() async throws {
        try await with("flink-policy") { env in
            try await env.f.running(flink: Self.settings) {
                // A schedule that never fires: runs come from sked.dev/run-now, one at a time.
                let yearly = "0 0 1 1 *"
                _ = try await flinkSJ(env, "forbid", schedule: yearly, args: ["--mode", "stream"]) { $0.concurrencyPolicy = "Forbid" }
                try await annotate(env, "forbid", "sked.dev/run-now", "1")
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(300)) { try await status(env, "forbid")?.active?.first?.flinkJobID != nil })
                let first = try #require(try await status(env, "forbid")?.active?.first)
                #expect(first.kind == "FlinkJob" && first.jobManagerURL == env.cluster.url && first.jarID != nil)
                try await annotate(env, "forbid", "sked.dev/run-now", "2")
                #expect(try await eventually(timeout: .seconds(60)) { try await env.f.events(for: "forbid").contains { $0.reason == "RunSkipped" } })
                #expect(try await status(env, "forbid")?.active?.count == 1)
                #expect(try await flinkJobs(env, named: "\(env.f.namespace)-forbid").count == 1)
                // Stop (Cancel, the default): the Flink job is cancelled and the run recorded.
                try await annotate(env, "forbid", "sked.dev/stop", "a")
                #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(300)) { try await env.rest.state(of: first.flinkJobID!) == .canceled })
                #expect(try await status(env, "forbid")?.history?.first?.result == .cancelled)

                _ = try await flinkSJ(env, "replace", schedule: yearly, args: ["--mode", "stream"]) {
                    $0.concurrencyPolicy = "Replace"
                    $0.flinkJob?.stopMode = "Savepoint"
                    $0.flinkJob?.savepointDirectory = env.cluster.savepoints
                    $0.flinkJob?.restoreFromLastSavepoint = true
                }
                try await annotate(env, "replace", "sked.dev/run-now", "1")
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(300)) {
                    guard let id = try await status(env, "replace")?.active?.first?.flinkJobID else { return false }
                    return try await env.rest.state(of: id) == .running
                })
                let old = try #require(try await status(env, "replace")?.active?.first)
                try await annotate(env, "replace", "sked.dev/run-now", "2")
                #expect(try await eventually(timeout: .seconds(90), interval: .milliseconds(500)) {
                    try await status(env, "replace")?.history?.contains { $0.name == old.name && $0.savepointPath != nil } == true
                })
                let stopped = try #require(try await status(env, "replace")?.history?.first { $0.name == old.name })
                #expect(stopped.result == .cancelled && stopped.flinkJobID == old.flinkJobID)
                let savepoint = try #require(stopped.savepointPath)
                #expect(FileManager.default.fileExists(atPath: URL(string: savepoint)!.path + "/_metadata"), "\(savepoint)")
                #expect(try await env.rest.state(of: old.flinkJobID!) == .finished)  // stop-with-savepoint ends it FINISHED

                // The replacement started from that savepoint.
                let new = try #require(try await status(env, "replace")?.active?.first)
                #expect(new.name != old.name)
                var restored: String?
                _ = try await eventually(timeout: .seconds(30), interval: .milliseconds(500)) {
                    let t = HTTPTransports.shared.transport(base: URL(string: env.cluster.url)!)
                    let r = try await t.send(TransportRequest(method: "GET", target: "/jobs/\(new.flinkJobID!)/checkpoints"), timeout: .seconds(10))
                    let json = try? JSONDecoder().decode(JSONValue.self, from: r.body)
                    restored = json?["latest"]?["restored"]?["external_path"]?.stringValue
                    return restored != nil
                }
                #expect(restored == savepoint)
                try await annotate(env, "replace", "sked.dev/stop", "end")
                #expect(try await eventually(timeout: .seconds(90), interval: .milliseconds(500)) { try await status(env, "replace")?.activeRuns == 0 })
                #expect(try await status(env, "replace")?.history?.first?.savepointPath != nil)
            }
        }
    }

    @Test func aRunSubmittedByAnOperatorThatDiedBeforeItsStatusWriteIsAdoptedNotDoubled() async throws {
        try await with("flink-adopt") { env in
            // The ScheduledJob exists, and its one-shot run's Flink job was submitted by an
            // operator that died before writing status.
            let sj = try await flinkSJ(env, "once", schedule: nil, args: ["--mode", "stream"])
            let name = "\(env.f.namespace)-once"
            let jobID = FlinkJobID.derive(scheduledJobUID: sj.metadata.uid!, runName: RunNaming.runName(scheduledJob: "once", runID: RunNaming.onceRunID, attempt: 1))
            let jar = try await env.rest.uploadJar(try Data(contentsOf: URL(fileURLWithPath: env.cluster.testJar)), fileName: "earlier.jar")
            _ = try await env.rest.run(jar: jar, .init(jobId: jobID, entryClass: Self.entryClass, programArgsList: ["--mode", "stream", "--name", name]))
            try await env.f.running(flink: Self.settings) {
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(300)) { try await status(env, "once")?.active?.first?.flinkJobID == jobID })
                try await Task.sleep(for: .seconds(2))
                #expect(try await flinkJobs(env, named: name).count == 1)
                #expect(try await env.f.events(for: "once").contains { $0.reason == "RunStarted" } == false, "adopted, not started again")
                try await annotate(env, "once", "sked.dev/stop", "1")
                #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(300)) { try await env.rest.state(of: jobID) == .canceled })
            }
            try await env.rest.deleteJar(jar)
        }
    }

    @Test func aJobManagerThatGoesAwayIsReportedAndTrackingResumesWhenItIsBack() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sked-flink-outage-\(UUID().uuidString.prefix(8))").path
        let script = TestControlPlane.repositoryRoot + "/scripts/flink-cluster.sh"
        @Sendable func cluster(_ verb: String) throws -> String {
            let (status, out) = try TestProcess.run("/bin/bash", [script, verb, dir])
            guard status == 0 else { throw TestHarnessError("flink-cluster.sh \(verb) failed: \(out)") }
            return out
        }
        let out = try cluster("start")
        defer {
            _ = try? cluster("stop")
            try? FileManager.default.removeItem(atPath: dir)
        }
        let url = try #require(out.split(separator: "\n").first { $0.hasPrefix("export SKED_TEST_FLINK_URL=") }.map { String($0.split(separator: "=", maxSplits: 1)[1]) })
        try await with("flink-outage") { env in
            try await env.f.running(flink: Self.settings) {
                _ = try await flinkSJ(env, "steady", schedule: "*/3 * * * * *", args: ["--mode", "batch", "--seconds", "1"]) {
                    $0.flinkJob?.jobManagerURL = url
                    $0.startingDeadlineSeconds = 2
                }
                #expect(try await eventually(timeout: .seconds(45), interval: .milliseconds(500)) {
                    try await status(env, "steady")?.history?.contains { $0.result == .succeeded } == true
                })
                _ = try cluster("stop")
                let down = Date()
                var ready: Condition?
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(500)) {
                    ready = try await status(env, "steady")?.conditions?[type: "Ready"]
                    return ready?.reason == "FlinkUnreachable"
                })
                #expect(ready?.status == "False" && ready?.message.contains(url) == true, "\(ready?.message ?? "nil")")
                #expect(try await env.f.events(for: "steady").contains { $0.reason == "FlinkUnreachable" && $0.type == "Warning" })
                try await Task.sleep(for: .seconds(6))
                _ = try cluster("start")
                #expect(try await eventually(timeout: .seconds(90), interval: .milliseconds(500)) {
                    try await status(env, "steady")?.history?.contains { $0.result == .succeeded && ($0.completionTime ?? .distantPast) > down } == true
                })
                let st = try #require(try await status(env, "steady"))
                #expect(st.conditions?[type: "Ready"]?.status == "True")
                #expect((st.missedRuns ?? 0) >= 1, "ticks during the outage, beyond startingDeadlineSeconds, count as missed")
            }
        }
    }

    @Test func deletionNeverHangsOnAJobManagerThatIsGoneForGood() async throws {
        try await with("flink-gone") { env in
            try await env.f.running(flink: Self.settings, cleanupTimeout: 3) {
                let nowhere = "http://127.0.0.1:\(try freeLoopbackPort())"
                _ = try await flinkSJ(env, "orphan", schedule: "*/2 * * * * *", args: []) { $0.flinkJob?.jobManagerURL = nowhere }
                #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(300)) {
                    try await status(env, "orphan")?.conditions?[type: "Ready"]?.reason == "FlinkUnreachable"
                })
                #expect(try await env.f.scheduledJobs.get("orphan").metadata.finalizers == ["sked.dev/flink-cleanup"])
                try await env.f.scheduledJobs.delete("orphan")
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(300)) {
                    try await env.f.scheduledJobs.getIfPresent("orphan") == nil
                })
                #expect(try await env.f.events(for: "orphan").contains { $0.reason == "CleanupAbandoned" })
            }
        }
    }
}
