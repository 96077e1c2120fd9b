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

extension Job: ProtobufDecodable {
    /// `metadata = 1, spec = 2, status = 3`. The spec is passed over: protobuf is only asked
    /// for by views that omit it (`API.preferringProtobuf()` implies `omittingSpec()`).
    init(protobuf r: inout ProtobufReader) throws {
        self.init(metadata: ObjectMeta())
        try r.forEachField { number, wire, f in
            switch (number, wire) {
            case (1, .lengthDelimited): var m = try f.message(); metadata = try ObjectMeta(protobuf: &m)
            case (3, .lengthDelimited): var m = try f.message(); status = try JobStatus(protobuf: &m)
            default: return false
            }
            return true
        }
    }
}

extension JobStatus {
    /// `conditions = 1, startTime = 2, completionTime = 3, active = 4, succeeded = 5, failed = 6`;
    /// zero counts are left out, as in JSON.
    init(protobuf r: inout ProtobufReader) throws {
        self.init()
        var conditions: [JobCondition] = []
        try r.forEachField { number, wire, f in
            switch (number, wire) {
            case (1, .lengthDelimited): var m = try f.message(); conditions.append(try JobCondition(protobuf: &m))
            case (2, .lengthDelimited): startTime = try KubernetesProtobuf.time(&f)
            case (3, .lengthDelimited): completionTime = try KubernetesProtobuf.time(&f)
            case (4, .varint): active = try Self.count(&f)
            case (5, .varint): succeeded = try Self.count(&f)
            case (6, .varint): failed = try Self.count(&f)
            default: return false
            }
            return true
        }
        if !conditions.isEmpty { self.conditions = conditions }
    }

    private static func count(_ f: inout ProtobufReader) throws -> Int? {
        let n = Int(truncatingIfNeeded: try f.int64())
        return n == 0 ? nil : n
    }
}

extension JobCondition {
    /// `type = 1, status = 2, lastProbeTime = 3, lastTransitionTime = 4, reason = 5, message = 6`.
    init(protobuf r: inout ProtobufReader) throws {
        self.init(type: "", status: "")
        try r.forEachField { number, wire, f in
            guard wire == .lengthDelimited else { return false }
            switch number {
            case 1: type = try f.string()
            case 2: status = try f.string()
            case 3: lastProbeTime = try KubernetesProtobuf.time(&f)
            case 4: lastTransitionTime = try KubernetesProtobuf.time(&f)
            case 5: reason = try f.optionalString()
            case 6: message = try f.optionalString()
            default: return false
            }
            return true
        }
    }
}
