import Foundation
import K8sClient
import K8sTestSupport
import Synchronization
import Testing

@testable import Reconcilers

/// A scripted JobManager (http://jm:8081) and JAR server (https://jars.example), with just
/// enough state to follow a run through upload, submission, tracking and stopping.
final class FakeFlink: Sendable {
    struct State {
        var jars: [(id: String, name: String)] = []
        var jobs: [String: String] = [:]  // job id -> Flink state
        var etag = "\"v1\""
        var jarBody = Data("PK\u{3}\u{4}rest-of-the-zip".utf8)
        var jarStatus = 200
        var jobManagerDown = false
        var savepointAnswers: [String] = []
        var runAnswer: (status: Int, body: String)?
        /// Runs submitted whose answer is then lost (a 503 instead of Flink's 200).
        var lostRunAnswers = 0
        var uploadedBodies: [Data] = []
        var headersSeen: [[String: String]] = []
    }
    let state = Mutex(State())
    let requests = LockedBox<[String]>([])

    var transports: HTTPTransports {
        HTTPTransports { origin in
            ScriptedTransport { [self] request in answer(origin, request) }
        }
    }

    func answer(_ origin: String, _ r: TransportRequest) -> ScriptedTransport.Answer {
        requests.withLock { $0.append("\(r.method) \(origin)\(r.target)") }
        return state.withLock { s in
            s.headersSeen.append(r.headers)
            if origin == "https://jars.example" {
                if r.method == "HEAD" { return .text("", status: s.jarStatus, headers: ["etag": s.etag]) }
                return s.jarStatus == 200 ? .stream(status: 200, chunks: [s.jarBody.prefix(3), s.jarBody.dropFirst(3)]) : .text("nope", status: s.jarStatus)
            }
            if s.jobManagerDown { return .failure(TransportError(.connection, method: r.method, path: r.target, detail: "connection refused")) }
            let parts = r.target.split(separator: "?")[0].split(separator: "/").map(String.init)
            switch (r.method, parts.first, parts.count) {
            case ("GET", "jars", 1):
                let files = s.jars.map { #"{"id":"\#($0.id)","name":"\#($0.name)","uploaded":1}"# }.joined(separator: ",")
                return .text(#"{"address":"x","files":[\#(files)]}"#)
            case ("POST", "jars", 2):
                let name = String(decoding: (try? r.fileBody?.data()) ?? Data(), as: UTF8.self).firstMatch(of: /filename="([^"]+)"/).map { String($0.1) } ?? "?"
                let id = "\(s.jars.count + 1)_\(name)"
                s.jars.append((id, name))
                if let body = try? r.fileBody?.data() { s.uploadedBodies.append(body) }
                return .text(#"{"filename":"/tmp/upload/\#(id)","status":"success"}"#)
            case ("DELETE", "jars", 2):
                s.jars.removeAll { $0.id == parts[1] }
                return .text("{}")
            case ("POST", "jars", 3):
                if let a = s.runAnswer { return .text(a.body, status: a.status) }
                guard s.jars.contains(where: { $0.id == parts[1] }) else {
                    return .text(#"{"errors":["Internal server error.","<Exception on server side:\nRestHandlerException: Jar file /x/\#(parts[1]) does not exist"]}"#, status: 500)
                }
                let body = (try? JSONDecoder().decode([String: JSONValue].self, from: r.body ?? Data())) ?? [:]
                let id = body["jobId"]?.stringValue ?? ""
                if s.jobs[id] != nil {
                    return .text(#"{"errors":["Caused by: org.apache.flink.runtime.client.DuplicateApplicationSubmissionException: Application has already been submitted."]}"#, status: 400)
                }
                s.jobs[id] = "RUNNING"
                if s.lostRunAnswers > 0 {
                    s.lostRunAnswers -= 1
                    return .text(#"{"errors":["Service Unavailable"]}"#, status: 503)
                }
                return .text(#"{"jobid":"\#(id)"}"#)
            case ("GET", "jobs", 3) where parts[2] == "status":
                guard let st = s.jobs[parts[1]] else {
                    return .text(#"{"errors":["Internal server error.","<Exception on server side:\norg.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (x)"]}"#, status: 500)
                }
                return .text(#"{"status":"\#(st)"}"#)
            case ("GET", "jobs", 2):
                guard let st = s.jobs[parts[1]] else { return .text(#"{"errors":["NotFoundException: Job not found"]}"#, status: 404) }
                return .text(#"{"jid":"\#(parts[1])","state":"\#(st)","start-time":1463651000000,"end-time":1463651990000}"#)
            case ("GET", "jobs", 3) where parts[2] == "exceptions":
                return .text(#"{"exceptionHistory":{"entries":[{"exceptionName":"org.apache.flink.runtime.JobException","stacktrace":"org.apache.flink.runtime.JobException: Recovery is suppressed\n\tat a\nCaused by: java.lang.RuntimeException: disk full\n\tat b"}],"truncated":false}}"#)
            case ("PATCH", "jobs", 2):
                s.jobs[parts[1]] = "CANCELED"
                return .text("{}", status: 202)
            case ("POST", "jobs", 3) where parts[2] == "stop":
                return .text(#"{"request-id":"trigger-1"}"#, status: 202)
            case ("GET", "jobs", 4) where parts[2] == "savepoints":
                let next = s.savepointAnswers.isEmpty ? #"{"status":{"id":"IN_PROGRESS"},"operation":null}"# : s.savepointAnswers.removeFirst()
                if next.contains("location") { s.jobs[parts[1]] = "FINISHED" }
                return .text(next)
            default:
                return .text(#"{"errors":["unexpected \#(r.method) \#(r.target)"]}"#, status: 404)
            }
        }
    }
}

@Suite struct FlinkTargetBehaviour {
    let flink = FakeFlink()
    var target: FlinkTarget {
        FlinkTarget(client: nil, transports: flink.transports, settings: .init(pollInterval: 10, maxJarBytes: 1024, savepointTimeout: .seconds(120)), now: { t0 })
    }

    func flinkJob(_ configure: (inout FlinkJobSpec) -> Void = { _ in }) -> ScheduledJob {
        scheduledJob {
            $0.jobTemplate = nil
            var f = FlinkJobSpec(jobManagerURL: "http://jm:8081", jarURL: "https://jars.example/job.jar?token=abc", entryClass: "dev.sked.Job", args: ["--n", "3"])
            configure(&f)
            $0.flinkJob = f
        }
    }

    func request(_ name: String) -> RunRequest { RunRequest(name: name, runID: name, scheduledTime: t0, trigger: .schedule, attempt: 1) }
    func spec(_ sj: ScheduledJob) throws -> ValidatedSpec { try sj.spec.validated().get() }

    @Test func aRunUploadsTheJarOnceSubmitsWithItsDerivedJobIDAndReusesTheUpload() async throws {
        let sj = flinkJob()
        let first = try await target.start(request("sj-1"), for: sj, spec: try spec(sj))
        let id1 = FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "sj-1")
        guard case .created(_, let started, let info?) = first else { Issue.record("\(first)"); return }
        #expect(started == t0)
        #expect(info.flinkJobID == id1 && info.jobManagerURL == "http://jm:8081")
        #expect(info.jarID?.hasSuffix(".jar") == true && info.jarID?.contains("sked-") == true)
        #expect(flink.state.withLock { $0.uploadedBodies.count } == 1)
        // The upload is streamed from a file and carries the JAR's bytes verbatim.
        #expect(flink.state.withLock { String(decoding: $0.uploadedBodies[0], as: UTF8.self) }.contains("PK\u{3}\u{4}rest-of-the-zip"))

        let second = try await target.start(request("sj-2"), for: sj, spec: try spec(sj))
        guard case .created(_, _, let info2?) = second else { Issue.record("\(second)"); return }
        #expect(info2.jarID == info.jarID)
        #expect(flink.state.withLock { $0.uploadedBodies.count } == 1, "same URL and ETag: the upload is reused")
        #expect(flink.requests.value.filter { $0.hasPrefix("GET https://jars.example") }.count == 1)
    }

    @Test func aChangedETagUploadsAgainAndDeletesTheOldUpload() async throws {
        let sj = flinkJob()
        _ = try await target.start(request("sj-1"), for: sj, spec: try spec(sj))
        flink.state.withLock { $0.etag = "\"v2\"" }
        _ = try await target.start(request("sj-2"), for: sj, spec: try spec(sj))
        let jars = flink.state.withLock { $0.jars }
        #expect(jars.count == 1 && jars[0].id.hasPrefix("2_"))
        #expect(flink.requests.value.contains { $0.hasPrefix("DELETE http://jm:8081/jars/1_") })
    }

    @Test func aSubmissionWhoseAnswerWasLostIsFoundBeforeTheNextPlan() async throws {
        let sj = flinkJob()
        let target = self.target  // one instance: it remembers the unanswered submissions
        flink.state.withLock { $0.lostRunAnswers = 1 }
        await #expect(throws: RunTargetUnavailable.self) { _ = try await target.start(request("sj-1"), for: sj, spec: try spec(sj)) }
        // The status does not record it, but the JobManager runs it: the planner must see it
        // (else its tick is counted missed and a Forbid run starts beside it).
        let runs = try await target.observedRuns(of: sj)
        #expect(runs.map(\.name) == ["sj-1"])
        #expect(runs.first?.flink?.flinkJobID == FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "sj-1"))
        #expect(runs.first?.state == .active)
        // A 503 that did not submit anything leaves nothing to track.
        flink.state.withLock { $0.runAnswer = (503, #"{"errors":["Service Unavailable"]}"#) }
        await #expect(throws: RunTargetUnavailable.self) { _ = try await target.start(request("sj-2"), for: sj, spec: try spec(sj)) }
        #expect(try await target.observedRuns(of: sj).map(\.name) == ["sj-1"])
        // Once the status records the run, it is tracked from there.
        var recorded = sj
        recorded.status = ScheduledJobStatus()
        recorded.status?.active = [ActiveRun(name: "sj-1", kind: "FlinkJob", uid: nil, scheduledTime: t0, startTime: t0, attempt: 1, trigger: .schedule, runID: "sj-1",
                                             flink: FlinkRunInfo(flinkJobID: FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "sj-1"), jobManagerURL: "http://jm:8081"))]
        #expect(try await target.observedRuns(of: recorded).map(\.name) == ["sj-1"])
        #expect(target.unconfirmed.unsettled(of: ObjectKey(namespace: "ns", name: "sj"), uid: "uid-sj").isEmpty)
    }

    @Test func aRepeatedStartOfTheSameRunAdoptsTheSubmittedJobWithoutFetchingTheJar() async throws {
        let sj = flinkJob()
        _ = try await target.start(request("sj-1"), for: sj, spec: try spec(sj))
        let before = flink.requests.value.count
        let again = try await target.start(request("sj-1"), for: sj, spec: try spec(sj))
        guard case .alreadyExisted(_, _, let info?) = again else { Issue.record("\(again)"); return }
        #expect(info.flinkJobID == FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "sj-1"))
        // Only the job's status and details (for its real start time): no JAR, no submission.
        let id = FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "sj-1")
        #expect(flink.requests.value.dropFirst(before).allSatisfy { $0.hasSuffix("/jobs/\(id)/status") || $0.hasSuffix("/jobs/\(id)") })
        #expect(flink.state.withLock { $0.jobs.count } == 1)
    }

    @Test func badJarsAreRejectedWithAClearMessageAndOutagesAreRetried() async throws {
        let sj = flinkJob()
        flink.state.withLock { $0.jarBody = Data("<!DOCTYPE html><html>login</html>".utf8) }
        await #expect { _ = try await target.start(request("a"), for: sj, spec: try spec(sj)) } throws: {
            ($0 as? RunStartRejected)?.message.contains("is not a JAR file") == true && ($0 as? RunStartRejected)?.message.contains("token=abc") == false
        }
        flink.state.withLock { $0.jarBody = Data(repeating: 0x50, count: 2048) }
        await #expect { _ = try await target.start(request("b"), for: sj, spec: try spec(sj)) } throws: {
            ($0 as? RunStartRejected)?.message.contains("limit of 1024") == true
        }
        flink.state.withLock { $0.jarStatus = 404 }
        await #expect { _ = try await target.start(request("c"), for: sj, spec: try spec(sj)) } throws: {
            ($0 as? RunStartRejected)?.message.contains("HTTP 404") == true
        }
        flink.state.withLock { $0.jarStatus = 503 }
        await #expect { _ = try await target.start(request("d"), for: sj, spec: try spec(sj)) } throws: {
            ($0 as? RunTargetUnavailable)?.reason == "JarUnavailable"
        }
        flink.state.withLock { $0.jarStatus = 200; $0.jarBody = Data("PK\u{3}\u{4}".utf8); $0.jobManagerDown = true }
        await #expect { _ = try await target.start(request("e"), for: sj, spec: try spec(sj)) } throws: {
            ($0 as? RunTargetUnavailable)?.reason == "FlinkUnreachable" && ($0 as? RunTargetUnavailable)?.message.contains("http://jm:8081") == true
        }
        #expect(flink.state.withLock { $0.jobs.isEmpty })
    }

    @Test func flinksRefusalIsSurfacedUnlessItCreatedTheJobAnyway() async throws {
        let sj = flinkJob()
        flink.state.withLock { $0.runAnswer = (500, #"{"errors":["Internal server error.","<Exception on server side:\norg.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'dev.sked.Nope' was not found in the jar file."]}"#) }
        await #expect { _ = try await target.start(request("sj-1"), for: sj, spec: try spec(sj)) } throws: {
            ($0 as? RunStartRejected)?.message.contains("entry point class 'dev.sked.Nope' was not found") == true
        }
        // A savepoint that does not exist: 400, but Flink created a FAILED job: the run exists.
        let id = FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "sj-2")
        flink.state.withLock { $0.runAnswer = (400, #"{"errors":["Caused by: java.io.FileNotFoundException: Cannot find checkpoint or savepoint"]}"#) }
        let counting = FlinkTarget(client: nil, transports: HTTPTransports { origin in
            ScriptedTransport { [flink] r in
                // The job appears only after /run was called.
                if r.target.hasSuffix("/run") { flink.state.withLock { $0.jobs[id] = "FAILED" } }
                return flink.answer(origin, r)
            }
        }, now: { t0 })
        let outcome = try await counting.start(request("sj-2"), for: sj, spec: try spec(sj))
        guard case .created(_, _, let info?) = outcome else { Issue.record("\(outcome)"); return }
        #expect(info.flinkJobID == id)
    }

    func tracked(_ sj: ScheduledJob, _ names: [String]) -> ScheduledJob {
        var s = sj
        var st = ScheduledJobStatus()
        st.active = names.map {
            ActiveRun(name: $0, kind: "FlinkJob", uid: nil, scheduledTime: t0, startTime: t0, attempt: 1, trigger: .schedule, runID: $0,
                      flink: FlinkRunInfo(flinkJobID: FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: $0), jarID: "1_x.jar", jobManagerURL: "http://jm:8081"))
        }
        s.status = st
        return s
    }

    @Test func activeRunsAreTrackedThroughFlinksStates() async throws {
        let sj = tracked(flinkJob(), ["run-a", "run-b", "run-c", "run-d", "run-e"])
        flink.state.withLock {
            $0.jobs[FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "run-a")] = "RUNNING"
            $0.jobs[FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "run-b")] = "FINISHED"
            $0.jobs[FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "run-c")] = "FAILED"
            $0.jobs[FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "run-d")] = "CANCELED"
        }
        let runs = Dictionary(uniqueKeysWithValues: try await target.observedRuns(of: sj).map { ($0.name, $0) })
        #expect(runs["run-a"]?.state == .active)
        #expect(runs["run-b"]?.state == .finished(.succeeded, at: Date(timeIntervalSince1970: 1_463_651_990), message: nil))
        guard case .finished(.failed, _, _)? = runs["run-c"]?.state else { Issue.record("run-c: \(String(describing: runs["run-c"]))"); return }
        guard case .finished(.cancelled, _, _)? = runs["run-d"]?.state else { Issue.record("run-d"); return }
        guard case .finished(.failed, _, let message?)? = runs["run-e"]?.state else { Issue.record("run-e"); return }
        #expect(message.contains("no longer knows"))
        #expect(runs["run-a"]?.kind == "FlinkJob" && runs["run-a"]?.flink?.jarID == "1_x.jar")
        let detail = await target.failureDetail(of: try #require(runs["run-c"]), for: sj)
        #expect(detail?.contains("disk full (java.lang.RuntimeException)") == true, "\(detail ?? "nil")")

        flink.state.withLock { $0.jobManagerDown = true }
        await #expect { _ = try await target.observedRuns(of: sj) } throws: { ($0 as? RunTargetUnavailable)?.reason == "FlinkUnreachable" }
    }

    @Test func freshRunsArePolledSoonerThanSettledOnes() {
        let active = tracked(flinkJob(), ["a"]).status!.active!
        #expect(target.pollInterval(for: active, now: t0.addingTimeInterval(1)) == 2)
        #expect(target.pollInterval(for: active, now: t0.addingTimeInterval(600)) == 10)
        #expect(target.pollInterval(for: [], now: t0) == nil)
    }

    @Test func stopCancelsOrTakesASavepointAndFallsBackToCancel() async throws {
        var sj = tracked(flinkJob(), ["run-a"])
        let id = FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "run-a")
        flink.state.withLock { $0.jobs[id] = "RUNNING" }
        let run = try #require(try await target.observedRuns(of: sj).first)
        #expect(try await target.stop(run, for: sj) == .stopped)
        #expect(flink.state.withLock { $0.jobs[id] } == "CANCELED")

        sj.spec.flinkJob?.stopMode = "Savepoint"
        sj.spec.flinkJob?.savepointDirectory = "/savepoints"
        flink.state.withLock {
            $0.jobs[id] = "RUNNING"
            // The first stop arrives before the tasks run (Flink refuses it); the second succeeds.
            $0.savepointAnswers = [
                #"{"status":{"id":"COMPLETED"},"operation":{"failure-cause":{"stack-trace":"CheckpointException: Checkpoint triggering task is not being executed at the moment. Failure reason: Not all required tasks are currently running."}}}"#,
                #"{"status":{"id":"IN_PROGRESS"},"operation":null}"#,
                #"{"status":{"id":"COMPLETED"},"operation":{"location":"file:/savepoints/savepoint-1"}}"#,
            ]
        }
        #expect(try await target.stop(run, for: sj) == StopOutcome(savepointPath: "file:/savepoints/savepoint-1"))
        #expect(flink.requests.value.filter { $0.contains("/stop") }.count == 2)

        flink.state.withLock {
            $0.jobs[id] = "RUNNING"
            $0.savepointAnswers = [#"{"status":{"id":"COMPLETED"},"operation":{"failure-cause":{"stack-trace":"java.io.IOException: disk quota exceeded"}}}"#]
        }
        let fallback = try await target.stop(run, for: sj)
        #expect(fallback.savepointPath == nil && fallback.note?.contains("disk quota exceeded") == true && fallback.note?.contains("cancelled instead") == true)
        #expect(flink.state.withLock { $0.jobs[id] } == "CANCELED")
    }

    @Test func theNextRunRestoresFromTheNewestSavepointWhenAsked() throws {
        var sj = flinkJob { $0.savepointPath = "file:/configured"; $0.restoreFromLastSavepoint = true }
        let spec = { (s: ScheduledJob) -> ValidatedFlinkJob in
            guard case .flink(let f) = try! s.spec.validated().get().kind else { fatalError() }
            return f
        }
        #expect(FlinkTarget.restorePath(spec(sj), sj) == "file:/configured")
        var st = ScheduledJobStatus()
        st.history = [
            RunRecord(name: "old", kind: "FlinkJob", scheduledTime: at(-20), startTime: nil, completionTime: at(-10), result: .cancelled, message: nil, attempt: 1, trigger: .schedule, savepointPath: "file:/sp-old"),
            RunRecord(name: "new", kind: "FlinkJob", scheduledTime: at(-10), startTime: nil, completionTime: at(-5), result: .cancelled, message: nil, attempt: 1, trigger: .schedule, savepointPath: "file:/sp-new"),
            RunRecord(name: "none", kind: "FlinkJob", scheduledTime: at(-5), startTime: nil, completionTime: at(-1), result: .succeeded, message: nil, attempt: 1, trigger: .schedule),
        ]
        sj.status = st
        #expect(FlinkTarget.restorePath(spec(sj), sj) == "file:/sp-new")
        sj.spec.flinkJob?.restoreFromLastSavepoint = false
        #expect(FlinkTarget.restorePath(spec(sj), sj) == "file:/configured")
    }

    @Test func headersFromTheSecretGoToEveryCallAndNeverIntoErrors() async throws {
        let secret = #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"flink-auth","namespace":"ns","labels":{"sked.dev/flink-headers":"true"}},"data":{"Authorization":"\#(Data("Bearer s3cret-token".utf8).base64EncodedString())"}}"#
        let k8s = ScriptedTransport { _ in .text(secret) }
        let target = FlinkTarget(client: .scripted(k8s), transports: flink.transports, now: { t0 })
        let sj = flinkJob { $0.headersSecretRef = SecretReference(name: "flink-auth") }
        _ = try await target.start(request("sj-1"), for: sj, spec: try spec(sj))
        let seen = flink.state.withLock { $0.headersSeen }
        #expect(!seen.isEmpty && seen.allSatisfy { $0["Authorization"] == "Bearer s3cret-token" })
        #expect(k8s.requests.first?.target == "/api/v1/namespaces/ns/secrets/flink-auth")

        flink.state.withLock { $0.jobManagerDown = true }
        await #expect { _ = try await target.start(request("sj-2"), for: sj, spec: try spec(sj)) } throws: { !"\($0)".contains("s3cret") }

        // Its owner did not let ScheduledJobs send it: nothing is sent anywhere.
        let unlabelled = secret.replacingOccurrences(of: #","labels":{"sked.dev/flink-headers":"true"}"#, with: "")
        flink.state.withLock { $0.jobManagerDown = false; $0.headersSeen = [] }
        let refusing = FlinkTarget(client: .scripted(ScriptedTransport { _ in .text(unlabelled) }), transports: flink.transports, now: { t0 })
        await #expect { _ = try await refusing.start(request("sj-4"), for: sj, spec: try spec(sj)) } throws: {
            ($0 as? RunStartRejected)?.message == "spec.flinkJob.headersSecretRef: Secret flink-auth is not labelled sked.dev/flink-headers=true, which its owner sets to let ScheduledJobs send it as HTTP headers"
        }
        #expect(flink.state.withLock { $0.headersSeen }.isEmpty)
        let optedOut = FlinkTarget(client: .scripted(ScriptedTransport { _ in .text(unlabelled) }), transports: flink.transports, settings: .init(requireHeadersSecretLabel: false), now: { t0 })
        _ = try await optedOut.start(request("sj-5"), for: sj, spec: try spec(sj))
        #expect(flink.state.withLock { $0.headersSeen }.contains { $0["Authorization"] == "Bearer s3cret-token" })

        let missing = FlinkTarget(client: .scripted(ScriptedTransport { _ in .status(404, reason: "NotFound", message: "secrets \"flink-auth\" not found") }), transports: flink.transports)
        await #expect { _ = try await missing.start(request("sj-3"), for: sj, spec: try spec(sj)) } throws: {
            ($0 as? RunStartRejected)?.message == "spec.flinkJob.headersSecretRef: Secret flink-auth not found in namespace ns"
        }
    }

    @Test func aSecretHeaderThatHTTPCannotCarryIsRefusedByKeyNeverShowingItsValue() async throws {
        func secret(_ data: [String: String]) -> String {
            let encoded = data.map { #""\#($0.key)":"\#(Data($0.value.utf8).base64EncodedString())""# }.joined(separator: ",")
            return #"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"flink-auth","namespace":"ns","labels":{"sked.dev/flink-headers":"true"}},"data":{\#(encoded)}}"#
        }
        let sj = flinkJob { $0.headersSecretRef = SecretReference(name: "flink-auth") }
        for (data, problem) in [
            (["Authorization": "TOPSECRET-PASSWORD\u{01}rest"], #"the value of key "Authorization" of Secret flink-auth is not a valid HTTP header value"#),
            (["X-Token": "TOPSECRET-PASSWORD\r\nX-Injected: 1"], #"the value of key "X-Token" of Secret flink-auth is not a valid HTTP header value"#),
            (["Bad Name": "TOPSECRET-PASSWORD"], #"key "Bad Name" of Secret flink-auth is not a valid HTTP header name"#),
        ] {
            let answer = secret(data)
            let k8s = ScriptedTransport { _ in .text(answer) }
            let target = FlinkTarget(client: .scripted(k8s), transports: flink.transports, now: { t0 })
            await #expect { _ = try await target.start(request("sj-1"), for: sj, spec: try spec(sj)) } throws: {
                let text = "\($0)"
                return ($0 as? RunStartRejected)?.message.contains(problem) == true && !text.contains("TOPSECRET")
            }
        }
        // Tabs, spaces and non-ASCII text are fine in a value; a trailing newline (echo > file) is dropped.
        #expect(FlinkTarget.isHeaderValue("Bearer a\tb c-é"))
        #expect(FlinkTarget.isHeaderName("X-Api_Key.1"))
        #expect(!FlinkTarget.isHeaderName(""))
    }

    @Test func deletionStopsActiveJobsAndRemovesThisScheduledJobsJars() async throws {
        let sj0 = flinkJob()
        _ = try await target.start(request("run-a"), for: sj0, spec: try spec(sj0))
        flink.state.withLock { $0.jars.append((id: "9_other.jar", name: "other.jar")) }
        let sj = tracked(sj0, ["run-a"])
        #expect(target.finalizer(for: sj) == "sked.dev/flink-cleanup")
        try await target.finalize(sj)
        #expect(flink.state.withLock { $0.jobs[FlinkJobID.derive(scheduledJobUID: "uid-sj", runName: "run-a")] } == "CANCELED")
        #expect(flink.state.withLock { $0.jars.map(\.id) } == ["9_other.jar"])
        flink.state.withLock { $0.jobManagerDown = true }
        await #expect { try await target.finalize(sj) } throws: { ($0 as? RunTargetUnavailable)?.reason == "FlinkUnreachable" }
    }

    @Test func theSpecIsValidated() {
        func problem(_ configure: (inout FlinkJobSpec) -> Void) -> String? {
            if case .failure(let p) = flinkJob(configure).spec.validated() { return p.message }
            return nil
        }
        #expect(problem { _ in } == nil)
        #expect(problem { $0.jobManagerURL = "flink-jobmanager:8081" } == #"spec.flinkJob.jobManagerURL: "flink-jobmanager:8081" is not an http(s) URL"#)
        #expect(problem { $0.jarURL = "s3://bucket/job.jar" } == #"spec.flinkJob.jarURL: "s3://bucket/job.jar" is not an http(s) URL"#)
        #expect(problem { $0.jarURL = nil } == "spec.flinkJob.jarURL is required")
        // User info is refused without repeating it (it is a password); "@" elsewhere is fine.
        let userInfo = "spec.flinkJob.jarURL: a URL must not carry user info (user:password@); put credentials in a Secret named by spec.flinkJob.headersSecretRef"
        #expect(problem { $0.jarURL = "https://deploy:hunter2@repo.example/job.jar" } == userInfo)
        #expect(problem { $0.jarURL = "https://:hunter2@repo.example" } == userInfo)
        #expect(problem { $0.jobManagerURL = "http://admin@jm:8081" }?.hasPrefix("spec.flinkJob.jobManagerURL: a URL must not carry user info") == true)
        #expect(problem { $0.jarURL = "https://repo.example/releases/job@2.jar?by=a@b" } == nil)
        #expect(problem { $0.stopMode = "Drain" } == #"spec.flinkJob.stopMode: "Drain" is not one of Cancel, Savepoint"#)
        #expect(problem { $0.parallelism = 0 } == "spec.flinkJob.parallelism: must be between 1 and 32768, got 0")
        #expect(problem { $0.parallelism = Int.max } == "spec.flinkJob.parallelism: must be between 1 and 32768, got \(Int.max)")
        #expect(problem { $0.entryClass = "dev.sked Job" } == #"spec.flinkJob.entryClass: "dev.sked Job" is not a Java class name"#)
    }
}
