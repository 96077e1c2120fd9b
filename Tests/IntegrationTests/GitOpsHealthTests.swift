import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// What Flux (kstatus) and Argo CD (the shipped `health.lua` and actions, run by Lua 5.1 as
/// gopher-lua in Argo CD does) conclude from real ScheduledJobs the operator has reconciled,
/// and what the Argo CD actions do to them.
@Suite struct GitOpsHealth {
    static let argo = TestControlPlane.repositoryRoot + "/config/argocd/sked.dev/ScheduledJob/"
    static let runner = TestControlPlane.repositoryRoot + "/scripts/argocd-lua-test.lua"

    func kubectl(_ args: [String]) async throws -> String {
        let plane = try await TestControlPlane.shared()
        let (status, out) = try plane.kubectl(args)
        guard status == 0 else { throw TestHarnessError("kubectl \(args.joined(separator: " ")): \(out)") }
        return out
    }

    /// The object as the API server serves it, read with the client: kubectl's output also
    /// carries its stderr (discovery warnings while other tests add CRDs), which is not JSON.
    func object(_ name: String, _ f: OperatorFixture) async throws -> [String: Any] {
        let raw = try await f.client.api(UnstructuredObject.self, namespace: f.namespace, resource: ScheduledJob.resource).get(name)
        return try JSONSerialization.jsonObject(with: KubernetesJSON.encode(raw)) as? [String: Any] ?? [:]
    }

    func lua(_ args: [String], _ object: [String: Any]) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sked-obj-\(UUID().uuidString).lua")
        try ("return " + LuaLiteral.of(object)).write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, out) = try TestProcess.run("/usr/bin/env", ["lua5.1", Self.runner] + args + [file.path])
        guard status == 0 else { throw TestHarnessError("lua5.1 \(args.joined(separator: " ")): \(out)") }
        return out.trimmingCharacters(in: .newlines)
    }

    func argoHealth(_ object: [String: Any]) throws -> (status: String, message: String) {
        let line = try lua([Self.argo + "health.lua"], object)
        let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
        return (String(parts.first ?? ""), parts.count > 1 ? String(parts[1]) : "")
    }

    /// Runs an Argo CD action on the live object and writes the result back, as Argo CD does.
    func act(_ action: String, on name: String, _ f: OperatorFixture) async throws {
        let changed = try lua(["action", Self.argo + "actions/\(action)/action.lua"], try await object(name, f))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sked-act-\(UUID().uuidString).json")
        try changed.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try await kubectl(["replace", "-f", file.path])
    }

    @Test func fluxAndArgoCDSeeWhatTheOperatorReports() async throws {
        let closed = try freeLoopbackPort()  // nothing listens: the JobManager is down
        try await OperatorFixture.with("gitops") { f in
            try await f.running {
                _ = try await f.create("healthy", schedule: "@hourly")
                _ = try await f.create("invalid", schedule: "61 * * * *")
                _ = try await f.create("paused", schedule: "@hourly") { $0.suspend = true }
                _ = try await f.scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: "unreachable"), spec: ScheduledJobSpec(
                    schedule: "* * * * * *",
                    flinkJob: FlinkJobSpec(jobManagerURL: "http://127.0.0.1:\(closed)", jarURL: "http://127.0.0.1:\(closed)/job.jar", entryClass: "dev.sked.Job"))))

                func settled(_ name: String, _ check: @escaping (ScheduledJobStatus) -> Bool) async -> Bool {
                    await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                        guard let sj = try? await f.scheduledJobs.get(name), let s = sj.status, s.observedGeneration == sj.metadata.generation else { return false }
                        return check(s)
                    }
                }
                #expect(await settled("healthy") { $0.conditions?[type: "Ready"]?.reason == "Scheduled" })
                #expect(await settled("invalid") { $0.conditions?[type: "Stalled"]?.status == "True" })
                #expect(await settled("paused") { $0.conditions?[type: "Ready"]?.reason == "Suspended" })
                #expect(await settled("unreachable") { $0.conditions?[type: "Reconciling"]?.status == "True" })

                let healthy = try await object("healthy", f), invalid = try await object("invalid", f)
                let paused = try await object("paused", f), unreachable = try await object("unreachable", f)
                #expect(KStatus.of(healthy).status == .current)
                #expect(KStatus.of(paused).status == .current)
                let failed = KStatus.of(invalid)
                #expect(failed.status == .failed && failed.message.contains("minute"), "\(failed)")
                #expect(KStatus.of(unreachable).status == .inProgress)

                #expect(try argoHealth(healthy).status == "Healthy")
                let degraded = try argoHealth(invalid)
                #expect(degraded.status == "Degraded" && degraded.message.contains("spec.schedule"), "\(degraded)")
                #expect(try argoHealth(paused).status == "Suspended")
                let progressing = try argoHealth(unreachable)
                #expect(progressing.status == "Progressing" && progressing.message.contains("127.0.0.1:\(closed)"), "\(progressing)")

                // Argo CD's actions, applied to the live objects: the operator acts on them.
                try await act("suspend", on: "healthy", f)
                #expect(await settled("healthy") { $0.conditions?[type: "Ready"]?.reason == "Suspended" })
                #expect(try argoHealth(try await object("healthy", f)).status == "Suspended")
                try await act("resume", on: "paused", f)
                #expect(await settled("paused") { $0.conditions?[type: "Ready"]?.reason == "Scheduled" })
                try await act("run-now", on: "paused", f)
                #expect(await eventually(timeout: .seconds(60)) { (try? await f.childJobs(of: "paused").count) == 1 })
                let discovered = try lua(["discovery", Self.argo + "actions/discovery.lua"], try await object("healthy", f))
                #expect(discovered.contains(#""resume":{"#) && discovered.contains(#""disabled":false"#), "\(discovered)")
            }

            // A change the operator has not seen yet (it is stopped) is in progress for both.
            _ = try await kubectl(["patch", "scheduledjobs.sked.dev", "invalid", "-n", f.namespace, "--type=merge", "-p", #"{"spec":{"schedule":"@daily"}}"#])
            let pending = try await object("invalid", f)
            let k = KStatus.of(pending)
            #expect(k.status == .inProgress && k.message.contains("latest observed generation is 1"), "\(k)")
            let argo = try argoHealth(pending)
            #expect(argo.status == "Progressing" && argo.message.contains("generation 2"), "\(argo)")
        }
    }
}
