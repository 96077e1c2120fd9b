// libFuzzer target for the watch-stream decoder: WatchEventStream (chunks -> events), with
// both of its framings: newline-delimited JSON (WatchLineDecoder + WatchEvent.decode) and
// length-prefixed protobuf frames (WatchFrameDecoder + the hand-written protobuf reader,
// chosen for Jobs when the first byte is not `{`). Built and run by scripts/fuzz.sh (SKED_FUZZ=1).
//
// Input layout (the seeds in Fuzz/Corpus/watch start with a two-byte header):
//   byte 0  line/frame size limit: `b * 32 + 1` (1...4065) below 0x80, the production default above
//   byte 1  bits 0-2: how many chunk-length bytes follow; bits 3-4: resource type
//           (ConfigMap, Job, Job without spec as the informer reads it, ScheduledJob)
//   then    that many chunk lengths (0...255, empty chunks included), then the payload;
//           whatever the lengths leave over is the last chunk.
import FuzzDriver
import Dispatch
import Foundation
import K8sClient
import Reconcilers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data, count >= 2 else { return 0 }
    let bytes = Data(UnsafeBufferPointer(start: data, count: count))
    let input = FuzzInput(bytes)
    switch input.resourceType {
    case 0: run(input, as: ConfigMap.self, omitSpec: false)
    case 1: run(input, as: Job.self, omitSpec: false)
    case 2: run(input, as: Job.self, omitSpec: true)
    default: run(input, as: ScheduledJob.self, omitSpec: false)
    }
    return 0
}

struct FuzzInput {
    /// The line (and frame) size limit to test with; nil for the production default.
    var sizeLimit: Int?
    var resourceType: Int
    var payload: Data
    /// The payload cut where the input says, as slices of it (non-zero start indices on purpose).
    var chunks: [Data]

    init(_ bytes: Data) {
        let b = Array(bytes)
        sizeLimit = b[0] < 0x80 ? Int(b[0]) * 32 + 1 : nil
        resourceType = Int(b[1] >> 3) & 3
        let lengthCount = min(Int(b[1] & 7), b.count - 2)
        let lengths = b[2..<(2 + lengthCount)].map(Int.init)
        payload = Data(b[(2 + lengthCount)...])
        chunks = []
        var start = payload.startIndex
        for length in lengths {
            let end = min(start + length, payload.endIndex)
            chunks.append(payload[start..<end])
            start = end
        }
        chunks.append(payload[start...])
    }
}

/// What an independent, obviously correct splitter says the lines are.
struct ExpectedLines {
    var lines: [Data] = []
    var tooLong = false

    init(_ payload: Data, maxLineBytes: Int) {
        let segments = payload.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for segment in segments where segment.count > maxLineBytes { tooLong = true }
        lines = segments.filter { !isBlank($0) }.map { Data($0) }
    }
}

/// What an independent splitter says the protobuf frames (4-byte big-endian length, then
/// that many bytes) are.
struct ExpectedFrames {
    var frames: [Data] = []
    var tooLong = false
    var leftover = 0

    init(_ payload: Data, maxFrameBytes: Int) {
        var rest = payload[...]
        while rest.count >= 4 {
            let length = rest.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            if length > maxFrameBytes {
                tooLong = true
                return
            }
            guard rest.count - 4 >= length else { break }
            frames.append(Data(rest.dropFirst(4).prefix(length)))
            rest = rest.dropFirst(4 + length)
        }
        leftover = rest.count
    }
}

func isBlank(_ line: Data) -> Bool {
    line.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }
}

