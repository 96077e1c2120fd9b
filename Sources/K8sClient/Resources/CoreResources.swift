import Foundation

/// A core/v1 ConfigMap.
public struct ConfigMap: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor.configMaps
    public var metadata: ObjectMeta
    public var data: [String: String]?

    public init(metadata: ObjectMeta, data: [String: String]? = nil) {
        self.metadata = metadata
        self.data = data
    }
}

/// A core/v1 Namespace.
public struct Namespace: KubernetesResource, Hashable {
    public static let resource = ResourceDescriptor.namespaces
    public var metadata: ObjectMeta
    public var status: JSONValue?

    public init(name: String, labels: [String: String]? = nil, annotations: [String: String]? = nil) {
        metadata = ObjectMeta(name: name, labels: labels, annotations: annotations)
    }
}

/// A core/v1 Secret; `data` values are base64 on the wire and decoded here.
public struct Secret: KubernetesResource {
    public static let resource = ResourceDescriptor.secrets
    public var metadata: ObjectMeta
    public var data: [String: Data]?
    public var type: String?

    public init(metadata: ObjectMeta, data: [String: Data]? = nil) {
        self.metadata = metadata
        self.data = data
    }
}

/// Any object, for kinds sked has no type for (custom resources in tests, `kubectl apply`-like tools).
/// Everything except `metadata` is kept as raw JSON.
public struct UnstructuredObject: KubernetesResource, Hashable {
    /// Unused placeholder: an `API<UnstructuredObject>` is always built with an explicit descriptor.
    public static let resource = ResourceDescriptor(group: "", version: "v1", kind: "", plural: "", namespaced: true)
    public var metadata: ObjectMeta
    public var fields: [String: JSONValue]

    public init(apiVersion: String, kind: String, metadata: ObjectMeta, fields: [String: JSONValue] = [:]) {
        self.metadata = metadata
        var f = fields
        f["apiVersion"] = .string(apiVersion)
        f["kind"] = .string(kind)
        self.fields = f
    }

    public subscript(key: String) -> JSONValue? {
        get { fields[key] }
        set { fields[key] = newValue }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        var fields: [String: JSONValue] = [:]
        var metadata = ObjectMeta()
        for key in c.allKeys {
            if key.stringValue == "metadata" { metadata = try c.decode(ObjectMeta.self, forKey: key) }
            else { fields[key.stringValue] = try c.decode(JSONValue.self, forKey: key) }
        }
        self.metadata = metadata
        self.fields = fields
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(metadata, forKey: Key(stringValue: "metadata"))
        for (k, v) in fields { try c.encode(v, forKey: Key(stringValue: k)) }
    }
}
