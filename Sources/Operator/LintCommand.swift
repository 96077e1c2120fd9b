import ArgumentParser
import Foundation
import K8sClient
import Reconcilers
import Yams

/// `sked lint -f FILE...`: the operator's own validation of ScheduledJobs, offline, for CI
/// pipelines and pre-commit hooks: the same check and the same message the `Ready` condition
/// would carry once applied.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint", abstract: "Check ScheduledJobs in YAML or JSON files as the operator would.",
        discussion: "Exits 0 when every ScheduledJob is valid, 2 with one line per problem otherwise. Other kinds are skipped; '-' reads standard input.")

    @Option(name: [.customShort("f"), .customLong("filename")], parsing: .upToNextOption, help: "Files to check (YAML, several documents each, or JSON; a List's items too).")
    var files: [String] = []

    @Option(name: .customLong("default-time-zone"), help: "The operator's --default-time-zone, for ScheduledJobs without spec.timeZone.")
    var defaultTimeZone: String = "UTC"

    func run() throws {
        guard !files.isEmpty else { throw fail("no file given (use -f FILE)") }
        let result = Self.lint(files.map { path in (path, Result { try Self.read(path) }) }, defaultTimeZone: defaultTimeZone)
        for problem in result.problems { FileHandleOutput.standardError(problem + "\n") }
        guard result.problems.isEmpty else { throw ExitCode(2) }
        print("\(result.checked) ScheduledJob(s) valid")
    }

    static func read(_ path: String) throws -> String {
        if path == "-" { return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
        guard let data = FileManager.default.contents(atPath: path) else { throw LintError("cannot read the file") }
        return String(decoding: data, as: UTF8.self)
    }

    struct LintError: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// One line per problem, `FILE: ScheduledJob NAME: REASON: message`; pure, so it is
    /// tested without files or a process.
    static func lint(_ inputs: [(path: String, text: Result<String, any Error>)], defaultTimeZone: String) -> (checked: Int, problems: [String]) {
        var problems: [String] = []
        var checked = 0
        for (path, text) in inputs {
            let documents: [Any]
            do {
                // Parsed root by root: `load_all`'s sequence drops a syntax error silently.
                let parser = try Parser(yaml: try text.get())
                var roots: [Any] = []
                while let node = try parser.nextRoot() { roots.append(Constructor.default.any(from: node)) }
                documents = roots
            } catch {
                problems.append("\(path): \(oneLine("\(error)"))")
                continue
            }
            for object in documents.flatMap(items) where isScheduledJob(object) {
                checked += 1
                let name = ((object["metadata"] as? [String: Any])?["name"] as? String) ?? "(no name)"
                do {
                    let data = try JSONSerialization.data(withJSONObject: jsonCompatible(object))
                    let sj = try KubernetesJSON.decode(ScheduledJob.self, from: data)
                    if case .failure(let problem) = sj.spec.validated(defaultTimeZone: defaultTimeZone, hashKey: sj.hashKey) {
                        problems.append("\(path): ScheduledJob \(name): \(problem.reason): \(oneLine(problem.message))")
                    }
                } catch {
                    problems.append("\(path): ScheduledJob \(name): InvalidSpec: cannot be read as a ScheduledJob: \(oneLine(describe(error)))")
                }
            }
        }
        return (checked, problems)
    }

    private static func items(_ document: Any) -> [[String: Any]] {
        guard let object = document as? [String: Any] else { return [] }
        if let list = object["items"] as? [Any], (object["kind"] as? String)?.hasSuffix("List") == true {
            return list.compactMap { $0 as? [String: Any] }
        }
        return [object]
    }

    private static func isScheduledJob(_ object: [String: Any]) -> Bool {
        object["kind"] as? String == ScheduledJob.resource.kind && (object["apiVersion"] as? String)?.hasPrefix(ScheduledJob.resource.group + "/") == true
    }

    /// YAML has values JSON has not (dates, binary); the API server would store them as text.
    private static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let d as [String: Any]: return d.mapValues(jsonCompatible)
        case let a as [Any]: return a.map(jsonCompatible)
        case is String, is Int, is Double, is Bool, is NSNull, is NSNumber: return value
        case let date as Date: return RFC3339.format(date)
        default: return "\(value)"
        }
    }

    private static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        switch e {
        case .typeMismatch(_, let c), .valueNotFound(_, let c), .keyNotFound(_, let c), .dataCorrupted(let c):
            let path = c.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return "\(path.hasPrefix(".") ? String(path.dropFirst()) : path): \(c.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    private static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}