/// One run of `WatchLineDecoder` over `chunks`: the lines it produced and whether it threw.
func split(_ chunks: [Data], maxLineBytes: Int?) -> (lines: [Data], failed: Bool) {
    var decoder = maxLineBytes.map { WatchLineDecoder(maxLineBytes: $0) } ?? WatchLineDecoder()
    let limit = decoder.maxLineBytes
    var lines: [Data] = []
    for chunk in chunks {
        do {
            let new = try decoder.feed(chunk)
            for line in new {
                check(line.count <= limit, "a \(line.count)-byte line passed the \(limit)-byte limit")
                check(!line.contains(UInt8(ascii: "\n")), "a line contains a newline")
                check(!isBlank(line), "a blank line was delivered")
            }
            lines += new
        } catch {
            checkDecodingError(error)
            return (lines, true)
        }
    }
    if let last = decoder.finish() {
        check(last.count <= limit, "a \(last.count)-byte trailing line passed the \(limit)-byte limit")
        check(!isBlank(last), "a blank trailing line was delivered")
        lines.append(last)
    }
    check(decoder.finish() == nil, "finish() twice delivered the trailing line twice")
    return (lines, false)
}

/// One run of `WatchFrameDecoder` over `chunks`: the frames, and whether feeding or
/// finishing threw.
func frames(_ chunks: [Data], maxFrameBytes: Int?) -> (frames: [Data], feedFailed: Bool, finishFailed: Bool) {
    var decoder = maxFrameBytes.map { WatchFrameDecoder(maxFrameBytes: $0) } ?? WatchFrameDecoder()
    var frames: [Data] = []
    for chunk in chunks {
        do {
            let new = try decoder.feed(chunk)
            for frame in new {
                check(frame.count <= decoder.maxFrameBytes, "a \(frame.count)-byte frame passed the \(decoder.maxFrameBytes)-byte limit")
            }
            frames += new
        } catch {
            checkDecodingError(error)
            return (frames, true, false)
        }
    }
    do {
        try decoder.finish()
    } catch {
        checkDecodingError(error)
        return (frames, false, true)
    }
    return (frames, false, false)
}

func run<R: KubernetesResource>(_ input: FuzzInput, as type: R.Type, omitSpec: Bool) {
    checkFrames(input)
    let decoded = checkLines(input, as: type, omitSpec: omitSpec)
    checkStream(input, as: type, omitSpec: omitSpec, lineByLine: streamReadsLines(input, as: type) ? decoded : nil)
}

/// However the bytes are cut, the frames are the same, an over-long frame is refused, and a
/// truncated last frame is an error at the end.
func checkFrames(_ input: FuzzInput) {
    let limit = input.sizeLimit ?? WatchFrameDecoder().maxFrameBytes
    let expected = ExpectedFrames(input.payload, maxFrameBytes: limit)
    var cuts = [input.chunks, [input.payload]]
    if input.payload.count <= 256 { cuts.append(input.payload.map { Data([$0]) }) }
    for chunks in cuts {
        let (found, feedFailed, finishFailed) = frames(chunks, maxFrameBytes: input.sizeLimit)
        check(feedFailed == expected.tooLong,
              feedFailed ? "refused although no frame exceeds \(limit) bytes" : "accepted a frame over \(limit) bytes", chunks)
        if feedFailed {
            check(expected.frames.starts(with: found), "frames before the refusal differ", chunks)
        } else {
            check(found == expected.frames, "frames differ from a plain split", chunks)
            check(finishFailed == (expected.leftover > 0), "finish() \(finishFailed ? "refused" : "accepted") \(expected.leftover) leftover bytes", chunks)
        }
    }
}

/// Checks the line splitting, and returns what decoding the lines one by one with the public
/// `WatchEvent.decode` gives: the events up to the first bad line, and its error.
func checkLines<R: KubernetesResource>(_ input: FuzzInput, as type: R.Type, omitSpec: Bool) -> (events: [String], failure: String?) {
    let limit = input.sizeLimit ?? WatchLineDecoder().maxLineBytes
    let expected = ExpectedLines(input.payload, maxLineBytes: limit)

    // However the bytes are cut, the lines are the same, and an over-long line is refused.
    var cuts = [input.chunks, [input.payload]]
    if input.payload.count <= 256 { cuts.append(input.payload.map { Data([$0]) }) }
    for chunks in cuts {
        let (lines, failed) = split(chunks, maxLineBytes: input.sizeLimit)
        check(failed == expected.tooLong,
              failed ? "refused although no line exceeds \(limit) bytes" : "accepted a line over \(limit) bytes",
              chunks)
        if failed {
            check(expected.lines.starts(with: lines), "lines before the refusal differ", chunks)
        } else {
            check(lines == expected.lines, "lines differ from a plain split on newlines", chunks)
        }
    }

    // Each line decodes to an event or to a decoding error; garbage is never an event.
    var events: [String] = []
    var firstFailure: String?
    for line in expected.lines {
        do {
            let event = try WatchEvent<R>.decode(line, omitSpec: omitSpec)
            checkPlausible(line)
            planWithoutTrapping(event)
            if firstFailure == nil { events.append(summary(event)) }
        } catch {
            checkDecodingError(error)
            if firstFailure == nil { firstFailure = "\(error)" }
        }
    }

    return (events, firstFailure)
}

