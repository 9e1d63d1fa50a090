using Akka.Configuration;
using Akka.Streams;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Alerting.TestKit;

/// <summary>
/// Base of the stage specs: an ActorSystem whose scheduler is Akka's <see cref="TestScheduler"/> (time moves only
/// when a spec advances it) and a materializer; <c>ALERTING_STREAM_FUZZING=on</c> turns the materializer's
/// fuzzing mode on, to shake out ordering assumptions.
/// </summary>
public abstract class StageSpec : Akka.TestKit.Xunit2.TestKit
{
    protected StageSpec(ITestOutputHelper output)
        : base(SpecConfig(), null, output)
    {
        Materializer = Sys.Materializer();
    }

    protected ActorMaterializer Materializer { get; }

    protected TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private static Config SpecConfig()
    {
        var fuzzing = string.Equals(Environment.GetEnvironmentVariable("ALERTING_STREAM_FUZZING"), "on", StringComparison.OrdinalIgnoreCase) ? "on" : "off";
        return ConfigurationFactory.ParseString($$"""
            akka.loglevel = WARNING
            akka.scheduler.implementation = "Akka.TestKit.TestScheduler, Akka.TestKit"
            akka.stream.materializer.debug.fuzzing-mode = {{fuzzing}}
            """);
    }
}
