import Foundation
import K8sClient

/// The real kube-apiserver + etcd (+ kube-controller-manager) the integration tests use.
///
/// `make test` starts it once through `scripts/control-plane.sh run` and exports
/// `SKED_TEST_KUBECONFIG`; when a test process is started without it (plain `swift test`),
/// the first test starts a control plane itself and stops it when the process exits.
/// A missing asset is built by the script, or the test fails loudly: never skipped.
public struct TestControlPlane: Sendable {
    public let adminKubeconfig: String
    public let operatorKubeconfig: String
    public let directory: String
    public let etcdURL: String

    public var admin: ClientConfiguration { get throws { try ClientConfiguration.fromKubeConfigFiles([adminKubeconfig]) } }

    /// kubectl as the cluster admin: its exit status and combined output.
    public func kubectl(_ args: [String]) throws -> (Int32, String) {
        try TestProcess.run("/usr/bin/env", ["kubectl", "--kubeconfig", adminKubeconfig] + args)
    }
    /// The operator's service-account identity, subject to RBAC.
    public var operatorIdentity: ClientConfiguration { get throws { try ClientConfiguration.fromKubeConfigFiles([operatorKubeconfig]) } }

    public static func shared() async throws -> TestControlPlane { try await Holder.instance.get() }

    /// A second control plane with a real node (kube-scheduler, kubelet, containerd; the
    /// job controller runs), where Jobs really run pods: `SKED_TEST_NODE_CONTROL_PLANE=DIR`
    /// (started with `SKED_NODE=1 scripts/control-plane.sh start DIR`) or started on first use.
    public static func withNode() async throws -> TestControlPlane { try await Holder.node.get() }

    /// The repository root, found from this file's location.
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    private actor Holder {
        static let instance = Holder(node: false)
        static let node = Holder(node: true)
        let node: Bool
        var cached: TestControlPlane?
        init(node: Bool) { self.node = node }

        func get() throws -> TestControlPlane {
            if let cached { return cached }
            let env = ProcessInfo.processInfo.environment
            let plane: TestControlPlane
            if node, let dir = env["SKED_TEST_NODE_CONTROL_PLANE"] {
                plane = TestControlPlane(adminKubeconfig: dir + "/admin.kubeconfig", operatorKubeconfig: dir + "/operator.kubeconfig", directory: dir, etcdURL: "")
            } else if !node, let kc = env["SKED_TEST_KUBECONFIG"], let op = env["SKED_TEST_OPERATOR_KUBECONFIG"], let dir = env["SKED_TEST_CONTROL_PLANE"] {
                plane = TestControlPlane(adminKubeconfig: kc, operatorKubeconfig: op, directory: dir, etcdURL: env["SKED_TEST_ETCD"] ?? "")
            } else {
                plane = try Self.startOwn(node: node)
            }
            cached = plane
            return plane
        }

        static func startOwn(node: Bool) throws -> TestControlPlane {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sked-\(node ? "node" : "cp")-\(UUID().uuidString.prefix(8))").path
            let script = TestControlPlane.repositoryRoot + "/scripts/control-plane.sh"
            var environment = ProcessInfo.processInfo.environment
            if node {
                environment["SKED_NODE"] = "1"
                environment["SKED_CONTROLLERS"] = nil
            }
            let (status, output) = try TestProcess.run("/bin/bash", [script, "start", dir], environment: environment)
            guard status == 0 else {
                throw TestHarnessError("control plane\(node ? " with a node" : "") failed to start (exit \(status)); see \(dir)/logs:\n\(output)")
            }
            let first = ownedControlPlaneDirectories.withLock { $0.append(dir); return $0.count == 1 }
            if first {
                atexit {
                    for dir in ownedControlPlaneDirectories.value {
                        _ = try? TestProcess.run("/bin/bash", [TestControlPlane.repositoryRoot + "/scripts/control-plane.sh", "stop", dir])
                        try? FileManager.default.removeItem(atPath: dir)
                    }
                }
            }
            var values: [String: String] = [:]
            for line in output.split(separator: "\n") where line.hasPrefix("export ") {
                let kv = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
                if kv.count == 2 { values[String(kv[0])] = String(kv[1]) }
            }
            guard let kc = values["SKED_TEST_KUBECONFIG"], let op = values["SKED_TEST_OPERATOR_KUBECONFIG"] else {
                throw TestHarnessError("control plane script printed no kubeconfig:\n\(output)")
            }
            return TestControlPlane(adminKubeconfig: kc, operatorKubeconfig: op, directory: dir, etcdURL: values["SKED_TEST_ETCD"] ?? "")
        }
    }
}

private let ownedControlPlaneDirectories = LockedBox<[String]>([])

public struct TestHarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a helper process to completion and captures its output.
///
/// Output goes through a temporary file, not a pipe: daemons that a script starts in the
/// background (etcd, kube-apiserver) may inherit the pipe's write end, and reading a pipe to
/// its end would then wait for them to exit.
public enum TestProcess {
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (Int32, String) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sked-proc-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: out) }
        let child = try ChildProcess(
            executable: executable, arguments: arguments, environment: environment ?? ProcessInfo.processInfo.environment, outputPath: out.path)
        let status = child.waitForExit()
        return (status, (try? String(contentsOf: out, encoding: .utf8)) ?? "")
    }
}

extension TestControlPlane {
    /// Runs `body` with an admin client and a fresh namespace that is deleted afterwards,
    /// also when the body throws.
    public func withNamespace<T: Sendable>(
        _ prefix: String = "t", _ body: (KubernetesClient, String) async throws -> T
    ) async throws -> T {
        try await KubernetesClient.withClient(configuration: try admin) { client in
            let name = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
            _ = try await client.api(Namespace.self, namespace: nil).create(Namespace(name: name))
            do {
                let result = try await body(client, name)
                _ = try? await client.api(Namespace.self, namespace: nil).deleteIfPresent(name)
                return result
            } catch {
                _ = try? await client.api(Namespace.self, namespace: nil).deleteIfPresent(name)
                throw error
            }
        }
    }
}

/// Polls `condition` until it is true or `timeout` passes; returns whether it became true.
/// The default is generous: it only matters when the condition never holds, and a loaded
/// 2-core CI machine can take many times longer than an idle one.
public func eventually(timeout: Duration = .seconds(60), interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let end = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < end {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