/// Whatever a ScheduledJob that decodes holds (its spec from any author, its status from
/// anyone who may write it), validating and planning it never traps: the operator would
/// crash-loop on it for every tenant. Its active runs are observed as the Flink target sees
/// them (from status), at a fixed instant and at the edges of time.
func planWithoutTrapping<R: KubernetesResource>(_ event: WatchEvent<R>) {
    let object: R
    switch event {
    case .added(let o), .modified(let o), .deleted(let o): object = o
    default: return
    }
    guard let sj = object as? ScheduledJob else { return }
    _ = sj.spec.validated(defaultTimeZone: "UTC")
    let runs = (sj.status?.active ?? []).map {
        ObservedRun(name: $0.name, kind: $0.kind, runID: $0.runID ?? $0.name, scheduledTime: $0.scheduledTime, trigger: $0.trigger,
                    attempt: $0.attempt, startTime: $0.startTime, createdAt: $0.startTime, state: .active)
    }
    // And the same status under a spec that validates, so planning goes past validation.
    var valid = sj
    valid.spec = ScheduledJobSpec(schedule: "*/5 * * * * *", jobTemplate: JobTemplate(spec: ["template": ["spec": [:]]]))
    valid.spec.retry = RetrySpec(limit: SpecBounds.maxRetryLimit, backoffSeconds: SpecBounds.maxSeconds, maxBackoffSeconds: SpecBounds.maxSeconds)
    valid.spec.runTimeoutSeconds = SpecBounds.maxSeconds
    valid.spec.startingDeadlineSeconds = SpecBounds.maxSeconds
    for now in [Date(timeIntervalSince1970: 1_780_000_000), Date(timeIntervalSince1970: 0), Date.distantFuture] {
        _ = SchedulePlanner.plan(sj, runs: runs, now: now, defaultTimeZone: "UTC")
        _ = SchedulePlanner.plan(valid, runs: runs, now: now, defaultTimeZone: "UTC")
    }
}

/// `WatchEventStream` reads protobuf frames when the resource has a protobuf form and the
/// body does not start with `{`.
func streamReadsLines<R: KubernetesResource>(_ input: FuzzInput, as type: R.Type) -> Bool {
    R.self != Job.self || input.payload.first == UInt8(ascii: "{")
}

/// The stream's events do not depend on how the body is cut into chunks. When it fails, it
/// fails however it is cut, though the events before the failure may stop earlier: a chunk
/// holding good events and then an oversized one is refused as a whole. When it reads JSON
/// lines (the production limit is never reached here) it agrees with `lineByLine` exactly.
func checkStream<R: KubernetesResource>(_ input: FuzzInput, as type: R.Type, omitSpec: Bool,
                                        lineByLine: (events: [String], failure: String?)?) {
    var cuts = [input.chunks, [input.payload]]
    if input.payload.count <= 256 { cuts.append(input.payload.map { Data([$0]) }) }
    let runs = cuts.map { stream($0, as: type, omitSpec: omitSpec) }
    if let lineByLine {
        for (chunks, run) in zip(cuts, runs) {
            check(run.events == lineByLine.events, "the stream's events differ from line-by-line decoding", chunks)
            // Only whether: the coding path in a DecodingError follows dictionary order, which
            // differs between two decodes of the same bytes.
            check((run.failure == nil) == (lineByLine.failure == nil),
                  "the stream failed with \(run.failure ?? "nothing"), lines with \(lineByLine.failure ?? "nothing")", chunks)
        }
    }
    for (chunks, run) in zip(cuts, runs).dropFirst() {
        let first = runs[0]
        if first.failure == nil && run.failure == nil {
            check(run.events == first.events, "the events depend on the chunking", chunks)
        } else {
            check(first.failure != nil && run.failure != nil,
                  "only one chunking failed: \(first.failure ?? run.failure ?? "")", chunks)
            check(first.events.starts(with: run.events) || run.events.starts(with: first.events),
                  "the events before the failure depend on the chunking", chunks)
        }
    }
}

