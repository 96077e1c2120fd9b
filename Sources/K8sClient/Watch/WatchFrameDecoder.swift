import Foundation

/// Splits a protobuf watch response into its frames as bytes arrive: each is a 4-byte
/// big-endian length and that many bytes (`metav1.WatchEvent`). A frame may be split across
/// any number of chunks, and a chunk may hold many frames.
public struct WatchFrameDecoder: Sendable {
    private var buffer = Data()
    /// A single event larger than this is an error rather than unbounded memory growth.
    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int = 64 * 1024 * 1024) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Feeds a chunk and returns the frames it completed.
    public mutating func feed(_ chunk: Data) throws -> [Data] {
        buffer.append(chunk)
        var frames: [Data] = []
        var start = buffer.startIndex
        while buffer.endIndex - start >= 4 {
            let length = buffer[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= maxFrameBytes else {
                throw KubernetesError(statusCode: nil, reason: .decoding, message: "watch event larger than \(maxFrameBytes) bytes")
            }
            guard buffer.endIndex - start - 4 >= length else { break }
            frames.append(Data(buffer[start + 4..<start + 4 + length]))
            start += 4 + length
        }
        // Only when frames were taken: re-copying a long partial frame on every chunk is quadratic.
        if start != buffer.startIndex { buffer = Data(buffer[start...]) }
        return frames
    }

    /// Bytes left over when the stream ended: a truncated frame is an error, not an event.
    public func finish() throws {
        guard buffer.isEmpty else {
            throw KubernetesError(statusCode: nil, reason: .decoding, message: "watch stream ended inside a frame (\(buffer.count) bytes left)")
        }
    }
}
