import Foundation

/// A loopback HTTP forward proxy (scripts/testdata/forward-proxy.py) that logs every request
/// it relays; `mapping` sends names that do not resolve to loopback, so a URL on such a name
/// is reachable only through the proxy. Stopped by PID.
public final class TestForwardProxy: Sendable {
    public let url: String
    public let port: Int
    private let process: ChildProcess
    private let logPath: String

    public init(mapping: [String: String] = [:]) throws {
        port = try freeLoopbackPort()
        url = "http://127.0.0.1:\(port)"
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("sked-proxy-\(UUID().uuidString.prefix(8)).log").path
        let script = TestControlPlane.repositoryRoot + "/scripts/testdata/forward-proxy.py"
        process = try startLoopbackServer(
            "forward proxy", port: port,
            arguments: ["python3", script, String(port)] + mapping.sorted { $0.key < $1.key }.flatMap { ["--map", "\($0.key)=\($0.value)"] }, logPath: logPath)
    }

    /// What it relayed so far: one "METHOD target auth=..." line per request.
    public var requests: [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    public func stop() {
        process.signal(SIGTERM)
        _ = process.waitForExit()
    }
}
