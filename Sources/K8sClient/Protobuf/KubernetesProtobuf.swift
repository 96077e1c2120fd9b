import Foundation

/// A built-in kind sked can read in the API server's protobuf encoding (custom resources
/// have none). Decodes the object's own message, the `raw` of its `runtime.Unknown`.
protocol ProtobufDecodable: KubernetesResource {
    init(protobuf: inout ProtobufReader) throws
}

/// Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`), as far as sked reads
/// it: lists and watches of built-in kinds. The API server serves these several times faster
/// than JSON and they are half the size; decoding skips every field sked does not read
/// (field numbers from k8s.io/api and k8s.io/apimachinery `generated.proto`).
enum KubernetesProtobuf {
    static let mediaType = "application/vnd.kubernetes.protobuf"
    /// For lists and single objects: protobuf, or JSON where the server has no protobuf.
    static let accept = "\(mediaType), application/json"
    static let acceptWatch = "\(mediaType);stream=watch, application/json"
    /// Every protobuf answer starts with it; JSON never does.
    static let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]  // "k8s\0"

    static func isProtobuf(_ data: Data) -> Bool { data.starts(with: magic) }

    /// Reads the object message inside `magic` + `runtime.Unknown{typeMeta = 1, raw = 2}`.
    static func withObject<T>(in envelope: UnsafeRawBufferPointer, _ body: (inout ProtobufReader) throws -> T) throws -> T {
        guard envelope.starts(with: magic) else { throw ProtobufReader.malformed("no k8s envelope") }
        var unknown = ProtobufReader(UnsafeRawBufferPointer(rebasing: envelope[magic.count...]))
        var raw: UnsafeRawBufferPointer?
        try unknown.forEachField { number, wire, r in
            guard number == 2, wire == .lengthDelimited else { return false }
            raw = try r.lengthDelimited()
            return true
        }
        var object = ProtobufReader(raw ?? UnsafeRawBufferPointer(start: nil, count: 0))
        return try body(&object)
    }

    static func decode<R: ProtobufDecodable>(_ type: R.Type, from data: Data) throws -> R {
        try data.withUnsafeBytes { try withObject(in: $0) { try R(protobuf: &$0) } }
    }

    /// A `...List`: `metadata = 1` (ListMeta), `items = 2`.
    static func decodeList<R: ProtobufDecodable>(_ type: R.Type, from data: Data) throws -> ObjectList<R> {
        try data.withUnsafeBytes { bytes in
            try withObject(in: bytes) { list in
                var meta = ListMeta()
                var items: [R] = []
                try list.forEachField { number, wire, r in
                    guard wire == .lengthDelimited else { return false }
                    switch number {
                    case 1: var m = try r.message(); meta = try ListMeta(protobuf: &m)
                    case 2: var m = try r.message(); items.append(try R(protobuf: &m))
                    default: return false
                    }
                    return true
                }
                return ObjectList(metadata: meta, items: items)
            }
        }
    }

    /// A `metav1.Status` (error answers come in the encoding that was asked for).
    static func decodeStatus(from data: Data) throws -> Status {
        try data.withUnsafeBytes { try withObject(in: $0) { try Status(protobuf: &$0) } }
    }

    /// One frame of a protobuf watch: `metav1.WatchEvent{type = 1, object = 2 (RawExtension{raw = 1})}`,
    /// the object in its own envelope.
    static func decodeWatchEvent<R: ProtobufDecodable>(_ type: R.Type, frame: Data) throws -> WatchEvent<R> {
        try frame.withUnsafeBytes { bytes in
            var event = ProtobufReader(bytes)
            var kind = ""
            var object: UnsafeRawBufferPointer?
            try event.forEachField { number, wire, r in
                guard wire == .lengthDelimited else { return false }
                switch number {
                case 1: kind = try r.string()
                case 2:
                    var raw = try r.message()
                    try raw.forEachField { n, w, rr in
                        guard n == 1, w == .lengthDelimited else { return false }
                        object = try rr.lengthDelimited()
                        return true
                    }
                default: return false
                }
                return true
            }
            guard let object else { throw ProtobufReader.malformed("watch event without object") }
            switch kind {
            case "ADDED": return .added(try withObject(in: object) { try R(protobuf: &$0) })
            case "MODIFIED": return .modified(try withObject(in: object) { try R(protobuf: &$0) })
            case "DELETED": return .deleted(try withObject(in: object) { try R(protobuf: &$0) })
            case "BOOKMARK":
                let meta = try withObject(in: object) { try R(protobuf: &$0).metadata }
                return .bookmark(resourceVersion: meta.resourceVersion ?? "")
            case "ERROR": return .error(try withObject(in: object) { try Status(protobuf: &$0) })
            default: throw KubernetesError(statusCode: nil, reason: .decoding, message: "unknown watch event type \(kind.prefix(64))")
            }
        }
    }

    /// `metav1.Time{seconds = 1, nanos = 2}`.
    static func time(_ r: inout ProtobufReader) throws -> Date {
        var m = try r.message()
        var seconds: Int64 = 0
        var nanos: Int64 = 0
        try m.forEachField { number, wire, f in
            guard wire == .varint else { return false }
            switch number {
            case 1: seconds = try f.int64()
            case 2: nanos = try f.int64()
            default: return false
            }
            return true
        }
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9)
    }

    /// A `map<string, string>` entry: `key = 1`, `value = 2`.
    static func mapEntry(_ r: inout ProtobufReader) throws -> (String, String) {
        var m = try r.message()
        var key = ""
        var value = ""
        try m.forEachField { number, wire, f in
            guard wire == .lengthDelimited else { return false }
            switch number {
            case 1: key = try f.string()
            case 2: value = try f.string()
            default: return false
            }
            return true
        }
        return (key, value)
    }
}

