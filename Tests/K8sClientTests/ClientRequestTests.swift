import Foundation
import K8sClient
import K8sTestSupport
import Testing

@Suite struct ClientRequests {
    @Test func getSendsTheRightPathAndTokenAndDecodes() async throws {
        let t = ScriptedTransport(answers: [.text(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a b","namespace":"n"},"data":{"x":"1"}}"#)])
        let cm = try await KubernetesClient.scripted(t).api(ConfigMap.self, namespace: "n").get("a b")
        #expect(cm.data == ["x": "1"])
        let r = try #require(t.requests.first)
        #expect(r.method == "GET")
        #expect(r.target == "/api/v1/namespaces/n/configmaps/a%20b")
        #expect(r.headers["Authorization"] == "Bearer test-token")
    }

    @Test func notFoundIsTypedAndGetIfPresentReturnsNil() async throws {
        let t = ScriptedTransport(answers: [
            .status(404, reason: "NotFound", message: #"jobs.batch \"x\" not found"#),
            .status(404, reason: "NotFound", message: "gone"),
        ])
        let api = KubernetesClient.scripted(t).api(Job.self, namespace: "n")
        await #expect { try await api.get("x") } throws: { error in
            let e = error as? KubernetesError
            return e?.isNotFound == true && e?.statusCode == 404 && e?.message.contains("not found") == true
        }
        #expect(try await api.getIfPresent("x") == nil)
        #expect(t.requests.count == 2)  // a 404 is not retried
    }

    @Test func transientErrorsAreRetriedThenSucceed() async throws {
        let t = ScriptedTransport(answers: [
            .status(503, reason: "ServiceUnavailable", message: "etcd leader changed"),
            .failure(TransportError(.connection, method: "GET", path: "/api/v1/namespaces/ns/configmaps/a", detail: "connection refused")),
            .text(#"{"metadata":{"name":"ok"}}"#),
        ])
        let cm = try await KubernetesClient.scripted(t).api(ConfigMap.self, namespace: "n").get("ok")
        #expect(cm.metadata.name == "ok")
        #expect(t.requests.count == 3)
    }

    @Test func retriesStopAtTheLimitWithTheLastError() async throws {
        let t = ScriptedTransport { _ in .status(500, reason: "InternalError", message: "boom") }
        await #expect { try await KubernetesClient.scripted(t).api(ConfigMap.self, namespace: "n").get("x") } throws: {
            ($0 as? KubernetesError)?.reason == .internalError
        }
        #expect(t.requests.count == 3)
    }

    @Test func tooManyRequestsHonoursRetryAfter() async throws {
        let t = ScriptedTransport(answers: [
            .status(429, reason: "TooManyRequests", message: "slow down", headers: ["retry-after": "1"]),
            .text(#"{"metadata":{"name":"ok"}}"#),
        ])
        let start = ContinuousClock.now
        _ = try await KubernetesClient.scripted(t).api(ConfigMap.self, namespace: "n").get("ok")
        #expect(start.duration(to: .now) >= .milliseconds(900))
        #expect(t.requests.count == 2)
    }

    @Test func conflictAndForbiddenAreNotRetriedAndKeepTheServerMessage() async throws {
        let t = ScriptedTransport(answers: [.status(403, reason: "Forbidden", message: "jobs is forbidden: User x cannot create")])
        await #expect {
            try await KubernetesClient.scripted(t).api(Job.self, namespace: "n").create(Job(metadata: ObjectMeta(name: "j")))
        } throws: { error in
            let e = error as! KubernetesError
            return e.reason == .forbidden && e.message.contains("cannot create") && !e.isTransient
        }
        #expect(t.requests.count == 1)
    }

    @Test func nonStatusErrorBodyStillGivesReasonFromTheCode() {
        let e = KubernetesError.fromResponse(statusCode: 409, body: Data("plain text".utf8))
        #expect(e.reason == .conflict)
        #expect(e.message == "plain text")
    }

    @Test(arguments: [
        (Patch.merge(["data": ["a": "1"]]), "application/merge-patch+json", ""),
        (Patch.json([.replace("/data/a", "2")]), "application/json-patch+json", ""),
        (Patch.apply(["apiVersion": "v1", "kind": "ConfigMap"], fieldManager: "sked", force: true), "application/apply-patch+yaml", "?fieldManager=sked&force=true"),
    ])
    func patchesUseTheirContentTypeAndQuery(patch: Patch, contentType: String, query: String) async throws {
        let t = ScriptedTransport(answers: [.text(#"{"metadata":{"name":"c"}}"#)])
        _ = try await KubernetesClient.scripted(t).api(ConfigMap.self, namespace: "n").patch("c", patch)
        let r = try #require(t.requests.first)
        #expect(r.method == "PATCH")
        #expect(r.headers["Content-Type"] == contentType)
        #expect(r.target == "/api/v1/namespaces/n/configmaps/c" + query)
    }

    @Test func statusSubresourceAndDeleteOptionsAreSent() async throws {
        let t = ScriptedTransport { _ in .text(#"{"metadata":{"name":"j","namespace":"n"}}"#) }
        let api = KubernetesClient.scripted(t).api(Job.self, namespace: "n")
        _ = try await api.updateStatus(Job(metadata: ObjectMeta(name: "j", namespace: "n")))
        try await api.delete("j", options: DeleteOptions(propagationPolicy: .background, preconditions: .init(uid: "u1")))
        #expect(t.requests[0].target == "/apis/batch/v1/namespaces/n/jobs/j/status")
        #expect(t.requests[0].method == "PUT")
        let body = try KubernetesJSON.decode(JSONValue.self, from: try #require(t.requests[1].body))
        #expect(body["propagationPolicy"] == "Background")
        #expect(body["preconditions"]?["uid"] == "u1")
    }

    @Test func listAllFollowsContinueTokensAndEncodesSelectors() async throws {
        let t = ScriptedTransport(answers: [
            .text(#"{"metadata":{"continue":"tok 1"},"items":[{"metadata":{"name":"a"}}]}"#),
            .text(#"{"metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"b"}}]}"#),
        ])
        let list = try await KubernetesClient.scripted(t).api(ConfigMap.self, namespace: nil).listAll(ListOptions(labelSelector: "app=x,tier in (a,b)"), pageSize: 1)
        #expect(list.items.map(\.metadata.name) == ["a", "b"])
        #expect(list.metadata.resourceVersion == "9")
        #expect(t.requests[0].target == "/api/v1/configmaps?labelSelector=app%3Dx%2Ctier%20in%20%28a%2Cb%29&limit=1")
        #expect(t.requests[1].target.hasSuffix("&limit=1&continue=tok%201"))
    }

    @Test func tokenFileIsReadForEachRequestWindowAndRotates() async throws {
        let token = LockedBox("one")
        let env = ClientConfiguration.Environment(variables: [:], homeDirectory: "/", readFile: { _ in Data(token.value.utf8) })
        var config = ClientConfiguration(server: "https://x", authentication: .bearerTokenFile("/t"))
        config.tokenRefreshInterval = .zero
        let t = ScriptedTransport { _ in .text(#"{"metadata":{"name":"c"}}"#) }
        let client = KubernetesClient(configuration: config, transport: t, environment: env)
        _ = try await client.api(ConfigMap.self, namespace: "n").get("c")
        token.value = "two"
        _ = try await client.api(ConfigMap.self, namespace: "n").get("c")
        #expect(t.requests.map { $0.headers["Authorization"] } == ["Bearer one", "Bearer two"])
    }
}

@Suite struct TokenBucketLimits {
    @Test func burstIsFreeThenRequestsAreSpacedByQPS() {
        let start = ContinuousClock.now
        let bucket = TokenBucket(qps: 10, burst: 2, now: start)
        #expect(bucket.reserve(now: start) == .zero)
        #expect(bucket.reserve(now: start) == .zero)
        #expect(bucket.reserve(now: start) == .milliseconds(100))
        #expect(bucket.reserve(now: start) == .milliseconds(200))
        // After a second of quiet the bucket refills to its burst, not beyond.
        let later = start.advanced(by: .seconds(10))
        #expect(bucket.reserve(now: later) == .zero)
        #expect(bucket.reserve(now: later) == .zero)
        #expect(bucket.reserve(now: later) > .zero)
    }
}

@Suite struct WireBodies {
    @Test func typedObjectsGetApiVersionAndKindFromTheirDescriptor() async throws {
        let t = ScriptedTransport { _ in .text(#"{"metadata":{"name":"j"}}"#) }
        _ = try await KubernetesClient.scripted(t).api(Job.self, namespace: "n").create(Job(metadata: ObjectMeta(name: "j"), spec: ["backoffLimit": 0]))
        let body = try KubernetesJSON.decode(JSONValue.self, from: try #require(t.requests.first?.body))
        #expect(body["apiVersion"] == "batch/v1")
        #expect(body["kind"] == "Job")
        #expect(body["metadata"]?["name"] == "j")
        #expect(body["spec"]?["backoffLimit"] == 0)
        #expect(body.objectValue?.keys.sorted() == ["apiVersion", "kind", "metadata", "spec"])
    }
}
