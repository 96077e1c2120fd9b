import Foundation
@testable import K8sClient
import Testing

/// Builds protobuf messages for the tests (the real API server's bytes are checked against
/// JSON in the integration tests).
struct ProtobufWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    func field(_ number: Int, _ value: UInt64) -> ProtobufWriter {
        var w = self
        w.varint(UInt64(number) << 3)
        w.varint(value)
        return w
    }

    func field(_ number: Int, _ message: [UInt8]) -> ProtobufWriter {
        var w = self
        w.varint(UInt64(number) << 3 | 2)
        w.varint(UInt64(message.count))
        w.bytes += message
        return w
    }

    func field(_ number: Int, _ text: String) -> ProtobufWriter { field(number, Array(text.utf8)) }
    func field(_ number: Int, _ message: ProtobufWriter) -> ProtobufWriter { field(number, message.bytes) }
}

func envelope(_ kind: String, _ object: ProtobufWriter) -> [UInt8] {
    let unknown = ProtobufWriter().field(1, ProtobufWriter().field(1, "batch/v1").field(2, kind)).field(2, object)
    return [0x6b, 0x38, 0x73, 0x00] + unknown.bytes
}

func watchFrame(_ type: String, _ object: [UInt8]) -> [UInt8] {
    let event = ProtobufWriter().field(1, type).field(2, ProtobufWriter().field(1, object)).bytes
    let n = event.count
    return [UInt8(n >> 24 & 0xff), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)] + event
}

@Suite struct ProtobufDecoding {
    let job: ProtobufWriter = {
        let time = ProtobufWriter().field(1, 1_767_225_601)
        var meta = ProtobufWriter().field(1, "sj-1").field(2, "").field(3, "ns").field(5, "uid-1").field(6, "42").field(7, 1)
            .field(8, time)
            .field(11, ProtobufWriter().field(1, "sked.dev/scheduled-job").field(2, "sj"))
            .field(12, ProtobufWriter().field(1, "sked.dev/attempt").field(2, "2"))
            .field(13, ProtobufWriter().field(1, "ScheduledJob").field(3, "sj").field(4, "uid-sj").field(5, "sked.dev/v1alpha1").field(6, 1))
            .field(99, 7)  // a field from a newer API version
        meta.varint(50 << 3 | 1)  // and a fixed64 one
        meta.bytes += [1, 2, 3, 4, 5, 6, 7, 8]
        let condition = ProtobufWriter().field(1, "Complete").field(2, "True").field(4, time).field(5, "").field(6, "")
        let status = ProtobufWriter().field(1, condition).field(2, time).field(3, time).field(4, 0).field(5, 1)
        let spec = ProtobufWriter().field(1, Array(repeating: 0xff, count: 64))  // never looked at
        return ProtobufWriter().field(1, meta).field(2, spec).field(3, status)
    }()

    var expected: Job {
        let t = Date(timeIntervalSince1970: 1_767_225_601)
        var meta = ObjectMeta(
            name: "sj-1", namespace: "ns", labels: ["sked.dev/scheduled-job": "sj"], annotations: ["sked.dev/attempt": "2"],
            ownerReferences: [OwnerReference(apiVersion: "sked.dev/v1alpha1", kind: "ScheduledJob", name: "sj", uid: "uid-sj", controller: true)],
            resourceVersion: "42")
        meta.uid = "uid-1"
        meta.generation = 1
        meta.creationTimestamp = t
        return Job(metadata: meta, status: JobStatus(conditions: [JobCondition(type: "Complete", status: "True", lastTransitionTime: t)], startTime: t, completionTime: t, succeeded: 1))
    }

    @Test func aJobIsDecodedWithItsSpecAndUnknownFieldsSkipped() throws {
        let decoded = try KubernetesProtobuf.decode(Job.self, from: Data(envelope("Job", job)))
        #expect(decoded == expected)
    }

    @Test func aListKeepsItsItemsAndContinueToken() throws {
        let list = ProtobufWriter().field(1, ProtobufWriter().field(2, "77").field(3, "next-page")).field(2, job).field(2, job)
        let decoded = try KubernetesProtobuf.decodeList(Job.self, from: Data(envelope("JobList", list)))
        #expect(decoded.items == [expected, expected])
        #expect(decoded.metadata.resourceVersion == "77" && decoded.metadata.continue == "next-page")
    }

    @Test func framesSplitAtEveryByteDecodeTheSameEvents() async throws {
        let bookmark = ProtobufWriter().field(1, ProtobufWriter().field(6, "90"))
        let gone = ProtobufWriter().field(2, "Failure").field(3, "too old resource version").field(4, "Expired").field(6, 410)
        let bytes = watchFrame("ADDED", envelope("Job", job)) + watchFrame("BOOKMARK", envelope("Job", bookmark)) + watchFrame("ERROR", envelope("Status", gone))
        for chunks in [[Data(bytes)], bytes.map { Data([$0]) }] {
            var seen: [String] = []
            for try await event in WatchEventStream<Job>(body: .chunks(chunks)) {
                switch event {
                case .added(let j): seen.append(j == expected ? "added" : "wrong \(j)")
                case .bookmark(let rv): seen.append("bookmark \(rv)")
                case .error(let s): seen.append("error \(s.asError.isResourceExpired) \(s.message ?? "")")
                default: seen.append("other")
                }
            }
            #expect(seen == ["added", "bookmark 90", "error true too old resource version"])
        }
    }

    @Test func aStreamThatEndsInsideAFrameIsAnError() async throws {
        let frame = watchFrame("ADDED", envelope("Job", job))
        var it = WatchEventStream<Job>(body: .chunks([Data(frame.dropLast(3))])).makeAsyncIterator()
        await #expect(throws: KubernetesError.self) { _ = try await it.next() }
    }

    @Test func anOversizedFrameIsRefusedBeforeItIsBuffered() throws {
        var decoder = WatchFrameDecoder(maxFrameBytes: 1024)
        #expect(throws: KubernetesError.self) { _ = try decoder.feed(Data([0x00, 0x10, 0x00, 0x00, 0x01])) }
    }

    @Test func malformedMessagesAreDecodingErrorsNotCrashes() throws {
        let cases: [[UInt8]] = [
            [0x0a, 0x05, 0x61],  // a string longer than what is left
            [0x08, 0xff, 0xff],  // a truncated varint
            [0x0f, 0x00],  // wire type 7
            [0x08] + Array(repeating: 0xff, count: 10) + [0x7f],  // a varint over 64 bits
            [0x00, 0x01],  // field number 0
        ]
        for bytes in cases {
            #expect(throws: KubernetesError.self) { _ = try KubernetesProtobuf.decode(Job.self, from: Data(envelope("Job", ProtobufWriter().field(1, bytes)))) }
        }
        #expect(throws: KubernetesError.self) { _ = try KubernetesProtobuf.decode(Job.self, from: Data("{\"kind\":\"Job\"}".utf8)) }
    }

    @Test func aProtobufErrorBodyBecomesTheErrorItDescribes() {
        let status = ProtobufWriter().field(2, "Failure").field(3, #"jobs.batch "x" not found"#).field(4, "NotFound").field(6, 404)
        let error = KubernetesError.fromResponse(statusCode: 404, body: Data(envelope("Status", status)))
        #expect(error.isNotFound)
        #expect(error.message == #"jobs.batch "x" not found"#)
    }
}
