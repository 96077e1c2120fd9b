import Foundation
import K8sClient
import Reconcilers

/// Kubernetes' cronjob tests start from this instant too.
let t0 = Date(timeIntervalSince1970: 1_463_652_000)  // 2016-05-19T10:00:00Z
func at(_ seconds: TimeInterval) -> Date { t0.addingTimeInterval(seconds) }

let template = JobTemplate(
    metadata: .init(labels: ["team": "a"], annotations: ["note": "x"]),
    spec: ["backoffLimit": 0, "template": ["spec": ["restartPolicy": "Never", "containers": [["name": "c", "image": "busybox:1.36"]]]]])

func scheduledJob(
    _ name: String = "sj", schedule: String? = "*/10 * * * * *", created: Date = at(-3600), status: ScheduledJobStatus? = nil,
    annotations: [String: String]? = nil, configure: (inout ScheduledJobSpec) -> Void = { _ in }
) -> ScheduledJob {
    var spec = ScheduledJobSpec(schedule: schedule, jobTemplate: template)
    configure(&spec)
    var meta = ObjectMeta(name: name, namespace: "ns", annotations: annotations)
    meta.uid = "uid-\(name)"
    meta.generation = 1
    meta.creationTimestamp = created
    return ScheduledJob(metadata: meta, spec: spec, status: status)
}

func status(lastSchedule: Date? = nil, configure: (inout ScheduledJobStatus) -> Void = { _ in }) -> ScheduledJobStatus {
    var s = ScheduledJobStatus()
    s.lastScheduleTime = lastSchedule
    configure(&s)
    return s
}

func run(_ name: String, scheduled: Date, trigger: Trigger = .schedule, attempt: Int = 1, started: Date? = nil, state: ObservedRun.State = .active, runID: String? = nil) -> ObservedRun {
    ObservedRun(
        name: name, uid: "uid-\(name)", runID: runID ?? RunNaming.scheduledRunID(scheduled), scheduledTime: scheduled, trigger: trigger,
        attempt: attempt, startTime: started ?? scheduled, createdAt: started ?? scheduled, state: state)
}

func unix(_ d: Date) -> Int64 { Int64(d.timeIntervalSince1970) }

extension Plan {
    var stopped: [String] { steps.compactMap { if case .stopRun(let n, _) = $0 { n } else { nil } } }
    var deleted: [String] { steps.compactMap { if case .deleteRun(let n) = $0 { n } else { nil } } }
    var eventReasons: [String] { events.map(\.reason) }
}
