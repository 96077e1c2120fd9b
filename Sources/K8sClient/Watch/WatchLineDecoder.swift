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
    /// Throws once a line exceeds `maxLineBytes`, however the bytes were cut into chunks.
    public mutating func feed(_ chunk: Data) throws -> [Data] {
        // Only the new bytes can hold a newline: rescanning the buffered part of a long line
        // on every chunk made one 8 MiB event in 16 KiB chunks cost about two minutes of CPU.
        let scanned = buffer.count
        buffer.append(chunk)
        var lines: [Data] = []
        var start = buffer.startIndex
        var from = buffer.index(start, offsetBy: scanned)
        while let nl = newline(from: from) {
            let line = buffer[start..<nl]
            // A line that arrived whole within one chunk is checked as well as a buffered one.
            try checkSize(line.count)
            if !line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { lines.append(Data(line)) }
            start = buffer.index(after: nl)
            from = start
        }
        if start != buffer.startIndex { buffer = Data(buffer[start...]) }
        try checkSize(buffer.count)
        return lines
    }

    /// The first newline at or after `from`. Scans the raw bytes: `Data`'s generic
    /// `firstIndex(of:)` is about twenty times slower.
    private func newline(from: Data.Index) -> Data.Index? {
        buffer.withUnsafeBytes { raw in
            raw[(from - buffer.startIndex)...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + buffer.startIndex }
        }
    }

    private func checkSize(_ count: Int) throws {
        if count > maxLineBytes {
            throw KubernetesError(statusCode: nil, reason: .decoding, message: "watch event larger than \(maxLineBytes) bytes")
        }
    }

    /// The trailing document when the stream ended without a newline.
    public mutating func finish() -> Data? {
        defer { buffer = Data() }
        let rest = buffer.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") && $0 != UInt8(ascii: "\n") }
        return rest.isEmpty ? nil : buffer
    }
}
