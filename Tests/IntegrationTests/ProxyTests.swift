import Foundation
import K8sClient
import K8sTestSupport
import Reconcilers
import Testing

/// JAR downloads and the Flink REST client go through HTTP_PROXY when the environment names
/// one. The URLs use names only the proxy can resolve, so a request that arrives at all came
/// through it.
@Suite struct ProxiedUserURLs {
    @Test func jarDownloadsAndFlinkCallsGoThroughTheProxyWithItsCredentials() async throws {
        let files = try TestFileServer()
        defer { files.stop() }
        let jar = Data([0x50, 0x4B, 0x03, 0x04]) + Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try files.serve("job.jar", jar)
        let flink = try await TestFlinkCluster.shared()
        let filePort = try #require(URL(string: files.baseURL)?.port)
        let flinkPort = try #require(URL(string: flink.url)?.port)
        let proxy = try TestForwardProxy(mapping: ["jars.sked.test": "127.0.0.1", "flink.sked.test": "127.0.0.1"])
        defer { proxy.stop() }
        let proxyURL = proxy.url.replacingOccurrences(of: "http://", with: "http://sked:s3cret@")
        let transports = HTTPTransports.external(proxies: try ProxyEnvironment(environment: ["HTTP_PROXY": proxyURL, "NO_PROXY": "direct.sked.test"]))

        let downloader = JarDownloader(transports: transports, maxBytes: 1 << 20, timeout: .seconds(60))
        let file = try await downloader.download(URL(string: "http://jars.sked.test:\(filePort)/job.jar")!, headers: [:])
        defer { try? FileManager.default.removeItem(at: file) }
        #expect(try Data(contentsOf: file) == jar)

        let rest = FlinkRESTClient(transport: transports.transport(base: URL(string: "http://flink.sked.test:\(flinkPort)")!))
        let overview = try await rest.overview()
        #expect(overview["flink-version"]?.stringValue?.hasPrefix("2.") == true, "\(overview)")

        let basic = "Basic " + Data("sked:s3cret".utf8).base64EncodedString()
        let seen = proxy.requests
        // AsyncHTTPClient tunnels http:// through the proxy with CONNECT too.
        #expect(seen.contains("CONNECT jars.sked.test:\(filePort) auth=\(basic)"), "\(seen)")
        #expect(seen.contains("CONNECT flink.sked.test:\(flinkPort) auth=\(basic)"), "\(seen)")

        // Loopback and NO_PROXY's names are reached directly: the proxy sees nothing more.
        let before = proxy.requests.count
        let direct = try await downloader.download(URL(string: "\(files.baseURL)/job.jar")!, headers: [:])
        try? FileManager.default.removeItem(at: direct)
        await #expect(throws: (any Error).self) {
            _ = try await downloader.download(URL(string: "http://direct.sked.test:\(filePort)/job.jar")!, headers: [:])
        }
        #expect(proxy.requests.count == before, "\(proxy.requests)")
    }
}
