import Foundation
import K8sClient
import Synchronization

/// Decides how an Event is written so that a failing fleet cannot flood the API server,
/// after client-go's EventCorrelator:
/// - an identical Event (same object, type, reason, message) within the window updates the
///   existing Event's `count` and `lastTimestamp` instead of creating a new one;
/// - after `maxSimilar` different messages with the same object and reason within the window,
///   further ones are combined into one Event whose count grows;
/// - a global token bucket bounds the rate of Event writes; beyond it Events are dropped.
final class EventCorrelator: Sendable {
    enum Decision: Equatable, Sendable {
        case create(name: String, message: String)
        case update(name: String, count: Int, firstTimestamp: Date, message: String)
        case drop
    }

    struct Key: Hashable {
        var uid: String
        var type: String
        var reason: String
        var message: String?
    }
    struct Entry {
        var name: String
        var count: Int
        var first: Date
        var last: Date
    }

    let window: TimeInterval
    let maxSimilar: Int
    let maxEntries: Int
    private let limiter: TokenBucket
    private let state = Mutex((identical: [Key: Entry](), similar: [Key: (messages: Set<String>, since: Date)]()))

    init(window: TimeInterval = 600, maxSimilar: Int = 10, qps: Double = 50, burst: Int = 300, maxEntries: Int = 8192) {
        self.window = window
        self.maxSimilar = maxSimilar
        self.maxEntries = maxEntries
        self.limiter = TokenBucket(qps: qps, burst: burst)
    }

    func decide(_ note: EventNote, objectUID: String, objectName: String, now: Date, limiterNow: ContinuousClock.Instant = .now) -> Decision {
        let similarKey = Key(uid: objectUID, type: note.kind.rawValue, reason: note.reason, message: nil)
        let decision: Decision = state.withLock { s in
            if s.identical.count > maxEntries {
                s.identical = s.identical.filter { now.timeIntervalSince($0.value.last) < window }
                s.similar = s.similar.filter { now.timeIntervalSince($0.value.since) < window }
            }
            // Too many different messages for one reason: combine them.
            var similar = s.similar[similarKey] ?? (messages: [], since: now)
            if now.timeIntervalSince(similar.since) >= window { similar = (messages: [], since: now) }
            similar.messages.insert(note.message)
            s.similar[similarKey] = similar
            let message: String
            let key: Key
            if similar.messages.count > maxSimilar {
                message = "(combined from similar events): \(note.message)"
                key = similarKey
            } else {
                message = note.message
                key = Key(uid: objectUID, type: note.kind.rawValue, reason: note.reason, message: note.message)
            }
            if var entry = s.identical[key], now.timeIntervalSince(entry.last) < window {
                entry.count += 1
                entry.last = now
                s.identical[key] = entry
                return .update(name: entry.name, count: entry.count, firstTimestamp: entry.first, message: message)
            }
            let name = "\(objectName).\(String(UInt64(now.timeIntervalSince1970 * 1e9), radix: 16))\(RunNaming.hash(note.reason + message, length: 4))"
            let shortened = String(name.suffix(253))
            s.identical[key] = Entry(name: shortened, count: 1, first: now, last: now)
            return .create(name: shortened, message: message)
        }
        return limiter.reserve(now: limiterNow) > .zero ? .drop : decision
    }
}
