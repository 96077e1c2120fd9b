// libFuzzer target for the validating webhook's decision: AdmissionReview.answer, the whole
// path an API server's request takes (JSON, the ScheduledJob decoder, the reconciler's
// validation, the answer). Built and run by scripts/fuzz.sh (SKED_FUZZ=1).
//
// Input: byte 0 below 0x80 means the rest is a whole request body; otherwise the rest is the
// ScheduledJob's spec (as JSON text) inside a well-formed CREATE review, so the fuzzer spends
// its time in validation rather than in reaching it. Properties: every input gets a JSON
// AdmissionReview answer with the request's uid and a Boolean `allowed`; a refusal has a
// one-line message a condition can hold; a spec that validates is allowed, one that does not is refused.
import FuzzDriver
import Foundation
import K8sClient
import Reconcilers

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let data, count > 0 else { return 0 }
    let bytes = Data(UnsafeBufferPointer(start: data, count: count))
    let wrapped = bytes[bytes.startIndex] >= 0x80
    let rest = bytes.dropFirst()
    let body: Data
    if wrapped {
        let spec = String(decoding: rest, as: UTF8.self)
        body = Data(#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"fuzz-uid","operation":"CREATE","object":{"apiVersion":"sked.dev/v1alpha1","kind":"ScheduledJob","metadata":{"name":"f","namespace":"ns"},"spec":"#.utf8)
            + Data(spec.utf8) + Data("}}}".utf8)
    } else {
        body = Data(rest)
    }
    let answer = AdmissionReview.answer(body, defaultTimeZone: "UTC")
    guard let review = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any],
          review["kind"] as? String == "AdmissionReview", let response = review["response"] as? [String: Any],
          let allowed = response["allowed"] as? Bool else {
        fatalError("not an AdmissionReview answer: \(String(decoding: answer.prefix(300), as: UTF8.self))")
    }
    let request = ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?["request"] as? [String: Any]
    if let uid = request?["uid"] as? String, response["uid"] as? String != uid {
        fatalError("answered uid \(String(describing: response["uid"])) for \(uid)")
    }
    if !allowed {
        guard let message = (response["status"] as? [String: Any])?["message"] as? String, !message.isEmpty else {
            fatalError("a refusal without a message")
        }
        // What a Ready condition's message may hold (metav1.Condition), the same text.
        if message.utf8.count > 32_768 || message.contains("\n") { fatalError("a refusal message of \(message.utf8.count) bytes or lines") }
    }
    // Wrapped: the answer is exactly what validation says of the decoded object.
    if wrapped, let object = request?["object"] as? [String: Any],
       let sj = try? KubernetesJSON.decode(ScheduledJob.self, from: JSONSerialization.data(withJSONObject: object)) {
        let valid: Bool
        if case .failure = sj.spec.validated(defaultTimeZone: "UTC", hashKey: sj.hashKey) { valid = false } else { valid = true }
        if valid != allowed { fatalError("validation says \(valid), the webhook \(allowed)") }
    }
    return 0
}

runFuzzer(fuzzOne)
