import Foundation

/// An object the API server holds but this client cannot decode (nested deeper than
/// JSONDecoder's 512 levels, a value of the wrong type): known by its identity only, so that it
/// can be reported on without the rest of its list or watch stream failing with it.
public struct UndecodableObject: Sendable, Hashable, CustomStringConvertible {
    /// Name, namespace, uid, resourceVersion and generation: read without decoding the object.
    public var metadata: ObjectMeta
    /// Why it cannot be decoded, without any of its values.
    public var problem: String

    public init(metadata: ObjectMeta, problem: String) {
        self.metadata = metadata
        self.problem = problem
    }

    public var key: ObjectKey { ObjectKey(namespace: metadata.namespace, name: metadata.name ?? "") }
    public var description: String { "\(metadata.namespace.map { "\($0)/" } ?? "")\(metadata.name ?? ""): \(problem)" }

    /// JSONDecoder refuses deeper documents, and says only that the data is not valid JSON.
    static let maxDepth = 512

    /// Why `error` refused the object spanning `range`, in words that carry no value of it (a
    /// decoding error's own text can quote one). `wrapper`: the key the object was decoded under.
    static func problem(of error: any Error, _ b: [UInt8], _ range: Range<Int>, wrapper: String? = nil) -> String {
        let depth = ShallowJSON.depth(b, range)
        if depth + (wrapper == nil ? 0 : 1) > maxDepth { return "nested \(depth) levels deep, more than the \(maxDepth) a JSON decoder reads" }
        func path(_ p: [any CodingKey]) -> String {
            var keys = p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            if let wrapper, keys.first == wrapper { keys.removeFirst() }
            return keys.isEmpty ? "" : " at " + keys.joined(separator: ".")
        }
        switch error {
        case DecodingError.typeMismatch(let type, let context): return "wrong type\(path(context.codingPath)) (expected \(type))"
        case DecodingError.valueNotFound(let type, let context): return "missing value\(path(context.codingPath)) (expected \(type))"
        case DecodingError.keyNotFound(let key, let context): return "missing field \(key.stringValue)\(path(context.codingPath))"
        case DecodingError.dataCorrupted(let context):
            return "not valid JSON or an out-of-range value\(path(context.codingPath))"
        default: return "cannot be decoded"
        }
    }

    /// The identity of the object spanning `range`, read member by member (nil: it has no name).
    static func identity(_ b: [UInt8], _ range: Range<Int>) -> ObjectMeta? {
        guard let top = ShallowJSON.members(b, range), let m = ShallowJSON.member("metadata", of: top),
              let fields = ShallowJSON.members(b, m) else { return nil }
        func scalar<T: Decodable>(_ key: String, _ type: T.Type) -> T? {
            ShallowJSON.member(key, of: fields).flatMap { try? JSONDecoder().decode(T.self, from: Data(b[$0])) }
        }
        guard let name = scalar("name", String.self), !name.isEmpty else { return nil }
        var meta = ObjectMeta(name: name, namespace: scalar("namespace", String.self))
        meta.uid = scalar("uid", String.self)
        meta.resourceVersion = scalar("resourceVersion", String.self)
        meta.generation = scalar("generation", Int64.self)
        return meta
    }
}

/// One object decoded, or set aside as undecodable.
enum LenientDecoding {
    enum Outcome<R> {
        case decoded(R)
        case undecodable(UndecodableObject)
    }

    /// nil: not even its identity can be read.
    static func object<R: Decodable>(_ type: R.Type, _ b: [UInt8], _ range: Range<Int>, _ decoder: JSONDecoder) -> Outcome<R>? {
        do { return .decoded(try decoder.decode(R.self, from: Data(b[range]))) } catch {
            guard let meta = UndecodableObject.identity(b, range) else { return nil }
            return .undecodable(UndecodableObject(metadata: meta, problem: UndecodableObject.problem(of: error, b, range)))
        }
    }

    /// A list page whose whole decoding failed, item by item: nil when the page itself (not one
    /// of its items) is the problem.
    static func list<R: Decodable & Sendable>(_ type: R.Type, _ data: Data, _ decoder: JSONDecoder) -> ObjectList<R>? {
        let b = [UInt8](data)
        guard let page = ShallowJSON.document(b), let top = ShallowJSON.members(b, page) else { return nil }
        var metadata = ListMeta()
        if let m = ShallowJSON.member("metadata", of: top) {
            guard let meta = try? decoder.decode(ListMeta.self, from: Data(b[m])) else { return nil }
            metadata = meta
        }
        var list = ObjectList<R>(metadata: metadata, items: [])
        guard let itemsRange = ShallowJSON.member("items", of: top) else { return list }
        guard let ranges = ShallowJSON.elements(b, itemsRange) else { return nil }
        for r in ranges {
            switch object(R.self, b, r, decoder) {
            case .decoded(let item): list.items.append(item)
            case .undecodable(let u): list.undecodable.append(u)
            case nil: return nil
            }
        }
        return list
    }
}
