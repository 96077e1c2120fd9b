import Foundation
import Synchronization
import Testing

@testable import K8sClient

/// A real plugin process (a shell script) whose every run is counted.
struct ScriptPlugin {
    let directory: URL
    var script: URL { directory.appendingPathComponent("plugin.sh") }
    var runs: Int { ((try? String(contentsOf: directory.appendingPathComponent("runs"), encoding: .utf8)) ?? "").split(separator: "\n").count }
    var lastInfo: String { (try? String(contentsOf: directory.appendingPathComponent("info"), encoding: .utf8)) ?? "" }

    /// `body` is shell that prints the answer; `$n` is this run's number (1, 2, ...).
    init(_ body: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sked-exec-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let text = """
            #!/bin/sh
            d=\(directory.path)
            echo run >> "$d/runs"
            n=$(wc -l < "$d/runs" | tr -d ' ')
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$d/info"
            \(body)
            """
        try text.write(to: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Shell printing an ExecCredential; `token` and `expires` may use shell variables.
    static func credential(_ token: String, version: String = "client.authentication.k8s.io/v1", expires: String? = nil) -> String {
        let expiry = expires.map { #",\"expirationTimestamp\":\"\#($0)\""# } ?? ""
        return #"echo "{\"apiVersion\":\"\#(version)\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"\#(token)\"\#(expiry)}}""#
    }
}

@Suite struct ExecCredentials {
    @Test func theTokenIsCachedUntilItExpiresAndOneRunServesConcurrentCallers() async throws {
        // The first credential expires in 2030, later ones in 2040.
        let plugin = try ScriptPlugin("e=2040; [ $n = 1 ] && e=2030; " + ScriptPlugin.credential("tok-$n", expires: "${e}-01-01T00:00:00Z"))
        defer { plugin.remove() }
        let clock = LockedDate(Date(timeIntervalSince1970: 1_800_000_000))  // 2027
        let exec = ExecCredentialPlugin(config: ExecConfig(command: plugin.script.path), server: "https://h:1", now: { clock.value })
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await exec.token() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(Set(tokens) == ["tok-1"])
        #expect(plugin.runs == 1)
        #expect(plugin.lastInfo == #"{"apiVersion":"client.authentication.k8s.io\/v1","kind":"ExecCredential","spec":{"interactive":false}}"#
            || plugin.lastInfo == #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#, "\(plugin.lastInfo)")
        clock.value = Date(timeIntervalSince1970: 1_900_000_000)  // past 2030-01-01
        #expect(try await exec.token() == "tok-2")
        // Refused by the API server: run again, once, even though it has not expired.
        await exec.discard("tok-1")  // an old token: nothing happens
        #expect(try await exec.token() == "tok-2")
        await exec.discard("tok-2")
        #expect(try await exec.token() == "tok-3")
        #expect(plugin.runs == 3)
    }

    @Test(arguments: [
        ("exit 3", "failed with exit code 3"),
        ("echo 'log in again: run sso-login' >&2; exit 1", "failed with exit code 1: log in again: run sso-login"),
        ("echo not-json", "did not print an ExecCredential"),
        (ScriptPlugin.credential("t", version: "client.authentication.k8s.io/v1beta1"), "answered apiVersion \"client.authentication.k8s.io/v1beta1\""),
        (#"echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"clientCertificateData":"x"}}'"#, "client certificate"),
        (ScriptPlugin.credential("t", expires: "soon"), "expirationTimestamp \"soon\""),
        ("sleep 30", "did not finish within 1 s"),
    ])
    func aPluginThatFailsSaysHowInOneLineWithoutItsOutput(body: String, message: String) async throws {
        let plugin = try ScriptPlugin("echo SECRET-OUTPUT-TOKEN-LIKE > /dev/null; " + body)
        defer { plugin.remove() }
        let exec = ExecCredentialPlugin(config: ExecConfig(command: plugin.script.path), server: "https://h:1", timeout: 1)
        await #expect { try await exec.token() } throws: { error in
            let e = error as? KubernetesError
            return e?.message.contains(message) == true && e?.message.contains("plugin.sh") == true && !"\(error)".contains("\n")
        }
    }

    @Test func aMissingCommandNamesTheInstallHint() async throws {
        var config = ExecConfig(command: "sked-no-such-plugin")
        config.installHint = "Install it with:\n  brew install it"
        let exec = ExecCredentialPlugin(config: config, server: "https://h:1")
        await #expect { try await exec.token() } throws: { error in
            (error as? KubernetesError)?.message == #"exec plugin "sked-no-such-plugin" not found in PATH: Install it with:   brew install it"#
        }
    }

    @Test func clusterInfoOnlyWhenAsked() {
        var config = ExecConfig(command: "x")
        config.provideClusterInfo = true
        #expect(ExecCredentialPlugin.execInfo(config, server: "https://h:1").contains(#""cluster":{"server":"https:"#))
        #expect(!ExecCredentialPlugin.execInfo(ExecConfig(command: "x"), server: "https://h:1").contains("cluster"))
    }
}

final class LockedDate: Sendable {
    private let storage: Mutex<Date>
    init(_ d: Date) { storage = Mutex(d) }
    var value: Date {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
