using Alerting.Events;
using Alerting.Kafka;
using Alerting.Service.Settings;
using Confluent.Kafka;

namespace Alerting.Service.Demo;

/// <summary>
/// The demo's device-event generator: seed-shaped JSON for <c>devices</c> devices at <c>events-per-second</c>,
/// event times near the wall clock, a share out of order (within the disorder bound), a share late (minutes
/// behind) and a share malformed, produced to the events topic keyed by device. Reproducible for a seed.
/// </summary>
public sealed class DemoTraffic(DemoSettings demo, KafkaSettings kafka, TimeProvider time)
{
    private long _produced;

    /// <summary>Records handed to the producer so far.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Produces until cancelled, then flushes what is queued.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var config = kafka.ProducerConfig("demo-generator");
        using var producer = KafkaClients.ProducerBuilder<byte[], byte[]>(config).Build();
        var now = time.GetUtcNow();
        var step = TimeSpan.FromSeconds(1.0 / demo.EventsPerSecond);
        var onTime = new SeedEventGenerator(demo.Seed, new SeedEventOptions
        {
            Devices = demo.Devices,
            Start = now,
            Step = step,
            MaxDisorder = demo.MaxDisorder,
            MalformedShare = demo.MalformedShare,
        });
        var late = new SeedEventGenerator(demo.Seed + 1, new SeedEventOptions
        {
            Devices = demo.Devices,
            Start = now - TimeSpan.FromMinutes(10),
            Step = step,
        });
        var random = new Random(demo.Seed);

        // Produce in 10 ms slices at the configured rate.
        var perSlice = Math.Max(1, demo.EventsPerSecond / 100);
        using var ticker = new PeriodicTimer(TimeSpan.FromMilliseconds(10), time);
        try
        {
            while (await ticker.WaitForNextTickAsync(cancellationToken))
            {
                for (var i = 0; i < perSlice; i++)
                {
                    var roll = random.NextDouble();
                    var record = roll < demo.LateShare ? late.Next() : onTime.Next();
                    producer.Produce(kafka.Topics.Events, new Message<byte[], byte[]> { Key = record.Key, Value = record.Value });
                    _produced++;
                }
            }
        }
        finally
        {
            producer.Flush(TimeSpan.FromSeconds(10));
        }
    }
}
