import Foundation
import K8sClient
import K8sRuntime
import K8sTestSupport
import Logging
import Testing

/// The Lease's owner Deployment (`--leader-election-owner-deployment`), against the real API
/// server and garbage collector: the Lease goes with the Deployment, and none is created
/// while the Deployment is gone, so an uninstall leaves no Lease behind.
@Suite struct LeaseOwnership {
    static func deployment(_ name: String) -> UnstructuredObject {
        UnstructuredObject(apiVersion: "apps/v1", kind: "Deployment", metadata: ObjectMeta(name: name), fields: [
            "spec": [
                "replicas": 0,
                "selector": ["matchLabels": ["app": .string(name)]],
                "template": ["metadata": ["labels": ["app": .string(name)]], "spec": ["containers": [["name": "c", "image": "busybox:1.36"]]]],
            ],
        ])
    }

    func configuration(_ ns: String, owner: String) -> LeaderElectionConfiguration {
        LeaderElectionConfiguration(
            leaseName: "owned", namespace: ns, leaseDuration: .seconds(3), renewDeadline: .seconds(2), retryPeriod: .milliseconds(200),
            ownerDeployment: owner)
    }

    @Test func theLeaseBelongsToTheDeploymentAndIsNotCreatedWithoutIt() async throws {
        let plane = try await TestControlPlane.shared()
        try await plane.withNamespace("lease") { client, ns in
            let deployments = client.api(UnstructuredObject.self, namespace: ns, resource: .deployments)
            let leases = client.api(Lease.self, namespace: ns)
            let created = try await deployments.create(Self.deployment("operator"))

            // Leading creates the Lease with the Deployment as its owner.
            let elector = try LeaderElector(client: client, configuration: configuration(ns, owner: "operator"), logger: Logger(label: "test"))
            let led = LockedBox(false)
            let run = Task { try await elector.run { led.value = true; try await Task.sleep(for: .seconds(600)) } }
            #expect(await eventually(timeout: .seconds(60)) { led.value })
            let lease = try #require(try await leases.getIfPresent("owned"))
            #expect(lease.metadata.ownerReferences == [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "operator", uid: created.metadata.uid ?? "")])
            run.cancel()
            _ = try? await run.value

            // The garbage collector removes the Lease with its Deployment.
            try await deployments.delete("operator")
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) { try await leases.getIfPresent("owned") == nil },
                    "the Lease was garbage-collected with its Deployment")

            // Without the Deployment no Lease is made, and nobody leads.
            let orphan = try LeaderElector(client: client, configuration: configuration(ns, owner: "operator"), logger: Logger(label: "test"))
            let ledAgain = LockedBox(false)
            let again = Task { try await orphan.run { ledAgain.value = true } }
            try await Task.sleep(for: .seconds(2))
            again.cancel()
            _ = try? await again.value
            #expect(!ledAgain.value)
            #expect(try await leases.getIfPresent("owned") == nil)
        }
    }
}
