import ArgumentParser

/// The `sked` command line.
@main
struct Sked: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sked",
        abstract: "A Kubernetes operator that runs ScheduledJobs: cron or one-shot runs as Kubernetes Jobs.",
        version: SkedVersion.current,
        subcommands: [OperatorCommand.self, NextCommand.self, VersionCommand.self])
}

enum SkedVersion {
    static let current = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version.")
    func run() { print("sked \(SkedVersion.current)") }
}

/// Prints one readable line to stderr and exits with status 2: the contract for bad input.
func fail(_ message: String) -> ExitCode {
    FileHandleOutput.standardError("sked: error: \(message)\n")
    return ExitCode(2)
}
