import Foundation

/// `spec.flinkJob`: a run is an Apache Flink job submitted to a session cluster through the
/// JobManager's REST API, from a JAR fetched over HTTP(S).
public struct FlinkJobSpec: Codable, Sendable, Hashable {
    public var jobManagerURL: String?
    public var jarURL: String?
    public var entryClass: String?
    public var args: [String]?
    public var parallelism: Int?
    public var savepointPath: String?
    public var allowNonRestoredState: Bool?
    /// `Cancel` or `Savepoint`; kept as text so an unknown value is reported, not a decoding failure.
    public var stopMode: String?
    public var savepointDirectory: String?
    public var restoreFromLastSavepoint: Bool?
    public var headersSecretRef: SecretReference?

    public init(
        jobManagerURL: String? = nil, jarURL: String? = nil, entryClass: String? = nil, args: [String]? = nil,
        parallelism: Int? = nil, savepointPath: String? = nil, allowNonRestoredState: Bool? = nil, stopMode: String? = nil,
        savepointDirectory: String? = nil, restoreFromLastSavepoint: Bool? = nil, headersSecretRef: SecretReference? = nil
    ) {
        self.jobManagerURL = jobManagerURL
        self.jarURL = jarURL
        self.entryClass = entryClass
        self.args = args
        self.parallelism = parallelism
        self.savepointPath = savepointPath
        self.allowNonRestoredState = allowNonRestoredState
        self.stopMode = stopMode
        self.savepointDirectory = savepointDirectory
        self.restoreFromLastSavepoint = restoreFromLastSavepoint
        self.headersSecretRef = headersSecretRef
    }
}

/// A Secret in the ScheduledJob's namespace (`{name: ...}`, like `LocalObjectReference`).
public struct SecretReference: Codable, Sendable, Hashable {
    public var name: String
    public init(name: String) { self.name = name }
}
