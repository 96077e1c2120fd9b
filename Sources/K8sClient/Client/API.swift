import Foundation

/// Typed access to one kind in one namespace (or all namespaces / cluster scope when
/// `namespace` is nil), like kube-rs' `Api<K>`.
public struct API<R: KubernetesResource>: Sendable {
    public let client: KubernetesClient
    public let namespace: String?
    public let resource: ResourceDescriptor
    /// Decode answers without their `spec` (for caches that never read it; see `Job`).
    public let omitsSpec: Bool
    /// Lists and watches ask for protobuf (built-in kinds only; see `ProtobufDecodable`).
    public let prefersProtobuf: Bool

    public init(client: KubernetesClient, namespace: String?, resource: ResourceDescriptor = R.resource, omitsSpec: Bool = false, prefersProtobuf: Bool = false) {
        self.client = client
        self.namespace = namespace
        self.resource = resource
        self.omitsSpec = omitsSpec
        self.prefersProtobuf = prefersProtobuf && R.self is any ProtobufDecodable.Type
    }

    /// The same view, decoding answers without their `spec`.
    public func omittingSpec() -> API<R> {
        API(client: client, namespace: namespace, resource: resource, omitsSpec: true, prefersProtobuf: prefersProtobuf)
    }

    /// The same view, reading lists and watches as protobuf where the kind has it (Jobs): the
    /// API server encodes protobuf several times faster than JSON, and skipping a pod template
    /// by its length is free. Only for views that omit the spec, which protobuf decoding skips.
    public func preferringProtobuf() -> API<R> {
        API(client: client, namespace: namespace, resource: resource, omitsSpec: true, prefersProtobuf: true)
    }

    private func path(_ name: String? = nil, subresource: String? = nil, namespace ns: String? = nil) -> String {
        resource.path(namespace: ns ?? namespace, name: name, subresource: subresource)
    }

