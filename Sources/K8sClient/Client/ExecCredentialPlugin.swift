import Dispatch
import Foundation
import Synchronization

/// Runs a kubeconfig `exec` credential plugin as client-go does: `KUBERNETES_EXEC_INFO` in its
/// environment, no terminal, its `ExecCredential` read from standard output. The token is
/// cached until the credential's `expirationTimestamp` (forever without one) and fetched
/// again when the API server answers 401 to it; concurrent requests share one run.
actor ExecCredentialPlugin {
    struct Credential: Sendable {
        let token: String
        let expires: Date?
    }

    let config: ExecConfig
    let server: String
    let timeout: TimeInterval
    private let now: @Sendable () -> Date
    private var cached: Credential?
    private var running: Task<Credential, any Error>?

    init(config: ExecConfig, server: String, timeout: TimeInterval = 60, now: @escaping @Sendable () -> Date = Date.init) {
        self.config = config
        self.server = server
        self.timeout = timeout
        self.now = now
    }

    func token() async throws -> String {
        if let c = cached, c.expires.map({ now() < $0 }) ?? true { return c.token }
        if let running { return try await running.value.token }
        let task = Task { [config, server, timeout] in try await Self.run(config, server: server, timeout: timeout) }
        running = task
        defer { running = nil }
        let credential = try await task.value
        cached = credential
        return credential.token
    }

    /// The API server refused `token`: the next request runs the plugin again (unless another
    /// request has already replaced it).
    func discard(_ token: String) {
        if cached?.token == token { cached = nil }
    }

    // MARK: Running the plugin

    static func run(_ config: ExecConfig, server: String, timeout: TimeInterval) async throws -> Credential {
        let name = (config.command as NSString).lastPathComponent
        guard let executable = resolve(config.command) else {
            throw failure("exec plugin \"\(name)\" not found" + (config.command.contains("/") ? "" : " in PATH") + (config.installHint.map { ": \(oneLine($0))" } ?? ""))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = config.args ?? []
        var environment = ProcessInfo.processInfo.environment
        for v in config.env ?? [] { environment[v.name] = v.value }
        environment["KUBERNETES_EXEC_INFO"] = execInfo(config, server: server)
        process.environment = environment
        let stdout = Pipe(), stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        do { try process.run() } catch { throw failure("exec plugin \"\(name)\" could not be started") }

        // Both pipes are drained while the plugin runs (a chatty plugin must not block on a
        // full pipe), off the concurrency pool's threads. On timeout the answer does not wait
        // for the pipes: a child of the plugin may hold them open.
        let (out, err, status, timedOut) = await withCheckedContinuation { (c: CheckedContinuation<(Data, Data, Int32, Bool), Never>) in
            let answered = Locked(false)
            let answer = { @Sendable (result: (Data, Data, Int32, Bool)) in
                let first = answered.exchange(true) == false
                if first { c.resume(returning: result) }
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                guard process.isRunning else { return }
                process.terminate()
                answer((Data(), Data(), -1, true))
            }
            DispatchQueue.global().async {
                let errData = Locked(Data())
                let group = DispatchGroup()
                DispatchQueue.global().async(group: group) { errData.value = stderr.fileHandleForReading.readDataToEndOfFile() }
                let outData = stdout.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                answer((outData, errData.value, process.terminationStatus, false))
            }
        }
        if timedOut { throw failure("exec plugin \"\(name)\" did not finish within \(Int(timeout)) s") }
        guard status == 0 else {
            // Its standard error is meant for the user (how to log in again); never its output.
            let said = String(decoding: err, as: UTF8.self).split(whereSeparator: \.isNewline).last.map { String($0.prefix(200)) }
            throw failure("exec plugin \"\(name)\" failed with exit code \(status)" + (said.map { ": \($0)" } ?? ""))
        }
        return try credential(from: out, config: config, name: name)
    }

    static func credential(from output: Data, config: ExecConfig, name: String) throws -> Credential {
        guard let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any],
              object["kind"] as? String == "ExecCredential" else {
            throw failure("exec plugin \"\(name)\" did not print an ExecCredential")
        }
        guard object["apiVersion"] as? String == config.apiVersion else {
            throw failure("exec plugin \"\(name)\" answered apiVersion \"\(object["apiVersion"] as? String ?? "")\", not the \(config.apiVersion ?? "") it was asked for")
        }
        let status = object["status"] as? [String: Any] ?? [:]
        guard let token = status["token"] as? String, !token.isEmpty else {
            let certificate = status["clientCertificateData"] != nil
            throw failure("exec plugin \"\(name)\" gave " + (certificate ? "a client certificate, which sked does not take from plugins (only tokens)" : "no token"))
        }
        var expires: Date?
        if let text = status["expirationTimestamp"] as? String {
            guard let date = RFC3339.parse(text) else { throw failure("exec plugin \"\(name)\": expirationTimestamp \"\(text.prefix(40))\" is not an RFC 3339 time") }
            expires = date
        }
        return Credential(token: token, expires: expires)
    }

    static func execInfo(_ config: ExecConfig, server: String) -> String {
        var spec: [String: Any] = ["interactive": false]
        if config.provideClusterInfo == true { spec["cluster"] = ["server": server] }
        let info: [String: Any] = ["apiVersion": config.apiVersion ?? "", "kind": "ExecCredential", "spec": spec]
        let data = (try? JSONSerialization.data(withJSONObject: info, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    static func resolve(_ command: String) -> String? {
        let fm = FileManager.default
        if command.contains("/") { return fm.isExecutableFile(atPath: command) ? command : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(command)" }.first { fm.isExecutableFile(atPath: $0) }
    }

    static func failure(_ message: String) -> KubernetesError {
        KubernetesError(statusCode: nil, reason: .unauthorized, message: message)
    }

    static func oneLine(_ s: String) -> String { s.split(whereSeparator: \.isNewline).joined(separator: " ") }
}

/// What the plugin's reader threads and its timeout hand back.
private final class Locked<Value: Sendable>: Sendable {
    private let storage: Mutex<Value>
    init(_ value: Value) { storage = Mutex(value) }
    var value: Value {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
    func exchange(_ new: Value) -> Value { storage.withLock { old in defer { old = new }; return old } }
}
