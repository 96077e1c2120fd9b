import Foundation
import K8sTestSupport
import Testing

/// Runs the Go program built by build-oracle.sh, which answers with the real
/// robfig/cron v3. The differential test cannot be meaningful without it, so
/// a missing oracle is a failure, never a skip.
struct CronOracle {
    struct Query {
        var zone: String
        var unixSeconds: String
        var expression: String
    }

    /// One answer: `nil` means robfig rejected the expression; otherwise the
    /// Unix seconds of the activations, with `nil` where robfig returned the zero time.
    typealias Answer = [Int64?]?

    let executable: String

    /// Uses `$CRON_ORACLE` when set; otherwise builds the oracle once (the script
    /// installs Debian's robfig/cron and Go if needed) into the sked cache folder.
    init() throws {
        if let path = ProcessInfo.processInfo.environment["CRON_ORACLE"] {
            try #require(FileManager.default.isExecutableFile(atPath: path), "CRON_ORACLE=\(path) is not an executable file")
            executable = path
            return
        }
        executable = try Self.built.get()
    }

    private static let built: Result<String, any Error> = Result {
        let env = ProcessInfo.processInfo.environment
        let cache = env["SKED_CACHE_DIR"] ?? ((env["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/sked")
        let path = cache + "/cron-oracle"
        let (status, output) = try TestProcess.run("/bin/bash", [TestControlPlane.repositoryRoot + "/scripts/build-cron-oracle.sh", path])
        guard status == 0, FileManager.default.isExecutableFile(atPath: path) else {
            throw TestHarnessError("building the robfig/cron oracle failed (exit \(status)):\n\(output)")
        }
        return path
    }

    func answer(_ queries: [Query], count: Int) throws -> [Answer] {
        let input = queries.map { "\($0.zone)\t\($0.unixSeconds)\t\($0.expression)\n" }.joined()
        let inputURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("cron-oracle-\(UUID().uuidString).tsv")
        try Data(input.utf8).write(to: inputURL)
        defer { try? FileManager.default.removeItem(at: inputURL) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        var environment = ProcessInfo.processInfo.environment
        environment["ORACLE_COUNT"] = String(count)
        process.environment = environment
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "oracle exited with status \(process.terminationStatus)")

        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        try #require(lines.count >= queries.count, "oracle answered \(lines.count) lines for \(queries.count) queries")
        return try lines.prefix(queries.count).map { line -> Answer in
            if line.hasPrefix("ERR") { return nil }
            let words = line.split(separator: " ")
            try #require(words.first == "OK", "unexpected oracle line: \(line)")
            return try words.dropFirst().map { word -> Int64? in
                if word == "NONE" { return nil }
                guard let value = Int64(String(word)) else {
                    Issue.record("unexpected oracle value \(word)")
                    throw CancellationError()
                }
                return value
            }
        }
    }
}
