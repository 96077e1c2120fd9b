import Foundation

/// A `batch/v1` Job. The status fields the operator reads are typed; `spec` (pod template
/// and all) stays raw JSON so nothing a user wrote is lost in a round trip.
public struct Job: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor.jobs

    public var metadata: ObjectMeta
    public var spec: JSONValue?
    public var status: JobStatus?

    public init(metadata: ObjectMeta, spec: JSONValue? = nil, status: JobStatus? = nil) {
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    enum CodingKeys: String, CodingKey { case metadata, spec, status }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        status = try c.decodeIfPresent(JobStatus.self, forKey: .status)
        // Informers that never read the pod template skip it: decoding it is most of the cost.
        spec = decoder.userInfo[.omitSpec] as? Bool == true ? nil : try c.decodeIfPresent(JSONValue.self, forKey: .spec)
    }

    /// `Complete` or `Failed` condition with status `True`, if the Job has finished.
    public var finishedCondition: JobCondition? {
        status?.conditions?.first { ($0.type == "Complete" || $0.type == "Failed") && $0.status == "True" }
    }
}

public struct JobStatus: Codable, Sendable, Hashable {
    public var conditions: [JobCondition]?
    public var startTime: Date?
    public var completionTime: Date?
    public var active: Int?
    public var succeeded: Int?
    public var failed: Int?

    public init(conditions: [JobCondition]? = nil, startTime: Date? = nil, completionTime: Date? = nil, active: Int? = nil, succeeded: Int? = nil, failed: Int? = nil) {
        self.conditions = conditions
        self.startTime = startTime
        self.completionTime = completionTime
        self.active = active
        self.succeeded = succeeded
        self.failed = failed
    }
}

public struct JobCondition: Codable, Sendable, Hashable {
    public var type: String
    public var status: String
    public var reason: String?
    public var message: String?
    public var lastProbeTime: Date?
    public var lastTransitionTime: Date?

    public init(type: String, status: String, reason: String? = nil, message: String? = nil, lastProbeTime: Date? = nil, lastTransitionTime: Date? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastProbeTime = lastProbeTime
        self.lastTransitionTime = lastTransitionTime
    }
}
