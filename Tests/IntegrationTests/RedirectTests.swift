import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// A JobManager URL that redirects to another host (127.0.0.1 -> localhost: another origin)
/// never hands that host the ScheduledJob's Secret headers: by default the redirect is refused
/// and the ScheduledJob says where it pointed; with `any` it is followed without them. Both
/// hosts record what they receive. No request to either carries an Authorization the user did
/// not configure (the operator's own credentials stay with the API server).
@Suite struct CredentialsStayWithTheirHost {
    @Test func aRedirectToAnotherHostIsRefusedOrFollowedWithoutTheSecretHeaders() async throws {
        let elsewhere = try RecordingHTTPServer()
        let redirecting = try RecordingHTTPServer(redirectTo: "http://localhost:\(elsewhere.port)")
        defer { [elsewhere, redirecting].forEach { $0.stop() } }
        let key = "redirect-s3cret-\(UUID().uuidString.prefix(6))"
        try await OperatorFixture.with("redirects") { f in
            _ = try await f.client.api(Secret.self, namespace: f.namespace).create(Secret(metadata: ObjectMeta(name: "jm-auth", labels: [FlinkTarget.headersSecretLabel: "true"]), data: ["X-Api-Key": Data(key.utf8)]))
            var job = FlinkJobSpec(jobManagerURL: redirecting.baseURL, jarURL: redirecting.baseURL + "/job.jar", entryClass: "dev.sked.Job")
            job.headersSecretRef = SecretReference(name: "jm-auth")
            _ = try await f.scheduledJobs.create(ScheduledJob(metadata: ObjectMeta(name: "redirected"), spec: ScheduledJobSpec(schedule: "*/2 * * * * *", flinkJob: job)))
            var ready: Condition?
            try await f.running(transports: .external(proxies: .none, redirects: .sameOrigin)) {
                #expect(await eventually(timeout: .seconds(60), interval: .milliseconds(300)) {
                    ready = try? await f.scheduledJobs.get("redirected").status?.conditions?[type: "Ready"]
                    return ready?.status == "False" && ready?.message.contains("redirected (HTTP 302) to another host (localhost): not followed") == true
                }, "\(String(describing: ready))")
            }
            #expect(!redirecting.requests.isEmpty && redirecting.requests.allSatisfy { $0.headers["x-api-key"] == key }, "the configured host gets the header")
            #expect(elsewhere.requests.isEmpty, "the other host got nothing: \(elsewhere.requests.map(\.path))")

            // any: followed, without the header.
            try await f.running(transports: .external(proxies: .none, redirects: .any)) {
                #expect(await eventually(timeout: .seconds(60), interval: .milliseconds(300)) { !elsewhere.requests.isEmpty })
            }
            let followed = elsewhere.requests
            #expect(!followed.isEmpty && followed.allSatisfy { $0.headers["x-api-key"] == nil }, "\(followed.map(\.headers))")
            for request in redirecting.requests + followed {
                #expect(request.headers["authorization"] == nil, "\(request.method) \(request.path) carried an Authorization")
            }
            let status = String(decoding: try KubernetesJSON.encode(try await f.scheduledJobs.get("redirected")), as: UTF8.self)
            #expect(!status.contains(key))
        }
    }
}
