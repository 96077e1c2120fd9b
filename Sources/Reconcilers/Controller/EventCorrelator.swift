import Foundation
import K8sClient
import Synchronization

/// Decides how an Event is written so that a failing fleet cannot flood the API server,
/// after client-go's EventCorrelator:
/// - an identical Event (same object, type, reason, message) within the window updates the
///   existing Event's `count` and `lastTimestamp` instead of creating a new one;
/// - after `maxSimilar` different messages with the same object and reason within the window,
///   further ones are combined into one Event whose count grows;
/// - each object has a budget of Events (client-go's spam filter: a burst of 25, then one per
///   5 minutes); beyond it its Events are dropped. The budget is per object, not global, so a
///   thousand ScheduledJobs failing at once still get an Event each.
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

    struct Budget {
        var tokens: Double
        var last: Date
    }
    struct State {
        var identical: [Key: Entry] = [:]
        var similar: [Key: (messages: Set<String>, since: Date)] = [:]
        var budgets: [String: Budget] = [:]
    }

    let window: TimeInterval
    let maxSimilar: Int
    let maxEntries: Int
    let burstPerObject: Int
    let refillPerSecond: Double
    private let state = Mutex(State())

    init(window: TimeInterval = 600, maxSimilar: Int = 10, burstPerObject: Int = 25, refillInterval: TimeInterval = 300, maxEntries: Int = 8192) {
        self.window = window
        self.maxSimilar = maxSimilar
        self.maxEntries = maxEntries
        self.burstPerObject = burstPerObject
        self.refillPerSecond = 1 / refillInterval
    }

    func decide(_ note: EventNote, objectUID: String, objectName: String, now: Date) -> Decision {
        let similarKey = Key(uid: objectUID, type: note.kind.rawValue, reason: note.reason, message: nil)
        return state.withLock { s in
            if s.identical.count > maxEntries || s.budgets.count > maxEntries {
                s.identical = s.identical.filter { now.timeIntervalSince($0.value.last) < window }
                s.similar = s.similar.filter { now.timeIntervalSince($0.value.since) < window }
                s.budgets = s.budgets.filter { now.timeIntervalSince($0.value.last) * refillPerSecond < Double(burstPerObject) }
            }
            // The budget first: a dropped Event must leave no trace, or a later identical one
            // would update an Event that was never created.
            var budget = s.budgets[objectUID] ?? Budget(tokens: Double(burstPerObject), last: now)
            budget.tokens = min(Double(burstPerObject), budget.tokens + max(0, now.timeIntervalSince(budget.last)) * refillPerSecond)
            budget.last = now
            guard budget.tokens >= 1 else {
                s.budgets[objectUID] = budget
                return .drop
            }
            budget.tokens -= 1
            s.budgets[objectUID] = budget
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
    }
}
