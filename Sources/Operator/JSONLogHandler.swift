import Foundation
import Logging

/// One JSON object per line: `{"ts":…,"level":…,"logger":…,"msg":…, metadata…}`, the shape
/// log pipelines (Loki, Elasticsearch, Cloud Logging) parse without configuration.
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let label: String
    let write: @Sendable (String) -> Void

    init(label: String, level: Logger.Level, write: @escaping @Sendable (String) -> Void = { FileHandleOutput.standardError($0) }) {
        self.label = label
        self.logLevel = level
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: Any] = [
            "ts": RFC3339Millis.format(Date()),
            "level": event.level.rawValue,
            "logger": label,
            "msg": event.message.description,
        ]
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged where object[key] == nil {
            object[key] = Self.unpack(value)
        }
        if event.level >= .error { object["caller"] = "\(event.source)/\((event.file as NSString).lastPathComponent):\(event.line)" }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    static func unpack(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(unpack)
        case .dictionary(let d): return d.mapValues(unpack)
        }
    }
}

enum RFC3339Millis {
    static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }
}
