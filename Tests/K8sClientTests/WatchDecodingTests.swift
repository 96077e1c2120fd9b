import Foundation
import K8sClient
import Testing

@Suite struct WatchStreamDecoding {
    let added = #"{"type":"ADDED","object":{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":"n","resourceVersion":"5"},"data":{"k":"v"}}}"#
    let bookmark = #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"12"}}}"#
    let gone = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (20)","reason":"Expired","code":410}}"#

    @Test func eventSplitAcrossManyChunksIsDecodedOnceComplete() throws {
        var decoder = WatchLineDecoder()
        let bytes = Data((added + "\n").utf8)
        var lines: [Data] = []
        for i in stride(from: 0, to: bytes.count, by: 7) {
            lines += try decoder.feed(bytes[i..<min(i + 7, bytes.count)])
            if i + 7 < bytes.count { #expect(lines.isEmpty) }
        }
        #expect(lines.count == 1)
        guard case .added(let cm) = try WatchEvent<ConfigMap>.decode(lines[0]) else { Issue.record("not added"); return }
        #expect(cm.data == ["k": "v"])
    }

    @Test func manyEventsInOneChunkAndATrailingLineWithoutNewline() async throws {
        let text = added + "\n\n" + bookmark + "\n" + gone
        let stream = WatchEventStream<ConfigMap>(body: .chunks([Data(text.utf8)]))
        var kinds: [String] = []
        for try await e in stream {
            switch e {
            case .added: kinds.append("added")
            case .bookmark(let rv): kinds.append("bookmark \(rv)")
            case .error(let s): kinds.append("error \(s.code ?? 0) \(s.asError.isResourceExpired)")
            default: kinds.append("other")
            }
        }
        #expect(kinds == ["added", "bookmark 12", "error 410 true"])
    }

    @Test func errorEventsAreDecodedAsStatusNotAsTheResource() throws {
        guard case .error(let status) = try WatchEvent<Job>.decode(Data(gone.utf8)) else { Issue.record("not error"); return }
        #expect(status.reason == "Expired")
        #expect(status.asError.reason == .expired)
    }

    @Test func garbageLineIsADecodingErrorWithTheText() {
        #expect { try WatchEvent<ConfigMap>.decode(Data("{not json".utf8)) } throws: { error in
            (error as? KubernetesError)?.reason == .decoding && "\(error)".contains("{not json")
        }
    }

    @Test func oversizedLineIsRefused() {
        var decoder = WatchLineDecoder(maxLineBytes: 10)
        #expect(throws: KubernetesError.self) { _ = try decoder.feed(Data(repeating: 65, count: 11)) }
    }

    // Found by the watch decoder fuzzer (Fuzz/WatchDecoderFuzzer): only the unfinished rest of
    // a chunk was measured, so the same line was refused or accepted depending on where the
    // HTTP body happened to be cut.
    @Test func oversizedLineIsRefusedEvenWhenItArrivesWholeInOneChunk() throws {
        var decoder = WatchLineDecoder(maxLineBytes: 10)
        #expect(throws: KubernetesError.self) { _ = try decoder.feed(Data(("short\n" + String(repeating: "A", count: 11) + "\n").utf8)) }
        var exact = WatchLineDecoder(maxLineBytes: 10)
        #expect(try exact.feed(Data((String(repeating: "A", count: 10) + "\n").utf8)).map(\.count) == [10])
    }

    // Every chunk used to rescan the whole buffered part of an unfinished line: one 8 MiB event
    // in 16 KiB chunks took about two minutes. Now each byte is scanned once (milliseconds).
    @Test func aLongLineInSmallChunksIsScannedOnce() throws {
        var decoder = WatchLineDecoder()
        let chunk = Data(repeating: UInt8(ascii: "A"), count: 1024)
        let started = ContinuousClock.now
        for _ in 0..<2048 { #expect(try decoder.feed(chunk).isEmpty) }
        let lines = try decoder.feed(Data("\n".utf8))
        #expect(lines.map(\.count) == [2 * 1024 * 1024])
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func jobRoundTripKeepsUnmodelledSpecFields() throws {
        let text = #"{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"j"},"spec":{"backoffLimit":2,"template":{"spec":{"containers":[{"name":"c","image":"busybox:1.36","args":["sh","-c","exit 3"]}],"restartPolicy":"Never"}}},"status":{"active":1,"startTime":"2016-05-19T10:00:00Z"}}"#
        let job = try KubernetesJSON.decode(Job.self, from: Data(text.utf8))
        #expect(job.status?.active == 1)
        #expect(job.status?.startTime == Date(timeIntervalSince1970: 1_463_652_000))
        let again = try KubernetesJSON.decode(JSONValue.self, from: try KubernetesJSON.encode(job))
        let original = try KubernetesJSON.decode(JSONValue.self, from: Data(text.utf8))
        #expect(again["spec"] == original["spec"])
        #expect(again["spec"]?["backoffLimit"] == 2)
    }

    @Test func microTimeIsWrittenWithSixFractionalDigitsAndBothFormsAreRead() {
        let d = Date(timeIntervalSince1970: 1_463_652_000.25)
        #expect(RFC3339.formatMicro(d) == "2016-05-19T10:00:00.250000Z")
        #expect(RFC3339.format(d) == "2016-05-19T10:00:00Z")
        #expect(RFC3339.parse("2016-05-19T10:00:00Z") == Date(timeIntervalSince1970: 1_463_652_000))
        #expect(RFC3339.parse("2016-05-19T10:00:00.250000Z") == d)
        #expect(RFC3339.parse("2016-05-19T12:00:00+02:00") == Date(timeIntervalSince1970: 1_463_652_000))
        #expect(RFC3339.parse("yesterday") == nil)
    }
}

@Suite struct LeanDecoding {
    @Test func aCacheThatNeverReadsThePodTemplateSkipsDecodingIt() throws {
        let text = Data(#"{"metadata":{"name":"j"},"spec":{"template":{"spec":{"containers":[]}}},"status":{"active":1}}"#.utf8)
        let full = try KubernetesJSON.decoder().decode(Job.self, from: text)
        let lean = try KubernetesJSON.decoder(omitSpec: true).decode(Job.self, from: text)
        #expect(full.spec != nil)
        #expect(lean.spec == nil)
        #expect(lean.status?.active == 1 && lean.metadata.name == "j")
        guard case .added(let j) = try WatchEvent<Job>.decode(Data(#"{"type":"ADDED","object":\#(String(decoding: text, as: UTF8.self))}"#.utf8), omitSpec: true) else {
            Issue.record("not added")
            return
        }
        #expect(j.spec == nil)
    }
}
