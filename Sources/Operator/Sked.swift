import ArgumentParser
import Foundation

/// The `sked` command line.
@main
struct Sked: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sked",
        abstract: "A Kubernetes operator that runs ScheduledJobs: cron or one-shot runs as Kubernetes Jobs.",
        version: SkedVersion.current,
        subcommands: [OperatorCommand.self, NextCommand.self, LintCommand.self, VersionCommand.self])

    /// Installed as `kubectl-sked`, the binary is a kubectl plugin.
    static func main() async {
        let invokedAs = (CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent }) ?? "sked"
        if invokedAs == "kubectl-sked" {
            await KubectlSked.main()
        } else {
            await Self.main(nil)
        }
    }
}

enum SkedVersion {
    static let current = BuildInfo.version
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version, git commit, build date and Swift version.")

    @Flag(help: "Print JSON for machines.")
    var json = false

    func run() { print(Self.render(json: json)) }

    static func render(json: Bool) -> String {
        if json {
            return #"{"version":"\#(BuildInfo.version)","commit":"\#(BuildInfo.commit)","buildDate":"\#(BuildInfo.buildDate)","swiftVersion":"\#(BuildInfo.swiftVersion)"}"#
        }
        return "sked \(BuildInfo.version) (commit \(BuildInfo.commit), built \(BuildInfo.buildDate), Swift \(BuildInfo.swiftVersion))"
    }
}

/// Prints one readable line to stderr and exits with status 2: the contract for bad input.
func fail(_ message: String) -> ExitCode {
    FileHandleOutput.standardError("sked: error: \(message)\n")
    return ExitCode(2)
}
