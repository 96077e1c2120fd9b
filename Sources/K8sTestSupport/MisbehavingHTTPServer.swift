import Foundation

/// A loopback HTTP server that answers the way a broken or hostile server would: answers of
/// 300 MB (declared or not), error pages that never end, error bodies holding secrets. It
/// counts the bytes it managed to send on each path (`bytesSent`), so a test can tell how much
/// a client read before it stopped. Python's `http.server`, stopped by PID.
public final class MisbehavingHTTPServer: Sendable {
    public let baseURL: String
    private let process: ChildProcess
    private let logPath: String
    private let sentPath: String

    /// How the server answers paths other than its named ones (`/huge`, `/huge-declared`,
    /// `/endless-error`, `/leaky`), such as the JobManager paths a `FlinkRESTClient` calls.
    public enum Behaviour: String, Sendable {
        /// `{"status":"RUNNING"}`
        case sane
        /// 300 MB of JSON, without a length
        case huge
        /// A 500 whose body holds secrets
        case leaky
        /// Accepts the request and never answers (a tarpit)
        case tarpit
    }

    /// 300 MB, the size of the reply that drove the operator past its memory limit.
    public static let hugeBytes = 300 * 1024 * 1024

    private static let script = #"""
    import http.server, sys, threading, time
    HUGE = int(sys.argv[2])
    lock = threading.Lock()
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"
        def log_message(self, *a): pass
        def stream(self, status, declared):
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if declared: self.send_header("Content-Length", str(HUGE))
            self.end_headers()
            chunk, n = b"x" * 65536, 0
            # A client that stops reading without closing leaves writes blocked once the
            # socket buffers are full: after 10 s that counts as the end too, and what was
            # written by then is recorded (the buffers hold a few MiB at most).
            self.connection.settimeout(10)
            try:
                self.wfile.write(b'{"status":"')
                while n < HUGE:
                    self.wfile.write(chunk); n += len(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
                pass
            with lock:
                with open(sys.argv[3], "a") as f: f.write("%s %d\n" % (self.path.split("/")[1], n))
        def do_GET(self):
            p = self.path.split("/")[1]
            if p not in ("huge", "huge-declared", "endless-error", "leaky"): p = sys.argv[4]
            if p == "huge": return self.stream(200, False)
            if p == "huge-declared": return self.stream(200, True)
            if p == "endless-error": return self.stream(500, False)
            if p == "tarpit":
                time.sleep(3600)
                return
            if p == "leaky":
                body = b"INTERNAL-ONLY db_password=hunter2 token=TOPSECRET\n"
                self.send_response(500); self.send_header("Content-Length", str(len(body))); self.end_headers()
                return self.wfile.write(body)
            body = b'{"status":"RUNNING"}'
            self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
            self.wfile.write(body)
        def do_HEAD(self):
            # A HEAD answer has no body: /huge-declared announces the 300 MB a GET would get.
            if self.path.split("/")[1] == "huge-declared":
                self.send_response(200); self.send_header("Content-Length", str(HUGE)); self.end_headers()
                return
            return self.do_GET()
        do_POST = do_GET
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
    """#

    public init(otherPaths: Behaviour = .sane) throws {
        let port = try freeLoopbackPort()
        baseURL = "http://127.0.0.1:\(port)"
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("sked-misbehaving-\(port).log").path
        sentPath = logPath + ".sent"
        try? FileManager.default.removeItem(atPath: sentPath)
        process = try startLoopbackServer(
            "the misbehaving HTTP server", port: port,
            arguments: ["python3", "-c", Self.script, String(port), String(Self.hugeBytes), sentPath, otherPaths.rawValue], logPath: logPath, timeout: .seconds(20))
    }

    /// Bytes the server wrote on `/path` (its last answer there) before the client went away;
    /// nil while it still writes.
    public func bytesSent(_ path: String) -> Int? {
        guard let text = try? String(contentsOfFile: sentPath, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last { $0.hasPrefix(path + " ") }.flatMap { Int($0.split(separator: " ")[1]) }
    }

    public func stop() {
        process.signal(SIGTERM)
        _ = process.waitForExit()
        try? FileManager.default.removeItem(atPath: sentPath)
    }
}
