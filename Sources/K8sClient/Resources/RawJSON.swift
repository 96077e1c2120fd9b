import Foundation

/// JSON kept as its compact encoding (keys sorted, so equal values have equal bytes), for
/// large values that are only passed through and live in caches: a ScheduledJob's Job
/// template is about ten times smaller as bytes than as a `JSONValue` tree of dictionaries,
/// and the informer holds one per ScheduledJob.
public struct RawJSON: Sendable, Hashable, Codable, ExpressibleByDictionaryLiteral {
    public let bytes: Data

    public init(_ value: JSONValue) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let encoded = (try? encoder.encode(value)) ?? Data("null".utf8)
        // A copy of exactly that size: the encoder's buffer has up to twice the capacity, and
        // this value lives in the cache for as long as its ScheduledJob does.
        bytes = encoded.withUnsafeBytes { Data($0) }
    }

    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(.object(Dictionary(elements, uniquingKeysWith: { _, last in last })))
    }

    /// The value as a tree (decoded on each call: use it where the value is really read).
    public var value: JSONValue { (try? JSONDecoder().decode(JSONValue.self, from: bytes)) ?? .null }

    /// Whether the value is a JSON object, without decoding it.
    public var isObject: Bool { bytes.first == UInt8(ascii: "{") }

    public subscript(key: String) -> JSONValue? {
        get { value[key] }
        set {
            var v = value
            v[key] = newValue
            self = RawJSON(v)
        }
    }

    public init(from decoder: any Decoder) throws { self.init(try JSONValue(from: decoder)) }
    public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
