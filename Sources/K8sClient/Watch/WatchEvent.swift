import Foundation

/// One event of a watch stream. `ERROR` events carry a `Status`, not the resource,
/// and are decoded as such (a `410 Gone` arrives this way).
public enum WatchEvent<R: KubernetesResource>: Sendable {
    case added(R)
    case modified(R)
    case deleted(R)
    /// Only the resourceVersion of a bookmark object is meaningful.
    case bookmark(resourceVersion: String)
    case error(Status)
    /// An added, modified or deleted object that cannot be decoded, by its identity only.
    case undecodable(UndecodableObject, deleted: Bool)

    private struct Envelope: Decodable {
        var type: String
    }
    private struct Typed<T: Decodable>: Decodable {
        var object: T
    }
    private struct BookmarkObject: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta
    }

    /// Decodes one line of a watch stream.
    public static func decode(_ line: Data, omitSpec: Bool = false) throws -> WatchEvent<R> {
        let decoder = KubernetesJSON.decoder(omitSpec: omitSpec)
        do {
            let type = try decoder.decode(Envelope.self, from: line).type
            switch type {
            case "ADDED": return .added(try decoder.decode(Typed<R>.self, from: line).object)
            case "MODIFIED": return .modified(try decoder.decode(Typed<R>.self, from: line).object)
            case "DELETED": return .deleted(try decoder.decode(Typed<R>.self, from: line).object)
            case "BOOKMARK":
                let rv = try decoder.decode(Typed<BookmarkObject>.self, from: line).object.metadata.resourceVersion ?? ""
                return .bookmark(resourceVersion: rv)
            case "ERROR": return .error(try decoder.decode(Typed<Status>.self, from: line).object)
            default:
                throw KubernetesError(statusCode: nil, reason: .decoding, message: "unknown watch event type \(type)")
            }
        } catch let e as KubernetesError {
            throw e
        } catch {
            // One object the decoder refuses must not end the watch: every reopen would stop
            // at it again, and nothing after it would ever arrive.
            if let event = undecodable(line, error) { return event }
            let text = String(decoding: line.prefix(200), as: UTF8.self)
            throw KubernetesError(statusCode: nil, reason: .decoding, message: "cannot decode watch event \(text): \(error)")
        }
    }
}

extension WatchEvent {
    static func undecodable(_ line: Data, _ error: any Error) -> WatchEvent? {
        let b = [UInt8](line)
        // Only a well-formed envelope, read as any JSON parser would: one object, each key
        // once, "type" and "object" spelled without escapes.
        guard let whole = ShallowJSON.document(b), let top = ShallowJSON.members(b, whole),
              Set(top.map(\.key)).count == top.count, String(decoding: line, as: UTF8.self).contains(#""type""#),
              let t = ShallowJSON.member("type", of: top),
              let type = try? JSONDecoder().decode(String.self, from: Data(b[t])), ["ADDED", "MODIFIED", "DELETED"].contains(type),
              let object = ShallowJSON.member("object", of: top), let meta = UndecodableObject.identity(b, object) else { return nil }
        return .undecodable(UndecodableObject(metadata: meta, problem: UndecodableObject.problem(of: error, b, object, wrapper: "object")), deleted: type == "DELETED")
    }
}

extension Status {
    /// The error an `ERROR` watch event stands for.
    public var asError: KubernetesError {
        let reason = reason.map(KubernetesError.Reason.init(rawValue:)) ?? (code.map(KubernetesError.defaultReason(for:)) ?? .unknown)
        return KubernetesError(statusCode: code, reason: reason, message: message ?? "watch error")
    }
}

/// The events of one watch request, decoded as the bytes arrive: newline-delimited JSON, or
/// length-prefixed protobuf frames when a protobuf watch was asked for and the server has it
/// (told apart by the first byte: a JSON stream starts with `{`, a frame with its length's
/// high byte, which is 0 for any frame under 16 MiB).
public struct WatchEventStream<R: KubernetesResource>: AsyncSequence, Sendable {
    public typealias Element = WatchEvent<R>
    let body: ByteChunks
    let omitSpec: Bool

    public init(body: ByteChunks, omitSpec: Bool = false) {
        self.body = body
        self.omitSpec = omitSpec
    }

    enum Framing {
        case undecided
        case lines(WatchLineDecoder)
        case frames(WatchFrameDecoder, any ProtobufDecodable.Type)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var chunks: ByteChunks.AsyncIterator
        var framing = Framing.undecided
        var pending: [Data] = []
        var finished = false
        let omitSpec: Bool

        public mutating func next() async throws -> WatchEvent<R>? {
            while pending.isEmpty {
                if finished { return nil }
                if let chunk = try await chunks.next() {
                    pending = try feed(chunk)
                } else {
                    finished = true
                    switch framing {
                    case .undecided: break
                    case .lines(var lines): if let last = lines.finish() { pending = [last] }
                    case .frames(let frames, _): try frames.finish()
                    }
                }
            }
            let item = pending.removeFirst()
            if case .frames(_, let type) = framing { return try Self.decodeFrame(type, item) }
            return try WatchEvent<R>.decode(item, omitSpec: omitSpec)
        }

        private mutating func feed(_ chunk: Data) throws -> [Data] {
            if case .undecided = framing {
                guard let first = chunk.first else { return [] }
                if first != UInt8(ascii: "{"), let type = R.self as? any ProtobufDecodable.Type {
                    framing = .frames(WatchFrameDecoder(), type)
                } else {
                    framing = .lines(WatchLineDecoder())
                }
            }
            // The decoder is taken out of `framing` while it is fed: mutating a copy that the
            // enum still holds would copy its whole buffer on every chunk.
            let current = framing
            framing = .undecided
            switch current {
            case .undecided: return []
            case .lines(var lines):
                defer { framing = .lines(lines) }
                return try lines.feed(chunk)
            case .frames(var frames, let type):
                defer { framing = .frames(frames, type) }
                return try frames.feed(chunk)
            }
        }

        private static func decodeFrame<P: ProtobufDecodable>(_ type: P.Type, _ frame: Data) throws -> WatchEvent<R> {
            do {
                switch try KubernetesProtobuf.decodeWatchEvent(type, frame: frame) {
                case .added(let o): return .added(o as! R)
                case .modified(let o): return .modified(o as! R)
                case .deleted(let o): return .deleted(o as! R)
                case .bookmark(let rv): return .bookmark(resourceVersion: rv)
                case .error(let status): return .error(status)
                case .undecodable(let object, let deleted): return .undecodable(object, deleted: deleted)
                }
            } catch let e as KubernetesError {
                throw e
            } catch {
                throw KubernetesError(statusCode: nil, reason: .decoding, message: "cannot decode protobuf watch event: \(error)")
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: body.makeAsyncIterator(), omitSpec: omitSpec) }
}
