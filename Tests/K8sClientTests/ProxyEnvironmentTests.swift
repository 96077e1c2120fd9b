import Foundation
import Testing

@testable import K8sClient

/// HTTP_PROXY / HTTPS_PROXY / NO_PROXY as Go's golang.org/x/net/http/httpproxy reads them.
@Suite struct ProxyEnvironmentRules {
    let environment = [
        "HTTP_PROXY": "http://proxy.corp:3128",
        "https_proxy": "http://user:p%40ss@secure-proxy.corp:8080",
        "NO_PROXY": " internal.corp, .svc ,*.cluster.local,10.0.0.0/8, 192.168.1.5, 192.168.1.6:8081, [fd00::1], example.org:8443",
    ]

    @Test(arguments: [
        // scheme picks the variable; no fallback from https to HTTP_PROXY
        ("http://flink.example.com:8081", "http://proxy.corp:3128"),
        ("https://jars.example.com/a.jar", "http://secure-proxy.corp:8080"),
        // never proxied: localhost and loopback
        ("http://localhost:8081", nil), ("http://127.0.0.1:8081", nil), ("http://127.9.9.9", nil), ("http://[::1]:8081", nil),
        // a domain matches itself and its subdomains
        ("http://internal.corp", nil), ("http://a.b.internal.corp", nil), ("http://notinternal.corp", "http://proxy.corp:3128"),
        // a leading "." or "*." matches subdomains only
        ("http://svc", "http://proxy.corp:3128"), ("http://flink.ns.svc:8081", nil),
        ("http://cluster.local", "http://proxy.corp:3128"), ("http://flink.ns.svc.cluster.local", nil),
        // CIDRs and IPs, with and without a port
        ("http://10.1.2.3:8081", nil), ("http://11.1.2.3", "http://proxy.corp:3128"),
        ("http://192.168.1.5:9999", nil), ("http://192.168.1.6:8081", nil), ("http://192.168.1.6:8082", "http://proxy.corp:3128"),
        ("http://[fd00::1]:8081", nil), ("http://[fd00::2]:8081", "http://proxy.corp:3128"),
        // a port on a domain entry
        ("https://example.org:8443/x", nil), ("https://example.org/x", "http://secure-proxy.corp:8080"),
        // case does not matter
        ("HTTP://Flink.NS.SVC:8081", nil),
    ] as [(String, String?)])
    func whichProxyAURLUses(url: String, proxy: String?) throws {
        let proxies = try ProxyEnvironment(environment: environment)
        #expect(proxies.proxy(for: try #require(URL(string: url)))?.description == proxy)
    }

    @Test func theProxyURLsCredentialsAreKeptForTheProxyAndNeverPrinted() throws {
        let proxies = try ProxyEnvironment(environment: environment)
        let https = try #require(proxies.https)
        #expect(https.username == "user" && https.password == "p@ss" && https.host == "secure-proxy.corp" && https.port == 8080)
        #expect(!"\(https)".contains("p@ss") && !"\(https)".contains("user"))
    }

    @Test func noProxyStarAndEmptyMeanWhatTheySay() throws {
        #expect(try ProxyEnvironment(environment: ["HTTP_PROXY": "proxy:3128", "NO_PROXY": "*"]).proxy(for: URL(string: "http://a.example")!) == nil)
        let bare = try ProxyEnvironment(environment: ["HTTP_PROXY": "proxy:3128"])
        #expect(bare.proxy(for: URL(string: "http://a.example")!)?.description == "http://proxy:3128", "a proxy without scheme is http://, port as given")
        #expect(try ProxyEnvironment(environment: [:]) == .none)
        #expect(try ProxyEnvironment(environment: ["HTTPS_PROXY": "socks5://socks.corp"]).https?.description == "socks5://socks.corp:1080")
    }

    @Test(arguments: [
        (["HTTPS_PROXY": "https://proxy.corp:3128"], "HTTPS_PROXY: an https:// proxy (TLS to the proxy itself) is not supported; use http://"),
        (["http_proxy": "ftp://proxy.corp"], "http_proxy: unsupported proxy scheme \"ftp\" (want http or socks5)"),
        (["HTTP_PROXY": "http://"], "HTTP_PROXY: not a proxy URL (want http://host:port)"),
    ])
    func aProxyThatCannotBeUsedIsAnError(environment: [String: String], message: String) {
        #expect(throws: ProxyEnvironmentError.self) { try ProxyEnvironment(environment: environment) }
        do { _ = try ProxyEnvironment(environment: environment) } catch { #expect("\(error)" == message) }
    }
}
