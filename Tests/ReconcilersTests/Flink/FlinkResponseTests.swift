import Foundation
import Testing

@testable import Reconcilers

/// The Flink REST shapes recorded from Flink 2.3.0 (docs/flink-testing.md).
@Suite struct FlinkRESTShapes {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T { try JSONDecoder().decode(type, from: Data(json.utf8)) }

    @Test func jobIDsAreDeterministic32HexPerRun() {
        let a = FlinkJobID.derive(scheduledJobUID: "uid-1", runName: "etl-1795628832")
        #expect(a.count == 32)
        #expect(a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a == FlinkJobID.derive(scheduledJobUID: "uid-1", runName: "etl-1795628832"))
        #expect(a != FlinkJobID.derive(scheduledJobUID: "uid-1", runName: "etl-1795628842"))
        #expect(a != FlinkJobID.derive(scheduledJobUID: "uid-2", runName: "etl-1795628832"))
    }

    @Test(arguments: FlinkJobState.allCases)
    func onlyTerminalStatesHaveAResult(state: FlinkJobState) {
        switch state {
        case .finished: #expect(state.result == .succeeded)
        case .failed: #expect(state.result == .failed)
        case .canceled: #expect(state.result == .cancelled)
        default: #expect(state.result == nil)
        }
    }

