package dev.sked.testjob;

import java.util.Arrays;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The Flink job sked's integration tests submit through the JobManager REST API.
 *
 * <pre>
 *   --mode batch --seconds N   bounded: ~N seconds (10 records/s in total), then FINISHED (default N=3)
 *   --mode fail                throws "sked test job: intentional failure" after ~1 s: FAILED (no restarts)
 *   --mode fail-main           throws in main() before building a job: the run request itself fails
 *   --mode stream              unbounded (10 records/s, checkpoint every 5 s), until cancelled or
 *                              stopped; checkpointable (stop-with-savepoint, resume from savepoint)
 *   --mode echo-args ARGS...   bounded: prints every argument to the TaskManager's stdout, FINISHED
 *   --name NAME                the job's name (default "sked-testjob-MODE"; echo-args: the arguments)
 * </pre>
 *
 * Flink 2.x has no ParameterTool in flink-dist, so arguments are parsed by hand.
 */
public final class TestJob {
    static final long RECORDS_PER_SECOND = 10;

    public static void main(String[] args) throws Exception {
        String mode = "batch";
        String name = null;
        long seconds = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode": mode = value(args, ++i); break;
                case "--name": name = value(args, ++i); break;
                case "--seconds": seconds = Long.parseLong(value(args, ++i)); break;
                default:
                    if (!"echo-args".equals(mode)) {
                        throw new IllegalArgumentException("sked test job: unknown argument '" + args[i] + "'");
                    }
            }
        }

        Configuration conf = new Configuration();
        if (!"stream".equals(mode)) {
            // A failing test job must fail at once, whatever the cluster's default restart strategy.
            conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);

        switch (mode) {
            case "batch":
                counter(env, Math.max(1, seconds * RECORDS_PER_SECOND))
                        .sinkTo(new DiscardingSink<>()).uid("sink").name("discard");
                break;
            case "fail":
                counter(env, Long.MAX_VALUE)
                        .map(new FailAfter(1000)).uid("fail").name("fail-after-1s")
                        .sinkTo(new DiscardingSink<>()).uid("sink").name("discard");
                break;
            case "fail-main":
                throw new IllegalStateException("sked test job: intentional failure in main()");
            case "stream":
                env.enableCheckpointing(5000);
                counter(env, Long.MAX_VALUE)
                        .sinkTo(new DiscardingSink<>()).uid("sink").name("discard");
                break;
            case "echo-args":
                env.fromData(args.length == 0 ? new String[] {"(no arguments)"} : args).name("args")
                        .print().name("stdout");
                if (name == null) {
                    name = "echo-args: " + String.join(" ", args);
                }
                System.out.println("sked test job args: " + Arrays.toString(args));
                break;
            default:
                throw new IllegalArgumentException(
                        "sked test job: unknown --mode '" + mode + "' (batch, fail, fail-main, stream, echo-args)");
        }
        env.execute(name != null ? name : "sked-testjob-" + mode);
    }

    /** A checkpointable (FLIP-27) source of 0..count-1, throttled to 10 records/s in total. */
    static DataStream<Long> counter(StreamExecutionEnvironment env, long count) {
        DataGeneratorSource<Long> source = new DataGeneratorSource<>(
                (GeneratorFunction<Long, Long>) i -> i,
                count,
                RateLimiterStrategy.perSecond(RECORDS_PER_SECOND),
                Types.LONG);
        return env.fromSource(source, WatermarkStrategy.noWatermarks(), "counter").uid("counter");
    }

    static String value(String[] args, int i) {
        if (i >= args.length) {
            throw new IllegalArgumentException("sked test job: " + args[i - 1] + " needs a value");
        }
        return args[i];
    }

    /** Passes records through, then throws once the first record is older than {@code millis}. */
    static final class FailAfter implements MapFunction<Long, Long> {
        private final long millis;
        private transient long first;

        FailAfter(long millis) {
            this.millis = millis;
        }

        @Override
        public Long map(Long value) {
            long now = System.currentTimeMillis();
            if (first == 0) {
                first = now;
            } else if (now - first >= millis) {
                throw new RuntimeException("sked test job: intentional failure");
            }
            return value;
        }
    }
}