extension ObjectMeta {
    init(protobuf r: inout ProtobufReader) throws {
        self.init()
        var labels: [String: String] = [:]
        var annotations: [String: String] = [:]
        var owners: [OwnerReference] = []
        var finalizers: [String] = []
        try r.forEachField { number, wire, f in
            switch (number, wire) {
            case (1, .lengthDelimited): name = try f.optionalString()
            case (2, .lengthDelimited): generateName = try f.optionalString()
            case (3, .lengthDelimited): namespace = try f.optionalString()
            case (5, .lengthDelimited): uid = try f.optionalString()
            case (6, .lengthDelimited): resourceVersion = try f.optionalString()
            case (7, .varint): let g = try f.int64(); generation = g == 0 ? nil : g  // as JSON: omitted when 0
            case (8, .lengthDelimited): creationTimestamp = try KubernetesProtobuf.time(&f)
            case (9, .lengthDelimited): deletionTimestamp = try KubernetesProtobuf.time(&f)
            case (10, .varint): deletionGracePeriodSeconds = try f.int64()
            case (11, .lengthDelimited): let (k, v) = try KubernetesProtobuf.mapEntry(&f); labels[k] = v
            case (12, .lengthDelimited): let (k, v) = try KubernetesProtobuf.mapEntry(&f); annotations[k] = v
            case (13, .lengthDelimited): var m = try f.message(); owners.append(try OwnerReference(protobuf: &m))
            case (14, .lengthDelimited): finalizers.append(try f.string())
            default: return false
            }
            return true
        }
        if !labels.isEmpty { self.labels = labels }
        if !annotations.isEmpty { self.annotations = annotations }
        if !owners.isEmpty { ownerReferences = owners }
        if !finalizers.isEmpty { self.finalizers = finalizers }
    }
}

extension OwnerReference {
    /// `kind = 1, name = 3, uid = 4, apiVersion = 5, controller = 6, blockOwnerDeletion = 7`.
    init(protobuf r: inout ProtobufReader) throws {
        self.init(apiVersion: "", kind: "", name: "", uid: "")
        try r.forEachField { number, wire, f in
            switch (number, wire) {
            case (1, .lengthDelimited): kind = try f.string()
            case (3, .lengthDelimited): name = try f.string()
            case (4, .lengthDelimited): uid = try f.string()
            case (5, .lengthDelimited): apiVersion = try f.string()
            case (6, .varint): controller = try f.bool()
            case (7, .varint): blockOwnerDeletion = try f.bool()
            default: return false
            }
            return true
        }
    }
}

extension ListMeta {
    /// `resourceVersion = 2, continue = 3, remainingItemCount = 4`.
    init(protobuf r: inout ProtobufReader) throws {
        self.init()
        try r.forEachField { number, wire, f in
            switch (number, wire) {
            case (2, .lengthDelimited): resourceVersion = try f.optionalString()
            case (3, .lengthDelimited): self.continue = try f.optionalString()
            case (4, .varint): remainingItemCount = try f.int64()
            default: return false
            }
            return true
        }
    }
}

extension Status {
    /// `status = 2, message = 3, reason = 4, code = 6`.
    init(protobuf r: inout ProtobufReader) throws {
        self.init(kind: "Status", apiVersion: "v1")
        try r.forEachField { number, wire, f in
            switch (number, wire) {
            case (2, .lengthDelimited): status = try f.optionalString()
            case (3, .lengthDelimited): message = try f.optionalString()
            case (4, .lengthDelimited): reason = try f.optionalString()
            case (6, .varint): code = Int(truncatingIfNeeded: try f.int64())
            default: return false
            }
            return true
        }
    }
}
