using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Events;
using Alerting.Kafka.Embedded;
using Alerting.Rules;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Microsoft.Extensions.Logging;
using SourcePartition = Alerting.Rules.SourcePartition;

namespace Alerting.IntegrationTests;

/// <summary>
/// The history reader over the embedded broker: it reads each partition asked up to its end offset, and its consumer,
/// which commits nothing, closes as soon as the history is read, not after the consumer's stop-timeout (30 s by default),
/// which would keep its threads, its connection and the whole history stream alive that long after every bootstrap.
/// </summary>
public sealed class KafkaRuleHistorySpec : IAsyncLifetime
{
    // LogEvents.KafkaClosed: "consumer {Client}: closed"
    private const int ConsumerClosed = 2210;
    private const string ConsumerCategory = "Alerting.Kafka.BootstrapConsumer";

    private readonly ActorSystem _system = ActorSystem.Create("history-spec", "akka.loglevel = WARNING");

    [Fact]
    public async Task A_history_read_to_its_end_must_close_its_consumer_at_once()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "demo", []));
        settings = settings with { Kafka = settings.Kafka with { BootstrapServers = cluster.BootstrapServers } };
        cluster.CreateTopic(settings.Kafka.Topics.Events, 2);
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        var records = Enumerable.Range(0, 30).Select(i => (
            Device: $"{i % 5}",
            Json: EventTopics.Json("Fault", 100 + i, start.AddSeconds(i), $"history-{i}", $"{i % 5}"),
            Partition: (int?)(i % 2)));
        var ends = await EventTopics.ProduceAsync(settings, records, cts.Token);
        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        var closed = new ClosedConsumers();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(closed));
        var history = new KafkaRuleHistory(_system, settings, settings.Sources.ToDictionary(s => s.Topic, StringComparer.Ordinal), rules.Schema, TimeProvider.System, new PipelineCounters(), loggerFactory);

        var events = await history
            .Read(ends.ToDictionary(e => new SourcePartition(settings.Kafka.Topics.Events, e.Key), e => e.Value), start.AddMinutes(-1).ToUnixTimeMilliseconds())
            .RunWith(Sink.Seq<DeviceEvent>(), _system.Materializer())
            .WaitAsync(cts.Token);

        Assert.Equal(30, events.Count);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"history-{i}").Order(), events.Select(e => e.EventId).Order());

        // well within the 30 s the consumer would otherwise linger
        await closed.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10), cts.Token);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _system.Terminate();

    /// <summary>Completes once the history reader's consumer logged that it closed.</summary>
    private sealed class ClosedConsumers : ILoggerProvider
    {
        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName == ConsumerCategory ? Closed : null);

        public void Dispose()
        {
        }

        private sealed class Logger(TaskCompletionSource? closed) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => closed is not null;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id == ConsumerClosed)
                {
                    closed?.TrySetResult();
                }
            }
        }
    }
}