    private func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ what: String) throws -> T {
        do { return try KubernetesJSON.decoder(omitSpec: omitsSpec).decode(type, from: data) } catch {
            throw KubernetesError(statusCode: nil, reason: .decoding, message: "decoding \(what) as \(resource.kind): \(error)")
        }
    }

    /// What answers are asked for in (requests are always JSON).
    private var accept: String? { prefersProtobuf ? KubernetesProtobuf.accept : nil }

    /// An answer holding one object, in whichever encoding the server chose.
    private func decodeObject(_ data: Data, _ what: String) throws -> R {
        guard let type = R.self as? any ProtobufDecodable.Type, KubernetesProtobuf.isProtobuf(data) else {
            return try decode(R.self, data, what)
        }
        return try decodeProtobuf(type, data, what)
    }

    private func decodeProtobuf<P: ProtobufDecodable>(_ type: P.Type, _ data: Data, _ what: String) throws -> R {
        do { return try KubernetesProtobuf.decode(type, from: data) as! R } catch {
            throw KubernetesError(statusCode: nil, reason: .decoding, message: "decoding \(what) (protobuf): \(error)")
        }
    }

    /// Throws `NotFound` if the object does not exist; see `getIfPresent`.
    public func get(_ name: String) async throws -> R {
        try decodeObject(try await client.request("GET", path: path(name), accept: accept), "\(resource) \(name)")
    }

    public func getIfPresent(_ name: String) async throws -> R? {
        do { return try await get(name) } catch let e as KubernetesError where e.isNotFound { return nil }
    }

    /// One page of a list.
    public func list(_ options: ListOptions = ListOptions()) async throws -> ObjectList<R> {
        let data = try await client.request("GET", path: path(), query: options.query, accept: accept)
        if let type = R.self as? any ProtobufDecodable.Type, KubernetesProtobuf.isProtobuf(data) {
            return try decodeList(type, data)
        }
        do {
            return try decode(ObjectList<R>.self, data, "\(resource) list")
        } catch {
            // One bad object must not fail the page, and with it every list and relist.
            if let list = LenientDecoding.list(R.self, data, KubernetesJSON.decoder(omitSpec: omitsSpec)) { return list }
            throw error
        }
    }

    private func decodeList<P: ProtobufDecodable>(_ type: P.Type, _ data: Data) throws -> ObjectList<R> {
        do {
            let list = try KubernetesProtobuf.decodeList(type, from: data)
            return ObjectList(metadata: list.metadata, items: list.items.map { $0 as! R })
        } catch {
            throw KubernetesError(statusCode: nil, reason: .decoding, message: "decoding \(resource) list (protobuf): \(error)")
        }
    }

    /// All pages of a list, following `continue` tokens.
    public func listAll(_ options: ListOptions = ListOptions(), pageSize: Int = 500) async throws -> ObjectList<R> {
        var opts = options
        opts.limit = pageSize
        var items: [R] = []
        var undecodable: [UndecodableObject] = []
        while true {
            let page = try await list(opts)
            items += page.items
            undecodable += page.undecodable
            guard let token = page.metadata.continue, !token.isEmpty else {
                var all = ObjectList(metadata: page.metadata, items: items)
                all.undecodable = undecodable
                return all
            }
            opts.continueToken = token
        }
    }

    /// The wire form of `object`, with `apiVersion` and `kind` filled in from the descriptor
    /// (typed objects do not store them: list items arrive without them). Encoded in one pass:
    /// a round trip through `JSONValue` cost more than the request itself.
    private func wireBody(_ object: R) throws -> Data {
        if object is UnstructuredObject { return try KubernetesJSON.encode(object) }
        return try KubernetesJSON.encode(WireObject(apiVersion: resource.apiVersion, kind: resource.kind, object: object))
    }

    /// Creates `object` in its own namespace, or this API's namespace when it has none.
    /// `timeout` bounds each attempt (default: the client's request timeout).
    public func create(_ object: R, timeout: Duration? = nil) async throws -> R {
        let body = try wireBody(object)
        return try decodeObject(try await client.request("POST", path: path(namespace: object.metadata.namespace), body: body, timeout: timeout, accept: accept), "created \(resource)")
    }

    /// Replaces the object; `metadata.resourceVersion` makes it a compare-and-swap (`Conflict` if stale).
    public func update(_ object: R) async throws -> R {
        try await put(object, subresource: nil)
    }

    /// Replaces the `status` subresource.
    public func updateStatus(_ object: R) async throws -> R {
        try await put(object, subresource: "status")
    }

    private func put(_ object: R, subresource: String?) async throws -> R {
        guard let name = object.metadata.name else {
            throw KubernetesError(statusCode: nil, reason: .invalid, message: "\(resource): update needs metadata.name")
        }
        let body = try wireBody(object)
        let data = try await client.request("PUT", path: path(name, subresource: subresource, namespace: object.metadata.namespace), body: body, accept: accept)
        return try decodeObject(data, "\(resource) \(name)")
    }

    public func patch(_ name: String, _ patch: Patch, subresource: String? = nil) async throws -> R {
        try decodeObject(try await send(patch, to: name, subresource: subresource), "\(resource) \(name)")
    }

    /// A patch whose answer is not read: for an object this client cannot decode.
    public func patchIgnoringAnswer(_ name: String, _ patch: Patch, subresource: String? = nil) async throws {
        _ = try await send(patch, to: name, subresource: subresource)
    }

    private func send(_ patch: Patch, to name: String, subresource: String?) async throws -> Data {
        var query: [(String, String)] = []
        let body: Data
        switch patch {
        case .merge(let value): body = try KubernetesJSON.encode(value)
        case .json(let ops): body = try KubernetesJSON.encode(ops)
        case .apply(let value, let fieldManager, let force):
            body = try KubernetesJSON.encode(value)  // JSON is YAML
            query.append(("fieldManager", fieldManager))
            if force { query.append(("force", "true")) }
        }
        return try await client.request("PATCH", path: path(name, subresource: subresource), query: query, body: body, contentType: patch.contentType, accept: accept)
    }

    public func patchStatus(_ name: String, _ patch: Patch) async throws -> R {
        try await self.patch(name, patch, subresource: "status")
    }

    /// Deletes; `NotFound` is thrown, use `deleteIfPresent` to ignore it.
    public func delete(_ name: String, options: DeleteOptions = DeleteOptions()) async throws {
        let body = try KubernetesJSON.encode(options)
        _ = try await client.request("DELETE", path: path(name), body: body)
    }

    /// Deletes; returns false if the object was already gone.
    @discardableResult
    public func deleteIfPresent(_ name: String, options: DeleteOptions = DeleteOptions()) async throws -> Bool {
        do {
            try await delete(name, options: options)
            return true
        } catch let e as KubernetesError where e.isNotFound {
            return false
        }
    }

    /// One watch request: events until the server closes the stream (its `timeoutSeconds`)
    /// or the connection drops. `Watcher` adds resuming and relisting on top.
    public func watch(_ options: WatchOptions) async throws -> WatchEventStream<R> {
        // The server ends the watch after timeoutSeconds; the transport timeout is a safety net above it.
        let timeout = Duration.seconds((options.timeoutSeconds ?? 1800) + 30)
        let body = try await client.stream(path: path(), query: options.query, timeout: timeout, accept: prefersProtobuf ? KubernetesProtobuf.acceptWatch : nil)
        return WatchEventStream(body: body, omitSpec: omitsSpec)
    }
}

/// An object plus the `apiVersion` and `kind` its Swift type does not store.
private struct WireObject<R: Encodable>: Encodable {
    let apiVersion: String
    let kind: String
    let object: R

    private enum Keys: String, CodingKey { case apiVersion, kind }

    func encode(to encoder: any Encoder) throws {
        try object.encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(apiVersion, forKey: .apiVersion)
        try c.encode(kind, forKey: .kind)
    }
}
