import Foundation

/// The Flink `jobId` of a run: 32 hex characters derived from the ScheduledJob's UID and the
/// run's name, so a repeated submission of the same run (a restart between submit and status
/// write, a second leader) is refused by Flink as a duplicate instead of starting a second job.
public enum FlinkJobID {
    public static func derive(scheduledJobUID: String, runName: String) -> String {
        let identity = "\(scheduledJobUID)/\(runName)"
        // Two independent 64-bit FNV-1a hashes make the 128 bits of a Flink JobID.
        return RunNaming.hash("a:" + identity, length: 16) + RunNaming.hash("b:" + identity, length: 16)
    }
}
