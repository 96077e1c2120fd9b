import Foundation
import K8sClient
import Testing

/// An in-memory file system for configuration tests.
func environment(_ files: [String: String], variables: [String: String] = [:], home: String = "/home/u") -> ClientConfiguration.Environment {
    ClientConfiguration.Environment(
        variables: variables, homeDirectory: home, serviceAccountDirectory: "/sa",
        readFile: { path in
            guard let text = files[path] else { throw CocoaError(.fileNoSuchFile) }
            return Data(text.utf8)
        })
}

let basicKubeconfig = """
    apiVersion: v1
    kind: Config
    current-context: dev
    clusters:
    - name: c1
      cluster:
        server: https://10.1.2.3:6443/
        certificate-authority: certs/ca.crt
        tls-server-name: api.internal
    users:
    - name: u1
      user:
        token: secret-token
    - name: u2
      user:
        tokenFile: tok
    - name: u3
      user:
        username: alice
        password: pw
    - name: u4
      user:
        client-certificate-data: Q0VSVA==
        client-key-data: S0VZ
    - name: u5
      user:
        exec:
          command: aws
    - name: u6
      user:
        auth-provider:
          name: gcp
    contexts:
    - name: dev
      context: {cluster: c1, user: u1, namespace: team-a}
    - name: file
      context: {cluster: c1, user: u2}
    - name: basic
      context: {cluster: c1, user: u3}
    - name: certs
      context: {cluster: c1, user: u4}
    - name: exec
      context: {cluster: c1, user: u5}
    - name: authp
      context: {cluster: c1, user: u6}
    """

@Suite struct KubeConfigLoading {
    let files = ["/cfg/config": basicKubeconfig, "/cfg/certs/ca.crt": "CA-PEM", "/cfg/tok": "file-token\n"]

    @Test func currentContextGivesServerNamespaceTokenAndCAResolvedRelativeToTheFile() throws {
        let c = try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], environment: environment(files))
        #expect(c.server == "https://10.1.2.3:6443")
        #expect(c.namespace == "team-a")
        #expect(c.authentication == .bearerToken("secret-token"))
        #expect(c.certificateAuthorityPEM == Array("CA-PEM".utf8))
        #expect(c.tlsServerName == "api.internal")
        #expect(c.insecureSkipTLSVerify == false)
    }

    @Test func explicitContextSelectsTokenFileBasicAuthAndClientCertificates() throws {
        let env = environment(files)
        let file = try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], context: "file", environment: env)
        #expect(file.authentication == .bearerTokenFile("/cfg/tok"))
        #expect(file.namespace == "default")
        let basic = try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], context: "basic", environment: env)
        #expect(basic.authentication == .basic(username: "alice", password: "pw"))
        let certs = try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], context: "certs", environment: env)
        #expect(certs.clientCertificatePEM == Array("CERT".utf8))
        #expect(certs.clientKeyPEM == Array("KEY".utf8))
    }

    @Test(arguments: [("exec", "exec: apiVersion \"\" is not one of client.authentication.k8s.io/v1, client.authentication.k8s.io/v1beta1"), ("authp", "auth-provider"), ("nope", "context \"nope\" not found")])
    func unsupportedOrMissingThingsAreNamedInTheError(context: String, expected: String) {
        #expect {
            try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], context: context, environment: environment(files))
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func anExecPluginIsResolvedRelativeToTheFileAndItsModeChecked() throws {
        let config = """
            current-context: x
            clusters: [{name: c, cluster: {server: "https://h:1"}}]
            users:
            - name: rel
              user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: bin/get-token, args: [--cluster, c], env: [{name: A, value: b}]}}
            - name: path
              user: {exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: get-token}}
            - name: tty
              user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x, interactiveMode: Always}}
            contexts:
            - {name: x, context: {cluster: c, user: rel}}
            - {name: p, context: {cluster: c, user: path}}
            - {name: t, context: {cluster: c, user: tty}}
            """
        let env = environment(["/cfg/config": config])
        let rel = try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], environment: env)
        var expected = ExecConfig(command: "/cfg/bin/get-token", args: ["--cluster", "c"], env: [.init(name: "A", value: "b")])
        #expect(rel.authentication == .exec(expected))
        #expect(!"\(rel)".contains("--cluster"))
        expected = ExecConfig(command: "get-token", apiVersion: "client.authentication.k8s.io/v1beta1")
        #expect(try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], context: "p", environment: env).authentication == .exec(expected))
        #expect { try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], context: "t", environment: env) } throws: {
            "\($0)".contains("interactiveMode Always needs a terminal")
        }
    }

    @Test func kubeconfigListIsMergedFirstDefinitionWins() throws {
        let a = """
            current-context: second
            clusters:
            - name: c1
              cluster: {server: "https://first:1", insecure-skip-tls-verify: true}
            """
        let b = """
            current-context: ignored
            clusters:
            - name: c1
              cluster: {server: "https://second:2"}
            users:
            - name: u
              user: {token: t}
            contexts:
            - name: second
              context: {cluster: c1, user: u, namespace: ns2}
            """
        let env = environment(["/a": a, "/b": b], variables: ["KUBECONFIG": "/a:/missing:/b"])
        let c = try ClientConfiguration.load(environment: env)
        #expect(c.server == "https://first:1")
        #expect(c.insecureSkipTLSVerify)
        #expect(c.namespace == "ns2")
        #expect(c.authentication == .bearerToken("t"))
    }

    @Test func inClusterConfigurationReadsTheServiceAccountMount() throws {
        let env = environment(
            ["/sa/token": "sa-token", "/sa/ca.crt": "CA", "/sa/namespace": "sked-system\n"],
            variables: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"])
        let c = try ClientConfiguration.load(environment: env)
        #expect(c.server == "https://10.0.0.1:443")
        #expect(c.authentication == .bearerTokenFile("/sa/token"))
        #expect(c.namespace == "sked-system")
        #expect(c.certificateAuthorityPEM == Array("CA".utf8))
    }

    @Test func inClusterIPv6HostIsBracketed() throws {
        let env = environment(["/sa/token": "t", "/sa/ca.crt": "CA"], variables: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "443"])
        #expect(try ClientConfiguration.inCluster(environment: env).server == "https://[fd00::1]:443")
    }

    @Test func homeKubeconfigIsTheLastResort() throws {
        let env = environment(["/home/u/.kube/config": basicKubeconfig, "/home/u/.kube/certs/ca.crt": "X"])
        #expect(try ClientConfiguration.load(environment: env).server == "https://10.1.2.3:6443")
    }

    @Test func whenNothingWorksTheErrorListsEveryCause() {
        #expect {
            try ClientConfiguration.load(environment: environment([:]))
        } throws: { error in
            let text = "\(error)"
            return text.contains("KUBERNETES_SERVICE_HOST") && text.contains("/home/u/.kube/config")
        }
    }

    @Test func invalidYAMLNamesTheFile() {
        #expect {
            try ClientConfiguration.fromKubeConfigFiles(["/bad"], environment: environment(["/bad": "clusters: [: :"]))
        } throws: { "\($0)".contains("/bad") }
    }

    @Test func descriptionNeverContainsCredentials() throws {
        let c = try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], environment: environment(files))
        #expect(!"\(c)".contains("secret-token"))
        let basic = try ClientConfiguration.fromKubeConfigFiles(["/cfg/config"], context: "basic", environment: environment(files))
        #expect(!"\(basic)".contains("pw"))
    }
}
