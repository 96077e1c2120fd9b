import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// FlinkRESTClient against a real Flink 2.3 session cluster and the test job
/// (Tests/Fixtures/flink): submission, idempotent job ids, terminal states, failure messages,
/// stop with savepoint and restore, cancel.
@Suite(.serialized) struct FlinkRESTClientAgainstRealFlink {
    func withClient<T: Sendable>(_ body: (FlinkRESTClient, TestFlinkCluster) async throws -> T) async throws -> T {
        let cluster = try await TestFlinkCluster.shared()
        let transport = try AsyncHTTPClientTransport(configuration: ClientConfiguration(server: cluster.url))
        do {
            let result = try await body(FlinkRESTClient(transport: transport), cluster)
            try await transport.shutdown()
            return result
        } catch {
            try? await transport.shutdown()
            throw error
        }
    }

    func waitFor(_ client: FlinkRESTClient, _ job: String, _ states: Set<FlinkJobState>) async throws -> FlinkJobState? {
        var last: FlinkJobState?
        _ = await eventually(timeout: .seconds(90), interval: .milliseconds(250)) {
            last = try? await client.state(of: job)
            return last.map(states.contains) ?? false
        }
        return last
    }

    @Test func aRunIsSubmittedOnceFinishesAndAFailureCarriesItsMessage() async throws {
        try await withClient { client, cluster in
            let jar = try await client.uploadJar(try Data(contentsOf: URL(fileURLWithPath: cluster.testJar)), fileName: "sked-testjob.jar")
            #expect(try await client.jars().contains { $0.id == jar })

            let id = FlinkJobID.derive(scheduledJobUID: UUID().uuidString, runName: "batch-1")
            let request = FlinkRESTClient.JarRunRequestBody(jobId: id, entryClass: "dev.sked.testjob.TestJob", programArgsList: ["--mode", "batch", "--seconds", "2"])
            #expect(try await client.run(jar: jar, request) == .submitted(jobID: id))
            #expect(try await client.run(jar: jar, request) == .alreadySubmitted(jobID: id))  // exactly once
            #expect(try await waitFor(client, id, [.finished, .failed, .canceled]) == .finished)

            let failing = FlinkJobID.derive(scheduledJobUID: UUID().uuidString, runName: "fail-1")
            _ = try await client.run(jar: jar, .init(jobId: failing, entryClass: "dev.sked.testjob.TestJob", programArgsList: ["--mode", "fail"]))
            #expect(try await waitFor(client, failing, [.finished, .failed, .canceled]) == .failed)
            let message = try await client.failureMessage(of: failing)
            #expect(message?.contains("sked test job: intentional failure") == true, "\(message ?? "nil")")

            await #expect {
                _ = try await client.run(jar: jar, .init(jobId: FlinkJobID.derive(scheduledJobUID: "x", runName: UUID().uuidString), entryClass: "dev.sked.Nope"))
            } throws: { ($0 as? FlinkRESTError)?.message.contains("dev.sked.Nope") == true }

            #expect(try await client.state(of: FlinkJobID.derive(scheduledJobUID: "never", runName: "submitted")) == nil)
            try await client.deleteJar(jar)
            #expect(try await !client.jars().contains { $0.id == jar })
        }
    }

    @Test func aStreamingRunStopsWithASavepointRestoresFromItAndCancels() async throws {
        try await withClient { client, cluster in
            let jar = try await client.uploadJar(try Data(contentsOf: URL(fileURLWithPath: cluster.testJar)), fileName: "sked-testjob.jar")
            let stream = FlinkJobID.derive(scheduledJobUID: UUID().uuidString, runName: "stream-1")
            _ = try await client.run(jar: jar, .init(jobId: stream, entryClass: "dev.sked.testjob.TestJob", programArgsList: ["--mode", "stream"]))
            #expect(try await waitFor(client, stream, [.running]) == .running)

            // A stop right after submission can fail while tasks are still being deployed; retry as sked will.
            var location: String?
            _ = await eventually(timeout: .seconds(60), interval: .seconds(1)) {
                guard let trigger = try? await client.stopWithSavepoint(stream, targetDirectory: cluster.savepoints) else { return false }
                for _ in 0..<60 {
                    switch try? await client.savepoint(stream, trigger: trigger) {
                    case .completed(let l)?: location = l; return true
                    case .failed?: return false
                    default: try? await Task.sleep(for: .milliseconds(250))
                    }
                }
                return false
            }
            let savepoint = try #require(location)
            #expect(savepoint.contains("savepoint-"))
            #expect(try await waitFor(client, stream, [.finished, .canceled, .failed]) == .finished)

            let resumed = FlinkJobID.derive(scheduledJobUID: UUID().uuidString, runName: "stream-2")
            _ = try await client.run(jar: jar, .init(jobId: resumed, entryClass: "dev.sked.testjob.TestJob", programArgsList: ["--mode", "stream"], savepointPath: savepoint))
            #expect(try await waitFor(client, resumed, [.running]) == .running)
            try await client.cancel(resumed)
            #expect(try await waitFor(client, resumed, [.canceled, .finished, .failed]) == .canceled)
            try await client.cancel(resumed)  // cancelling again is harmless
            try await client.deleteJar(jar)
        }
    }
}