/// The events `WatchEventStream` delivers for `chunks` and the error it ends with, if any.
func stream<R: KubernetesResource>(_ chunks: [Data], as type: R.Type, omitSpec: Bool) -> (events: [String], failure: String?) {
    blocking { () async -> ([String], String?) in
        var out: [String] = []
        do {
            for try await event in WatchEventStream<R>(body: .chunks(chunks), omitSpec: omitSpec) {
                out.append(summary(event))
            }
        } catch {
            checkDecodingError(error)
            return (out, "\(error)")
        }
        return (out, nil)
    }
}

/// A successfully decoded line was a JSON object with a known event type and an object.
///
/// JSONDecoder is more lenient than JSONSerialization about the inside of strings: it repairs
/// invalid UTF-8, takes raw control characters, and does not look at bad escapes in strings
/// it never decodes. The API server sends none of these, so that leniency is not a finding:
/// a line JSONSerialization refuses only has to look like an object with a type.
func checkPlausible(_ line: Data) {
    let text = String(decoding: line, as: UTF8.self)
    guard let dict = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        check(trimmed.hasPrefix("{") && trimmed.hasSuffix("}") && trimmed.contains("\"type\""),
              "an event was decoded from a line that is no JSON object: \(text)")
        return
    }
    guard let type = dict["type"] as? String else {
        check(false, "an event was decoded from a JSON object without a type: \(text)")
        return
    }
    check(["ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"].contains(type), "an event of unknown type \(type) was decoded")
    check(dict["object"] is [String: Any], "an event without an object was decoded")
}

func checkDecodingError(_ error: any Error) {
    guard let error = error as? KubernetesError else {
        check(false, "not a KubernetesError: \(type(of: error)) \(error)")
        return
    }
    check(error.reason == .decoding && error.statusCode == nil, "unexpected error \(error)")
    check(!"\(error)".isEmpty, "empty error message")
}

/// A comparable rendering of an event.
func summary<R: KubernetesResource>(_ event: WatchEvent<R>) -> String {
    func json(_ value: some Encodable) -> String {
        (try? KubernetesJSON.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "<unencodable>"
    }
    switch event {
    case .added(let r): return "ADDED \(json(r))"
    case .modified(let r): return "MODIFIED \(json(r))"
    case .deleted(let r): return "DELETED \(json(r))"
    case .bookmark(let rv): return "BOOKMARK \(rv)"
    case .error(let status):
        _ = status.asError.description
        return "ERROR \(json(status))"
    case .undecodable(let object, let deleted):
        check(object.metadata.name.map { !$0.isEmpty } == true, "an undecodable object without a name: \(object)")
        check(!object.problem.isEmpty, "an undecodable object without a problem: \(object)")
        // Without the problem: its coding path follows dictionary order, which differs between
        // two decodes of the same bytes.
        return "UNDECODABLE \(object.metadata.name ?? "") \(object.metadata.resourceVersion ?? "") \(deleted)"
    }
}

/// Runs async code to completion from libFuzzer's synchronous callback.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        box.value = await body()
        done.signal()
    }
    done.wait()
    return box.value!
}

/// Written by the task before it signals, read after the wait.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// A property violation: crash so libFuzzer saves the input.
func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, _ chunks: [Data] = []) {
    if !condition() {
        let cut = chunks.map { "\($0.count)" }.joined(separator: "+")
        fatalError("watch decoder fuzz property violated: \(message())\(cut.isEmpty ? "" : " (chunks of \(cut) bytes)")")
    }
}

runFuzzer(fuzzOne)
