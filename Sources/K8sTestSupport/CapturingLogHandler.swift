import Logging
import Synchronization

/// A log handler that keeps every line (level, message, metadata as text), so a test can
/// check what the operator logged, e.g. that no Secret value ever appears in it.
public struct CapturingLogHandler: LogHandler {
    public final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        public init() {}
        public var all: [String] { lines.withLock { $0 } }
        func append(_ line: String) { lines.withLock { $0.append(line) } }
    }

    public let lines: Lines
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(_ lines: Lines) { self.lines = lines }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        let all = self.metadata.merging(metadata ?? [:]) { $1 }
        lines.append("\(level) \(message) \(all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
    }
}

extension Logger {
    /// A logger whose lines go to `lines` (and nowhere else).
    public static func capturing(_ label: String, into lines: CapturingLogHandler.Lines) -> Logger {
        Logger(label: label) { _ in CapturingLogHandler(lines) }
    }
}
