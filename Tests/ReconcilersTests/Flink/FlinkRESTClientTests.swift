import Foundation
import K8sClient
import K8sTestSupport
import Testing

@testable import Reconcilers

/// Exact method, path and body of every Flink call, against a scripted JobManager.
@Suite struct FlinkRESTClientCalls {
    @Test func uploadSendsMultipartAndReturnsTheJarID() async throws {
        let t = ScriptedTransport(answers: [.text(#"{"filename":"/x/flink-web-upload/abc_job.jar","status":"success"}"#)])
        let id = try await FlinkRESTClient(transport: t, headers: ["Authorization": "Bearer s3cret"]).uploadJar(Data("PK\u{3}\u{4}".utf8), fileName: "job.jar")
        #expect(id == "abc_job.jar")
        let r = try #require(t.requests.first)
        #expect(r.method == "POST" && r.target == "/jars/upload")
        #expect(r.headers["Content-Type"]?.hasPrefix("multipart/form-data; boundary=") == true)
        #expect(r.headers["Authorization"] == "Bearer s3cret")
        let body = String(decoding: try #require(r.body), as: UTF8.self)
        #expect(body.contains(#"name="jarfile"; filename="job.jar""#))
    }

    @Test func runUsesTheGivenJobIDAndADuplicateMeansAlreadySubmitted() async throws {
        let duplicate = #"{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\nCaused by: org.apache.flink.runtime.client.DuplicateApplicationSubmissionException: Application has already been submitted."]}"#
        let t = ScriptedTransport(answers: [.text(#"{"jobid":"0123456789abcdef0123456789abcdef"}"#), .text(duplicate, status: 400)])
        let client = FlinkRESTClient(transport: t)
        let request = FlinkRESTClient.JarRunRequestBody(jobId: "0123456789abcdef0123456789abcdef", entryClass: "dev.sked.Job", programArgsList: ["--n", "3"], parallelism: 2)
        #expect(try await client.run(jar: "abc_job.jar", request) == .submitted(jobID: "0123456789abcdef0123456789abcdef"))
        #expect(try await client.run(jar: "abc_job.jar", request) == .alreadySubmitted(jobID: "0123456789abcdef0123456789abcdef"))
        #expect(t.requests[0].target == "/jars/abc_job.jar/run")
        let sent = try JSONDecoder().decode([String: JSONValue].self, from: try #require(t.requests[0].body))
        #expect(sent["jobId"] == "0123456789abcdef0123456789abcdef")
        #expect(sent["programArgsList"] == ["--n", "3"])
        #expect(sent["parallelism"] == 2)
    }

    @Test func otherRunFailuresCarryFlinksRootCause() async throws {
        let t = ScriptedTransport(answers: [.text(#"{"errors":["Internal server error.","<Exception on server side:\norg.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'dev.sked.Nope' was not found in the jar file."]}"#, status: 500)])
        await #expect {
            _ = try await FlinkRESTClient(transport: t).run(jar: "j", .init(jobId: "0123456789abcdef0123456789abcdef", entryClass: "dev.sked.Nope"))
        } throws: { error in
            let e = error as? FlinkRESTError
            return e?.message.contains("entry point class 'dev.sked.Nope' was not found") == true && e?.isTransient == false
        }
    }

    @Test func statusCancelAndStopWithSavepoint() async throws {
        let t = ScriptedTransport { r in
            switch (r.method, r.target) {
            case ("GET", "/jobs/j1/status"): return .text(#"{"status":"RUNNING"}"#)
            case ("GET", "/jobs/gone/status"): return .text(#"{"errors":["Internal server error.","<Exception on server side:\norg.apache.flink.runtime.messages.FlinkJobNotFoundException: Could not find Flink job (gone)"]}"#, status: 500)
            case ("PATCH", "/jobs/j1?mode=cancel"): return .text("{}", status: 202)
            case ("PATCH", "/jobs/done?mode=cancel"): return .text(#"{"errors":["RestHandlerException: Job cancellation failed because the job has already reached another terminal state (FINISHED)."]}"#, status: 409)
            case ("POST", "/jobs/j1/stop"): return .text(#"{"request-id":"t1"}"#, status: 202)
            case ("GET", "/jobs/j1/savepoints/t1"): return .text(#"{"status":{"id":"COMPLETED"},"operation":{"location":"file:/sp/savepoint-1"}}"#)
            default: return .text(#"{"errors":["unexpected"]}"#, status: 500)
            }
        }
        let client = FlinkRESTClient(transport: t)
        #expect(try await client.state(of: "j1") == .running)
        #expect(try await client.state(of: "gone") == nil)
        try await client.cancel("j1")
        try await client.cancel("done")  // already finished: nothing to do
        let trigger = try await client.stopWithSavepoint("j1", targetDirectory: "/sp")
        #expect(trigger == "t1")
        let stop = try #require(t.requests.first { $0.target == "/jobs/j1/stop" })
        let body = try JSONDecoder().decode([String: JSONValue].self, from: try #require(stop.body))
        #expect(body == ["drain": false, "targetDirectory": "/sp"])
        #expect(try await client.savepoint("j1", trigger: "t1") == .completed(location: "file:/sp/savepoint-1"))
    }

    @Test func anUnreachableJobManagerIsATransientError() async throws {
        let t = ScriptedTransport(answers: [.failure(TransportError(.connection, method: "GET", path: "/overview", detail: "connection refused"))])
        await #expect { _ = try await FlinkRESTClient(transport: t).overview() } throws: { error in
            let e = error as? FlinkRESTError
            return e?.kind == .unreachable && e?.statusCode == 0 && e?.message.contains("connection refused") == true && e?.isTransient == true
        }
    }
}
