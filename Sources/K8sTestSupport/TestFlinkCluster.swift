import Foundation

/// The real Flink 2.3 session cluster the Flink integration tests use.
///
/// `make test` starts it once (`scripts/flink-cluster.sh run`) and exports
/// `SKED_TEST_FLINK_URL`; a test process started without it starts its own cluster on first
/// use and stops it (by PID) when the process exits. Missing assets are fetched by the
/// script, or the test fails loudly: never skipped.
public struct TestFlinkCluster: Sendable {
    public let url: String
    public let savepoints: String
    public let testJar: String

    public static func shared() async throws -> TestFlinkCluster { try await Holder.instance.get() }

    private actor Holder {
        static let instance = Holder()
        var cached: TestFlinkCluster?

        func get() throws -> TestFlinkCluster {
            if let cached { return cached }
            let env = ProcessInfo.processInfo.environment
            var values = env
            if env["SKED_TEST_FLINK_URL"] == nil {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sked-flink-\(UUID().uuidString.prefix(8))").path
                let (status, output) = try TestProcess.run("/bin/bash", [TestControlPlane.repositoryRoot + "/scripts/flink-cluster.sh", "start", dir])
                guard status == 0 else { throw TestHarnessError("Flink cluster failed to start (exit \(status)):\n\(output)") }
                ownedFlinkDirectory = dir
                atexit {
                    if let dir = ownedFlinkDirectory {
                        _ = try? TestProcess.run("/bin/bash", [TestControlPlane.repositoryRoot + "/scripts/flink-cluster.sh", "stop", dir])
                        try? FileManager.default.removeItem(atPath: dir)
                    }
                }
                for line in output.split(separator: "\n") where line.hasPrefix("export ") {
                    let kv = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
                    if kv.count == 2 { values[String(kv[0])] = String(kv[1]) }
                }
            }
            guard let url = values["SKED_TEST_FLINK_URL"], let jar = values["SKED_TEST_FLINK_JAR"] else {
                throw TestHarnessError("the Flink cluster script exported no SKED_TEST_FLINK_URL/SKED_TEST_FLINK_JAR")
            }
            let cluster = TestFlinkCluster(url: url, savepoints: values["SKED_TEST_FLINK_SAVEPOINTS"] ?? "/tmp", testJar: jar)
            cached = cluster
            return cluster
        }
    }
}

nonisolated(unsafe) private var ownedFlinkDirectory: String?
