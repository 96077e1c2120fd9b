import Foundation
import K8sClient
@testable import K8sRuntime
import K8sTestSupport
import Testing

/// One object the decoder refuses (600 levels deep, a value of the wrong type) must not fail
/// its list page or end its watch: before, every relist stopped at it and nothing else in the
/// cluster was seen again.
@Suite struct UndecodableObjects {
    static func deep(_ levels: Int) -> String { String(repeating: #"{"a":"#, count: levels) + "1" + String(repeating: "}", count: levels) }
    static func poisoned(_ name: String, _ rv: String, levels: Int = 600) -> String {
        #"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","namespace":"n","uid":"u-\#(name)","resourceVersion":"\#(rv)","generation":3,"annotations":{"x":"y"}},"binaryData":\#(deep(levels))}"#
    }

    @Test func aWatchEventTooDeepToDecodeIsReportedByIdentityAndTheStreamGoesOn() async throws {
        let lines = [
            #"{"type":"ADDED","object":\#(Self.poisoned("deep", "7"))}"#,
            #"{"type":"ADDED","object":\#(cmJSON("fine", "8"))}"#,
            #"{"type":"MODIFIED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"typed","namespace":"n","resourceVersion":"9"},"data":{"k":12}}}"#,
            #"{"type":"DELETED","object":\#(Self.poisoned("deep", "10"))}"#,
        ]
        let stream = WatchEventStream<ConfigMap>(body: .chunks([Data((lines.joined(separator: "\n") + "\n").utf8)]))
        var seen: [String] = []
        for try await e in stream {
            switch e {
            case .added(let cm): seen.append("added \(cm.metadata.name!)")
            case .undecodable(let u, let deleted):
                seen.append("undecodable \(u.metadata.name!) \(u.metadata.uid ?? "-") rv \(u.metadata.resourceVersion ?? "-") gen \(u.metadata.generation ?? 0)\(deleted ? " deleted" : ""): \(u.problem)")
            default: seen.append("other")
            }
        }
        #expect(seen == [
            "undecodable deep u-deep rv 7 gen 3: nested 601 levels deep, more than the 512 a JSON decoder reads",
            "added fine",
            "undecodable typed - rv 9 gen 0: wrong type at data.k (expected String)",
            "undecodable deep u-deep rv 10 gen 3 deleted: nested 601 levels deep, more than the 512 a JSON decoder reads",
        ])
    }

    @Test func aListPageDecodesItemByItemAndTheWatcherReportsTheRestAfterItsRestart() async throws {
        let t = ScriptedTransport { r in
            if !r.target.contains("watch=1") {
                return .text(#"{"metadata":{"resourceVersion":"10"},"items":[\#(cmJSON("a", "5")),\#(Self.poisoned("deep", "6")),\#(cmJSON("b", "7"))]}"#)
            }
            return .stream(status: 200, chunks: [event("ADDED", "c", "11")])
        }
        var seen: [String] = []
        for try await e in fastWatcher(t) {
            seen.append(describe(e))
            if seen.count == 3 { break }
        }
        #expect(seen == ["restarted a,b", "undecodable deep@6: nested 601 levels deep, more than the 512 a JSON decoder reads", "applied c@11"])
        // The watch starts from the list's version: the bad item did not fail the list.
        #expect(t.requests.filter { $0.target.contains("watch=1") }.first?.target.contains("resourceVersion=10") == true)
    }

    @Test func anObjectWithoutANameOrAPageThatIsNotJSONStillFails() async throws {
        let nameless = #"{"metadata":{"resourceVersion":"10"},"items":[{"metadata":{"namespace":"n"},"data":\#(Self.deep(600))}]}"#
        for body in [nameless, #"{"metadata":{"resourceVersion":"10"},"items":[{"#] {
            let t = ScriptedTransport { _ in .text(body) }
            await #expect(throws: KubernetesError.self) {
                _ = try await KubernetesClient.scripted(t, retry: .none).api(ConfigMap.self, namespace: "n").list()
            }
        }
    }

    @Test func theProblemNeverQuotesAValue() {
        let secret = "TOPSECRET-PASSWORD"
        let line = #"{"type":"ADDED","object":{"metadata":{"name":"s","namespace":"n"},"data":{"k":["\#(secret)"]}}}"#
        guard case .undecodable(let u, _) = try? WatchEvent<ConfigMap>.decode(Data(line.utf8)) else { Issue.record("not undecodable"); return }
        #expect(!u.problem.contains(secret))
        #expect(!u.description.contains(secret))
    }
}
