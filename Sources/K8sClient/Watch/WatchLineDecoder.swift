import Foundation

/// Splits a watch response into its newline-delimited JSON documents as bytes arrive.
/// A document may be split across any number of chunks, and a chunk may hold many
/// documents; a final document without a trailing newline is still delivered at the end.
public struct WatchLineDecoder: Sendable {
    private var buffer = Data()
    /// A single event larger than this is an error rather than unbounded memory growth.
    public let maxLineBytes: Int

    public init(maxLineBytes: Int = 64 * 1024 * 1024) {
        self.maxLineBytes = maxLineBytes
    }

    /// Feeds a chunk and returns the complete lines it finished (without newlines, empty lines dropped).
    public mutating func feed(_ chunk: Data) throws -> [Data] {
        buffer.append(chunk)
        var lines: [Data] = []
        var start = buffer.startIndex
        while let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let line = buffer[start..<nl]
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { lines.append(Data(line)) }
            start = buffer.index(after: nl)
        }
        buffer = Data(buffer[start...])
        if buffer.count > maxLineBytes {
            throw KubernetesError(statusCode: nil, reason: .decoding, message: "watch event larger than \(maxLineBytes) bytes")
        }
        return lines
    }

    /// The trailing document when the stream ended without a newline.
    public mutating func finish() -> Data? {
        defer { buffer = Data() }
        let rest = buffer.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        return rest.isEmpty ? nil : buffer
    }
}
