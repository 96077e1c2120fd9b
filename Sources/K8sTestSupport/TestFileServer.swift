import Foundation

/// A loopback HTTP server for a folder (Python's `http.server`, which answers HEAD and sends
/// Last-Modified), so tests download JARs over real HTTP. Stopped by PID when the test ends.
public final class TestFileServer: Sendable {
    public let directory: URL
    public let baseURL: String
    private let process: ChildProcess

    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sked-files-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            (baseURL, process) = try Self.start(serving: directory)
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    /// A free port can be taken by another test between being found and being bound
    /// ("Address already in use", seen in a parallel run): then another port is tried.
    private static func start(serving directory: URL, attempts: Int = 3) throws -> (String, ChildProcess) {
        var attempt = 1
        while true {
            let port = try freeLoopbackPort()
            do {
                let process = try startLoopbackServer(
                    "python3 http.server", port: port,
                    arguments: ["python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory", directory.path, String(port)], logPath: directory.path + ".log")
                return ("http://127.0.0.1:\(port)", process)
            } catch where attempt < attempts {
                attempt += 1
            }
        }
    }

    /// Puts `contents` at `/name`; returns its URL.
    @discardableResult
    public func serve(_ name: String, _ contents: Data) throws -> String {
        try contents.write(to: directory.appendingPathComponent(name))
        return "\(baseURL)/\(name)"
    }

    public func stop() {
        process.signal(SIGTERM)
        _ = process.waitForExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
/// Starts a loopback server (`/usr/bin/env arguments…`, output to `logPath`) and waits until
/// `port` accepts connections; one that exits or does not listen within `timeout` is stopped
/// and reported as `what`, with its log.
func startLoopbackServer(_ what: String, port: Int, arguments: [String], logPath: String, timeout: Duration = .seconds(10)) throws -> ChildProcess {
    let process = try ChildProcess(executable: "/usr/bin/env", arguments: arguments, environment: ProcessInfo.processInfo.environment, outputPath: logPath)
    let ready = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < ready {
        if acceptsConnections(port: port) { return process }
        if process.poll() != nil { break }
        Thread.sleep(forTimeInterval: 0.05)
    }
    process.signal(SIGTERM)
    _ = process.waitForExit()
    throw TestHarnessError("\(what) did not start on port \(port) (log: \(logPath))")
}

func acceptsConnections(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
