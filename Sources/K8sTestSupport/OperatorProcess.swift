import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A free TCP port on 127.0.0.1 (bound once, then released for the caller to use).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestHarnessError("socket() failed") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard bound == 0 else { throw TestHarnessError("bind() failed") }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// The real `sked` binary running as a child process, with its output captured to a file.
/// Stopped (SIGKILL if needed) by PID when the test is done.
public final class OperatorProcess: @unchecked Sendable {
    public let child: ChildProcess
    public let logFile: URL
    public let metricsPort: Int
    public let healthPort: Int

    public static var binary: String { TestControlPlane.repositoryRoot + "/.build/debug/sked" }

    /// The servers tests point ScheduledJobs' URLs at listen on loopback, which the operator
    /// refuses by default (its egress policy): `allowLoopbackURLs` allows 127.0.0.0/8, unless
    /// `arguments` set the policy themselves.
    public init(arguments: [String], environment: [String: String] = [:], allowLoopbackURLs: Bool = true) throws {
        metricsPort = try freeLoopbackPort()
        healthPort = try freeLoopbackPort()
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("sked-\(UUID().uuidString.prefix(8)).log")
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        child = try ChildProcess(
            executable: Self.binary,
            arguments: ["operator"] + arguments + (allowLoopbackURLs && !arguments.contains("--allowed-url-cidrs") ? ["--allowed-url-cidrs", "127.0.0.0/8"] : []) + [
                "--metrics-bind-address", "127.0.0.1:\(metricsPort)", "--health-probe-bind-address", "127.0.0.1:\(healthPort)",
            ],
            environment: env, outputPath: logFile.path)
    }

    public var pid: Int32 { child.pid }
    public var isRunning: Bool { child.poll() == nil }
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    public func signal(_ sig: Int32) { child.signal(sig) }

    /// Waits for exit; returns the exit status, or nil if still running after `timeout`.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let end = ContinuousClock.now.advanced(by: timeout)
        while child.poll() == nil && ContinuousClock.now < end { try? await Task.sleep(for: .milliseconds(50)) }
        return child.poll()
    }

    /// Ensures the process is gone.
    public func stop() async {
        guard isRunning else { return }
        signal(SIGTERM)
        if await waitForExit(timeout: .seconds(10)) == nil {
            signal(SIGKILL)
            _ = await waitForExit(timeout: .seconds(5))
        }
    }

    /// GET http://127.0.0.1:port/path with curl; (status, body).
    public func get(_ path: String, port: Int) throws -> (Int, String) {
        let (_, out) = try TestProcess.run("/usr/bin/curl", ["-s", "-m", "5", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"])
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false)
        let code = Int(lines.last ?? "") ?? 0
        return (code, lines.dropLast().joined(separator: "\n"))
    }
}
