import K8sClient
import Testing

/// Transports say what went wrong as a `TransportError`; the Kubernetes client turns it into
/// the `KubernetesError` whose `isTransient` its retries follow.
@Suite struct TransportErrors {
    @Test(arguments: [
        (TransportError.Kind.connection, KubernetesError.Reason.transport, nil as Int?, true),
        (.tls, .tls, nil, false),
        (.tooLarge(status: 200, limit: 1024), .tooLarge, 200, false),
        (.redirectRefused(status: 302), .transport, 302, true),
        (.tooManyRedirects, .transport, nil, true),
    ])
    func eachKindBecomesTheKubernetesErrorItsRetriesFollow(kind: TransportError.Kind, reason: KubernetesError.Reason, status: Int?, transient: Bool) {
        let e = KubernetesError(TransportError(kind, method: "GET", path: "/api/v1/pods", detail: "what happened"))
        #expect(e.reason == reason)
        #expect(e.statusCode == status)
        #expect(e.isTransient == transient)
        #expect(e.message == "GET /api/v1/pods: what happened")
    }
}
