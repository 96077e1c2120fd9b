import Foundation
import K8sClient
import Testing

@testable import Reconcilers

@Suite struct EventAggregation {
    @Test func anIdenticalEventUpdatesTheCountOfTheFirst() {
        let c = EventCorrelator()
        let note = EventNote(.warning, "RunFailed", "Run x failed")
        guard case .create(let name, _) = c.decide(note, objectUID: "u", objectName: "sj", now: t0) else { Issue.record("not created"); return }
        #expect(c.decide(note, objectUID: "u", objectName: "sj", now: at(1)) == .update(name: name, count: 2, firstTimestamp: t0, message: "Run x failed"))
        #expect(c.decide(note, objectUID: "u", objectName: "sj", now: at(2)) == .update(name: name, count: 3, firstTimestamp: t0, message: "Run x failed"))
        // Another object's identical event is its own.
        if case .update = c.decide(note, objectUID: "other", objectName: "sj2", now: at(3)) { Issue.record("objects must not share events") }
        // After the window it starts over.
        if case .update = c.decide(note, objectUID: "u", objectName: "sj", now: at(700)) { Issue.record("the window must expire") }
    }

    @Test func manyDifferentMessagesForOneReasonAreCombined() {
        let c = EventCorrelator(maxSimilar: 3)
        var decisions: [EventCorrelator.Decision] = []
        for i in 0..<6 { decisions.append(c.decide(EventNote(.normal, "RunStarted", "Started run sj-\(i)"), objectUID: "u", objectName: "sj", now: at(Double(i)))) }
        let creates = decisions.filter { if case .create = $0 { true } else { false } }
        #expect(creates.count == 4)  // three individual ones, then one combined event
        guard case .update(_, let count, _, let message) = decisions.last else { Issue.record("not combined"); return }
        #expect(count == 3)
        #expect(message == "(combined from similar events): Started run sj-5")
    }

    @Test func aThousandObjectsFailingAtOnceEachGetTheirEvent() {
        let c = EventCorrelator()
        let written = (0..<1000).filter { i in
            c.decide(EventNote(.warning, "InvalidSchedule", "bad"), objectUID: "u\(i)", objectName: "sj\(i)", now: t0) != .drop
        }
        #expect(written.count == 1000)
    }

    @Test func oneObjectsStormIsCutByItsOwnBudgetAndLeavesNoTrace() {
        let c = EventCorrelator(burstPerObject: 5, refillInterval: 60)
        let decisions = (0..<100).map { i in c.decide(EventNote(.warning, "Reason\(i)", "m"), objectUID: "u", objectName: "sj", now: t0) }
        #expect(decisions.filter { $0 != .drop }.count == 5)
        // Another object is not affected, and the budget refills with time.
        #expect(c.decide(EventNote(.warning, "Reason0", "m"), objectUID: "v", objectName: "other", now: t0) != .drop)
        // A dropped Event was not remembered: the same one later is created, not an update of nothing.
        guard case .create = c.decide(EventNote(.warning, "Reason50", "m"), objectUID: "u", objectName: "sj", now: t0.addingTimeInterval(61)) else {
            Issue.record("expected a create after the refill"); return
        }
    }
}