    @Test func uploadRunStatusAndTriggerAnswersDecode() throws {
        let upload = try decode(FlinkResponses.Upload.self, #"{"filename":"/tmp/fc1/web/flink-web-upload/7caed198-bf0e-45e6-966e-3e11339116f2_sked-flink-testjob.jar","status":"success"}"#)
        #expect(upload.jarID == "7caed198-bf0e-45e6-966e-3e11339116f2_sked-flink-testjob.jar")
        #expect(try decode(FlinkResponses.Run.self, #"{"jobid":"72b821487a334a478aea3c4800602019","applicationId":"72b821487a334a478aea3c4800602019"}"#).jobid == "72b821487a334a478aea3c4800602019")
        #expect(try decode(FlinkResponses.Status.self, #"{"status":"RUNNING"}"#).state == .running)
        #expect(try decode(FlinkResponses.Trigger.self, #"{"request-id":"c47feef1686372c04fef142ee150db35"}"#).requestID == "c47feef1686372c04fef142ee150db35")
        let jars = try decode(FlinkResponses.Jars.self, #"{"address":"http://127.0.0.1:52679","files":[{"id":"7c_x.jar","name":"x.jar","uploaded":1795628829426,"entry":[{"name":"dev.sked.testjob.TestJob","description":null}]}]}"#)
        #expect(jars.files.map(\.id) == ["7c_x.jar"])
    }

    @Test func savepointOperationsInProgressCompletedAndFailedAreTold() throws {
        #expect(try decode(FlinkResponses.SavepointOperation.self, #"{"status":{"id":"IN_PROGRESS"},"operation":null}"#).outcome == .inProgress)
        #expect(try decode(FlinkResponses.SavepointOperation.self, #"{"status":{"id":"COMPLETED"},"operation":{"location":"file:/tmp/fc1/savepoints/savepoint-8f9394-8b6f97ac9fff"}}"#).outcome
            == .completed(location: "file:/tmp/fc1/savepoints/savepoint-8f9394-8b6f97ac9fff"))
        let failed = try decode(FlinkResponses.SavepointOperation.self, #"""
            {"status":{"id":"COMPLETED"},"operation":{"failure-cause":{"class":"java.util.concurrent.CompletionException",
             "stack-trace":"java.util.concurrent.CompletionException: org.apache.flink.runtime.checkpoint.CheckpointException: Not all required tasks are currently running.\n\tat x\nCaused by: org.apache.flink.runtime.checkpoint.CheckpointException: Checkpoint triggering task is not being executed at the moment. Failure reason: Not all required tasks are currently running.\n\tat y",
             "serialized-throwable":"rO0AB"}}}
            """#)
        guard case .failed(let message) = failed.outcome else { Issue.record("not failed"); return }
        #expect(message.hasPrefix("Checkpoint triggering task is not being executed"))
        #expect(message.hasSuffix("(org.apache.flink.runtime.checkpoint.CheckpointException)"))
    }

    @Test func theUsersFailureMessageIsFoundInTheExceptionHistory() throws {
        let exceptions = try decode(FlinkResponses.Exceptions.self, #"""
            {"exceptionHistory":{"entries":[{"exceptionName":"org.apache.flink.runtime.JobException",
             "stacktrace":"org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy\n\tat a\nCaused by: java.lang.RuntimeException: sked test job: intentional failure\n\tat dev.sked.testjob.TestJob$FailAfter.map(TestJob.java:122)",
             "timestamp":1795628848264,"failureLabels":{},
             "concurrentExceptions":[{"exceptionName":"java.lang.RuntimeException","stacktrace":"java.lang.RuntimeException: sked test job: intentional failure\n\tat b"}]}],
             "truncated":false}}
            """#)
        #expect(exceptions.rootMessage == "sked test job: intentional failure (java.lang.RuntimeException)")
        #expect(try decode(FlinkResponses.Exceptions.self, #"{"exceptionHistory":{"entries":[],"truncated":false}}"#).rootMessage == nil)
    }

    @Test func errorAnswersAreClassified() {
        let duplicate = FlinkRESTError(statusCode: 400, body: Data(#"{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n\tat x\nCaused by: org.apache.flink.runtime.client.DuplicateApplicationSubmissionException: Application has already been submitted.\n\tat y"]}"#.utf8))
        #expect(duplicate.isDuplicateSubmission)
        #expect(!duplicate.isTransient)
        #expect(duplicate.message == "Application has already been submitted. (org.apache.flink.runtime.client.DuplicateApplicationSubmissionException)")

        let entry = FlinkRESTError(statusCode: 500, body: Data(#"{"errors":["Internal server error.","<Exception on server side:\norg.apache.flink.client.program.ProgramInvocationException: The program's entry point class 'dev.sked.Nope' was not found in the jar file.\n\tat z"]}"#.utf8))
        #expect(entry.message.contains("entry point class 'dev.sked.Nope' was not found"))
        #expect(!entry.isTransient)  // a 500, but retrying cannot fix a wrong entry class

        let missing = FlinkRESTError(statusCode: 404, body: Data(#"{"errors":["org.apache.flink.runtime.rest.NotFoundException: Job 72b8 not found\n\tat q"]}"#.utf8))
        #expect(missing.isNotFound)

        let gateway = FlinkRESTError(statusCode: 503, body: Data("<html>Service Unavailable</html>".utf8))
        #expect(gateway.isTransient)
        #expect(gateway.message == "HTTP 503")
        // A body that is not Flink's is never repeated: it reaches status and Events.
        let leaky = FlinkRESTError(statusCode: 500, body: Data("INTERNAL-ONLY db_password=hunter2\n".utf8))
        #expect(leaky.message == "HTTP 500" && !leaky.description.contains("hunter2") && leaky.isTransient)
    }

    /// Errors are told apart by the exception classes Flink names, not by words in a message.
    @Test func classesAreReadFromTheAnswerNotFromItsWords() {
        let duplicate = FlinkRESTError(statusCode: 400, body: Data(#"{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\n\tat x\nCaused by: org.apache.flink.runtime.client.DuplicateApplicationSubmissionException: Application has already been submitted.\n\tat y"]}"#.utf8))
        #expect(duplicate.exceptionClasses == ["org.apache.flink.runtime.rest.handler.RestHandlerException", "org.apache.flink.runtime.client.DuplicateApplicationSubmissionException"])
        // The job's own code could not load a class: that is a failed run, not an unknown job.
        let classMissing = FlinkRESTError(statusCode: 500, body: Data(#"{"errors":["org.apache.flink.client.program.ProgramInvocationException: The main method caused an error\nCaused by: java.lang.ClassNotFoundException: com.example.Helper\n\tat java.base/jdk.internal.loader.BuiltinClassLoader.loadClass(BuiltinClassLoader.java:641)"]}"#.utf8))
        #expect(classMissing.exceptionClasses == ["org.apache.flink.client.program.ProgramInvocationException", "java.lang.ClassNotFoundException"])
        #expect(!classMissing.isNotFound && !classMissing.isTransient)
        // A message that only mentions a class name does not count as that class.
        let mention = FlinkRESTError(statusCode: 503, body: Data(#"{"errors":["the dispatcher is busy (previously: DuplicateJobSubmissionException)"]}"#.utf8))
        #expect(mention.exceptionClasses.isEmpty && !mention.isDuplicateSubmission && mention.isTransient)
        let jarGone = FlinkRESTError(statusCode: 500, body: Data(#"{"errors":["org.apache.flink.runtime.rest.handler.RestHandlerException: Jar file /tmp/flink-web-upload/ab_job.jar does not exist"]}"#.utf8))
        #expect(jarGone.isMissingJar && !jarGone.isTransient)
        #expect(FlinkRESTError.unexpectedAnswer("GET /jobs").kind == .unexpectedAnswer && !FlinkRESTError.unexpectedAnswer("GET /jobs").isTransient)
    }
}
