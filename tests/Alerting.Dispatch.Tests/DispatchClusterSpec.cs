using System.Globalization;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Messages;
using Alerting.Persistence.Postgres;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests;

/// <summary>
/// Three dispatcher instances in one consumer group over the embedded broker and one PostgreSQL journal; one is killed
/// mid-stream and another joins. The broker delivers some records more than once around the rebalances: the stored
/// offsets, the outbox and the deterministic dispatch ids must make that invisible after de-duplication by id.
/// </summary>
public sealed class DispatchClusterSpec(EmbeddedKafkaFixture kafka, PostgresFixture postgres, ITestOutputHelper output)
    : IClassFixture<EmbeddedKafkaFixture>, IClassFixture<PostgresFixture>
{
    private const int Devices = 300;
    private const int Alerts = 6000;
    private const int Partitions = 8;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, HashSet<DispatchHost>> _owners = [];
    private int _overlaps;

    [Fact]
    public async Task Three_instances_must_lose_no_alert_and_never_share_a_device_when_one_is_killed_and_another_joins()
    {
        var settings = new DispatchSettings
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = EmbeddedKafkaFixture.NewGroupId("cluster"),
            AlertsTopic = kafka.CreateTopic("cluster-alerts", Partitions),
            WorkOrdersTopic = kafka.CreateTopic("cluster-work-orders", Partitions),
            DispatchTopic = kafka.CreateTopic("cluster-dispatch", 4),
            DefaultDelay = TimeSpan.FromMilliseconds(200),
            SessionTimeout = KafkaTestClients.SessionTimeout,
            HeartbeatInterval = KafkaTestClients.HeartbeatInterval,
            MaxBatchSize = 200,
            SnapshotEvery = 10,
        };
        var store = new PostgresEventStore(postgres.DataSource);
        var (records, expected) = Stream(settings.GroupId);
        var hosts = new List<DispatchHost>();
        DispatchHost NewHost()
        {
            var host = new DispatchHost(settings, store);
            host.OwnershipChanged += OnOwnershipChanged;
            hosts.Add(host);
            host.Start();
            return host;
        }

        try
        {
            var victim = NewHost();
            NewHost();
            NewHost();
            await Eventually.TrueAsync(() => hosts.Sum(h => h.OwnedPartitions.Count) == Partitions && hosts.All(h => h.OwnedPartitions.Count > 0),
                TimeSpan.FromSeconds(60), () => Describe(hosts));

            var third = records.Count / 3;
            using var producer = kafka.CreateProducer();
            await KafkaTestClients.ProduceAsync(producer, settings.AlertsTopic, records.Take(third), CancellationToken.None);
            await Eventually.TrueAsync(() => hosts.Sum(h => h.Counters.Received) >= third / 2, TimeSpan.FromSeconds(60), () => Describe(hosts));
            var victimPartitions = string.Join(',', victim.OwnedPartitions);
            await victim.KillAsync();
            output.WriteLine($"killed the instance owning [{victimPartitions}] after {victim.Counters.Received} records");
            Assert.Empty(victim.OwnedPartitions);

            await KafkaTestClients.ProduceAsync(producer, settings.AlertsTopic, records.Skip(third).Take(third), CancellationToken.None);
            NewHost();
            await KafkaTestClients.ProduceAsync(producer, settings.AlertsTopic, records.Skip(2 * third), CancellationToken.None);

            var (distinct, raw) = await ReadDispatchesAsync(settings.DispatchTopic, expected, TimeSpan.FromSeconds(150));

            var fenced = hosts.Sum(h => h.Counters.Fenced);
            output.WriteLine($"dispatch records: {raw} raw, {distinct.Count} distinct ids, {raw - distinct.Count} raw repeats");
            output.WriteLine($"input redelivered below stored offsets: {hosts.Sum(h => h.Counters.Redelivered)}; fencing events: {fenced}; ownership overlaps: {_overlaps}");
            output.WriteLine(Describe(hosts));
            Assert.Empty(expected.Keys.Except(distinct.Keys));
            Assert.Empty(distinct.Keys.Except(expected.Keys));
            Assert.All(distinct, d => Assert.Equal(expected[d.Key], d.Value));
            Assert.Equal(0, _overlaps);
            Assert.Equal(0, fenced);
            Assert.Equal(0, hosts.Sum(h => h.Counters.Malformed));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// The generated stream and the dispatches it must cause. Device d's k-th alert has type Tk (never a repeat of an
    /// open type); every fifth is held for the default delay, the others go at once; every seventh of those is revoked
    /// right after it, so its revoke is sent too.
    /// </summary>
    private static (List<Message<string, string>> Records, Dictionary<string, (DispatchKind, string)> Expected) Stream(string prefix)
    {
        var records = new List<Message<string, string>>();
        var expected = new Dictionary<string, (DispatchKind, string)>();
        for (var i = 0; i < Alerts; i++)
        {
            var device = string.Create(CultureInfo.InvariantCulture, $"{prefix}-d{i % Devices}");
            var id = string.Create(CultureInfo.InvariantCulture, $"a{i}");
            var held = i % 5 == 0;
            var alert = Tests.Alerts.Generate(device, id, string.Create(CultureInfo.InvariantCulture, $"T{i / Devices}"), 1, held ? null : 0, []);
            records.Add(new Message<string, string> { Key = device, Value = DispatchJson.Write(alert) });
            expected[Entity.DispatchIds.For(DispatchKind.Dispatch, device, id)] = (DispatchKind.Dispatch, id);
            if (!held && i % 7 == 0)
            {
                records.Add(new Message<string, string> { Key = device, Value = DispatchJson.Write(Tests.Alerts.Revoke(device, id)) });
                expected[Entity.DispatchIds.For(DispatchKind.Revoke, device, id)] = (DispatchKind.Revoke, id);
            }
        }
        return (records, expected);
    }

    /// <summary>Reads the dispatch topic until every expected id is there (then one more second for late repeats).</summary>
    private async Task<(Dictionary<string, (DispatchKind, string)> Distinct, int Raw)> ReadDispatchesAsync(
        string topic, Dictionary<string, (DispatchKind, string)> expected, TimeSpan timeout) =>
        await Task.Run(() =>
        {
            using var consumer = kafka.CreateConsumer(EmbeddedKafkaFixture.NewGroupId("dispatch-reader"));
            consumer.Assign(Enumerable.Range(0, 4).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
            var distinct = new Dictionary<string, (DispatchKind, string)>();
            var raw = 0;
            var deadline = DateTime.UtcNow + timeout;
            DateTime? complete = null;
            while (DateTime.UtcNow < deadline && (complete is null || DateTime.UtcNow < complete))
            {
                ConsumeResult<string, string>? record;
                try
                {
                    record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException)
                {
                    continue;
                }
                if (record is null || record.IsPartitionEOF)
                {
                    continue;
                }
                raw++;
                var message = DispatchJson.ParseDispatch(record.Message.Value)!;
                distinct[message.DispatchId] = (message.Kind, message.AlertId);
                if (complete is null && expected.Keys.All(distinct.ContainsKey))
                {
                    complete = DateTime.UtcNow + TimeSpan.FromSeconds(1);
                }
            }
            consumer.Close();
            return (distinct, raw);
        });

    private void OnOwnershipChanged(object? sender, PartitionOwnershipChangedEventArgs e)
    {
        var host = (DispatchHost)sender!;
        lock (_gate)
        {
            if (!_owners.TryGetValue(e.Partition, out var owners))
            {
                _owners[e.Partition] = owners = [];
            }
            if (e.Owned)
            {
                if (owners.Count > 0)
                {
                    _overlaps++;
                }
                owners.Add(host);
            }
            else
            {
                owners.Remove(host);
            }
        }
    }

    private static string Describe(List<DispatchHost> hosts) => string.Join(" | ", hosts.Select(h =>
        $"[{string.Join(',', h.OwnedPartitions)}] " + string.Join(" ", h.Counters.Snapshot().Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value}"))));
}
