import Foundation

/// Reads the protobuf wire format: just enough of it to decode the few Kubernetes messages
/// sked reads as protobuf. Fields it does not ask for are skipped by their length without
/// being looked at, which is the point: a Job's pod template costs nothing to pass over.
///
/// Works on borrowed bytes; use it inside `Data.withUnsafeBytes` and copy out what you keep.
struct ProtobufReader {
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset >= bytes.count }

    static func malformed(_ why: String) -> KubernetesError {
        KubernetesError(statusCode: nil, reason: .decoding, message: "malformed protobuf: \(why)")
    }

    /// The next field's number and wire type, or nil at the end of the message.
    mutating func nextField() throws -> (number: Int, wireType: WireType)? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        guard let wireType = WireType(rawValue: key & 7) else { throw Self.malformed("wire type \(key & 7) at byte \(offset)") }
        let number = key >> 3
        guard number > 0, number <= 536_870_911 else { throw Self.malformed("field number \(number)") }
        return (Int(number), wireType)
    }

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw Self.malformed("truncated varint") }
            let byte = bytes[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw Self.malformed("varint longer than 64 bits") }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
    }

    /// An `int64`/`int32` field (two's complement in a varint).
    mutating func int64() throws -> Int64 { Int64(bitPattern: try varint()) }

    mutating func bool() throws -> Bool { try varint() != 0 }

    mutating func lengthDelimited() throws -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - offset) else { throw Self.malformed("field of \(length) bytes past the end") }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
        offset += Int(length)
        return slice
    }

    mutating func string() throws -> String { String(decoding: try lengthDelimited(), as: UTF8.self) }

    /// A string field, nil when empty (Kubernetes' JSON omits empty optional strings).
    mutating func optionalString() throws -> String? {
        let s = try string()
        return s.isEmpty ? nil : s
    }

    /// An embedded message, to read with its own reader.
    mutating func message() throws -> ProtobufReader { ProtobufReader(try lengthDelimited()) }

    mutating func skip(_ wireType: WireType) throws {
        switch wireType {
        case .varint: _ = try varint()
        case .lengthDelimited: _ = try lengthDelimited()
        case .fixed64, .fixed32:
            let width = wireType == .fixed64 ? 8 : 4
            guard bytes.count - offset >= width else { throw Self.malformed("truncated fixed-width field") }
            offset += width
        }
    }

    /// Reads every field of the message, handing each to `field` with its wire type; the
    /// handler returns false for fields it does not read, which are then skipped.
    mutating func forEachField(_ field: (Int, WireType, inout ProtobufReader) throws -> Bool) throws {
        while let (number, wireType) = try nextField() {
            let before = offset
            if try !field(number, wireType, &self) {
                guard offset == before else { throw Self.malformed("field \(number) partly read") }
                try skip(wireType)
            }
        }
    }
}
