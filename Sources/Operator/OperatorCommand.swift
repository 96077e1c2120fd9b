import ArgumentParser
import Foundation
import K8sClient
import Logging
import Reconcilers

/// `sked operator`: run the controller.
struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "operator", abstract: "Run the ScheduledJob controller.")

    @Option(help: "Path to a kubeconfig (default: $KUBECONFIG, in-cluster, ~/.kube/config).")
    var kubeconfig: String?

    @Option(help: "kubeconfig context to use.")
    var context: String?

    @Option(help: "Only watch this namespace (default: all namespaces; env SKED_NAMESPACE).")
    var namespace: String?

    @Option(help: "Concurrent reconcile workers (env SKED_WORKERS).")
    var workers: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, warning or error (env LOG_LEVEL).")
    var logLevel: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let levelName = (logLevel ?? env["LOG_LEVEL"] ?? "info").lowercased()
        guard let level = Logger.Level(rawValue: levelName) else {
            throw fail("--log-level \"\(levelName)\" is not one of trace, debug, info, warning, error")
        }
        let workerCount = workers ?? env["SKED_WORKERS"].flatMap(Int.init) ?? 8
        guard workerCount >= 1 else { throw fail("--workers must be at least 1") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sked")
        let configuration: ClientConfiguration
        do {
            configuration = try ClientConfiguration.load(kubeconfig: kubeconfig, context: context)
        } catch {
            throw fail("\(error)")
        }
        let ns = namespace ?? env["SKED_NAMESPACE"].flatMap { $0.isEmpty ? nil : $0 }
        logger.info("starting sked \(SkedVersion.current)", metadata: ["cluster": "\(configuration)", "namespace": "\(ns ?? "(all)")", "workers": "\(workerCount)"])

        let transport = try AsyncHTTPClientTransport(configuration: configuration)
        let client = KubernetesClient(configuration: configuration, transport: transport, logger: logger)
        let controller = ScheduledJobController(client: client, namespace: ns, workers: workerCount, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await controller.run { logger.info("ready") }
                } catch is CancellationError {
                } catch {
                    logger.error("controller stopped", metadata: ["error": "\(error)"])
                }
            }
            group.addTask {
                let signal = await ShutdownSignal.wait()
                logger.info("shutting down", metadata: ["signal": "\(signal)"])
            }
            await group.next()
            group.cancelAll()
        }
        try? await transport.shutdown()
        logger.info("stopped")
    }
}

/// Waits for SIGTERM or SIGINT.
enum ShutdownSignal {
    static func wait() async -> String {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(1))
        var sources: [DispatchSourceSignal] = []
        for (sig, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
        let got = await withTaskCancellationHandler {
            var it = stream.makeAsyncIterator()
            return await it.next() ?? "cancelled"
        } onCancel: {
            continuation.finish()
        }
        sources.forEach { $0.cancel() }
        return got
    }
}
