import Foundation

/// A loopback HTTP server that records every request it receives (method, path, headers) and
/// answers `{"status":"RUNNING"}`, or, with `redirectTo`, redirects every request (302) to
/// that base URL with the same path. Python's `http.server`, stopped by PID.
public final class RecordingHTTPServer: Sendable {
    public struct Request: Sendable, Decodable {
        public let method: String
        public let path: String
        /// Header names in lower case.
        public let headers: [String: String]
    }

    public let baseURL: String
    public let port: Int
    private let process: ChildProcess
    private let logPath: String

    private static let script = #"""
    import http.server, json, sys, threading
    lock = threading.Lock()
    redirect = sys.argv[3] if len(sys.argv) > 3 else ""
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"
        def log_message(self, *a): pass
        def answer(self):
            n = int(self.headers.get("Content-Length") or 0)
            if n: self.rfile.read(n)
            with lock:
                with open(sys.argv[2], "a") as f:
                    f.write(json.dumps({"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}}) + "\n")
            if redirect:
                self.send_response(302); self.send_header("Location", redirect + self.path); self.send_header("Content-Length", "0"); self.end_headers()
                return
            body = b'{"status":"RUNNING"}'
            self.send_response(200); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body))); self.end_headers()
            if self.command != "HEAD": self.wfile.write(body)
        do_GET = do_POST = do_HEAD = do_PATCH = answer
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
    """#

    public init(redirectTo: String? = nil) throws {
        port = try freeLoopbackPort()
        baseURL = "http://127.0.0.1:\(port)"
        logPath = FileManager.default.temporaryDirectory.appendingPathComponent("sked-recording-\(UUID().uuidString.prefix(8)).log").path
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process = try startLoopbackServer(
            "recording server", port: port,
            arguments: ["python3", "-c", Self.script, String(port), logPath] + (redirectTo.map { [$0] } ?? []), logPath: logPath + ".out")
    }

    public var requests: [Request] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n")
            .compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    public func stop() {
        process.signal(SIGTERM)
        _ = process.waitForExit()
    }
}
