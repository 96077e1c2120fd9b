import Foundation

/// The JSON coders every request and response goes through.
extension CodingUserInfoKey {
    /// Set to `true` to decode objects without their `spec` (types that support it, such as `Job`).
    public static let omitSpec = CodingUserInfoKey(rawValue: "sked.omitSpec")!
}

public enum KubernetesJSON {
    public static func decoder(omitSpec: Bool = false) -> JSONDecoder {
        let d = JSONDecoder()
        if omitSpec { d.userInfo[.omitSpec] = true }
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let date = RFC3339.parse(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time: \(s)")
            }
            return date
        }
        return d
    }

    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(RFC3339.formatMicro(date))
        }
        return e
    }

    public static func encode<T: Encodable>(_ value: T) throws -> Data { try encoder().encode(value) }
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try decoder().decode(type, from: data)
    }
}
