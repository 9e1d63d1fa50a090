using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Messages;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>
/// Three ActorSystems in this process form a cluster on loopback over the embedded broker and one PostgreSQL journal.
/// Mid-stream one node is terminated abruptly (no leave), later another joins. Across the run: every alert that
/// should be dispatched is dispatched, a repeat on the dispatch topic only repeats a dispatch id already there, no
/// device is hosted on two nodes at the same sampled moment, and each node ends up hosting the shards of the alerts
/// partitions its consumer reads.
/// </summary>
[Trait("Category", "MultiNode")]
[Collection(MultiNodeCollection.Name)]
public sealed class DispatchMultiNodeSpec(EmbeddedKafkaFixture kafka, PostgresFixture postgres, ITestOutputHelper output)
    : IClassFixture<EmbeddedKafkaFixture>, IClassFixture<PostgresFixture>
{
    private const int Devices = 300;
    private const int Alerts = 6000;
    private const int Partitions = 8;

    [Fact]
    public async Task Three_nodes_lose_no_alert_and_never_host_a_device_twice_when_one_is_killed_and_another_joins()
    {
        var settings = new DispatchSettings
        {
            BootstrapServers = kafka.BootstrapServers,
            GroupId = EmbeddedKafkaFixture.NewGroupId("multi-node"),
            AlertsTopic = kafka.CreateTopic("multi-node-alerts", Partitions),
            WorkOrdersTopic = kafka.CreateTopic("multi-node-work-orders", Partitions),
            DispatchTopic = kafka.CreateTopic("multi-node-dispatch", 4),
            DefaultDelay = TimeSpan.FromMilliseconds(200),
            SessionTimeout = KafkaTestClients.SessionTimeout,
            HeartbeatInterval = KafkaTestClients.HeartbeatInterval,
            SnapshotEvery = 10,
        };
        var config = DispatcherNode.Config(DispatchPersistence.Hocon(DispatchPersistenceProvider.PostgreSql, postgres.ConnectionString));
        var (records, expected) = Stream(settings.GroupId);
        var nodes = new List<DispatcherNode>();
        using var sampling = new CancellationTokenSource();
        var overlaps = 0;
        var samples = 0;
        try
        {
            var seed = await DispatcherNode.StartAsync(config, settings, logger: new TestOutputLogger(output, "node-1"));
            nodes.Add(seed);
            var victim = await DispatcherNode.StartAsync(config, settings, seed.Address, new TestOutputLogger(output, "node-2"));
            nodes.Add(victim);
            nodes.Add(await DispatcherNode.StartAsync(config, settings, seed.Address, new TestOutputLogger(output, "node-3")));
            await Eventually.TrueAsync(() => Live(nodes).Sum(n => n.Dispatcher.AssignedAlertsPartitions.Count) == Partitions
                && Live(nodes).All(n => n.Dispatcher.AssignedAlertsPartitions.Count > 0), TimeSpan.FromSeconds(90), () => Describe(nodes));

            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    var hosted = await Task.WhenAll(Live(nodes).Select(EntitiesAsync));
                    var all = hosted.SelectMany(h => h).ToList();
                    overlaps += all.Count - all.Distinct(StringComparer.Ordinal).Count();
                    samples++;
                    await Task.Delay(200, CancellationToken.None);
                }
            }, CancellationToken.None);

            var third = records.Count / 3;
            await kafka.ProduceAsync(settings.AlertsTopic, records.Take(third), CancellationToken.None);
            await Eventually.TrueAsync(() => Live(nodes).Sum(n => n.Dispatcher.Counters.Received) >= third / 2, TimeSpan.FromSeconds(90), () => Describe(nodes));
            var victimPartitions = string.Join(',', victim.Dispatcher.AssignedAlertsPartitions);
            await victim.KillAsync();
            output.WriteLine($"killed the node reading [{victimPartitions}] after {victim.Dispatcher.Counters.Received} records");

            await kafka.ProduceAsync(settings.AlertsTopic, records.Skip(third).Take(third), CancellationToken.None);
            nodes.Add(await DispatcherNode.StartAsync(config, settings, seed.Address, new TestOutputLogger(output, "node-4")));
            await kafka.ProduceAsync(settings.AlertsTopic, records.Skip(2 * third), CancellationToken.None);

            var (distinct, raw) = await ReadDispatchesAsync(settings.DispatchTopic, expected, TimeSpan.FromSeconds(180));
            output.WriteLine($"dispatch records: {raw} raw, {distinct.Count} distinct ids, {raw - distinct.Count} repeats of an id already sent");
            Assert.Empty(expected.Keys.Except(distinct.Keys));
            Assert.Empty(distinct.Keys.Except(expected.Keys));
            Assert.All(distinct, d => Assert.Equal(expected[d.Key], d.Value));

            // After the last change the shards follow the Kafka assignment (moved at the coordinator's rebalance).
            await Eventually.TrueAsync(() => Live(nodes).All(n => Hosted(n).SequenceEqual(n.Dispatcher.AssignedAlertsPartitions)),
                TimeSpan.FromSeconds(90), () => string.Join(" | ", Live(nodes).Select(n =>
                    $"reads [{string.Join(',', n.Dispatcher.AssignedAlertsPartitions)}] hosts [{string.Join(',', Hosted(n))}]")));

            await sampling.CancelAsync();
            await sampler;
            output.WriteLine($"device hosted on two nodes at once: {overlaps} in {samples} samples");
            output.WriteLine(Describe(nodes));
            Assert.True(samples > 0);
            Assert.Equal(0, overlaps);
        }
        finally
        {
            await sampling.CancelAsync();
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }

    private static IEnumerable<DispatcherNode> Live(List<DispatcherNode> nodes) => nodes.Where(n => !n.System.WhenTerminated.IsCompleted).ToList();

    private static async Task<IReadOnlyList<string>> EntitiesAsync(DispatcherNode node)
    {
        try
        {
            var state = await node.Dispatcher.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
            return [.. state.Shards.SelectMany(s => s.EntityIds)];
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return [];
        }
    }

    private static IReadOnlyList<int> Hosted(DispatcherNode node)
    {
        var state = node.Dispatcher.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
        return [.. state.Shards.Select(s => int.Parse(s.ShardId, CultureInfo.InvariantCulture)).Order()];
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
            expected[DispatchIds.For(DispatchKind.Dispatch, device, id)] = (DispatchKind.Dispatch, id);
            if (!held && i % 7 == 0)
            {
                records.Add(new Message<string, string> { Key = device, Value = DispatchJson.Write(Tests.Alerts.Revoke(device, id)) });
                expected[DispatchIds.For(DispatchKind.Revoke, device, id)] = (DispatchKind.Revoke, id);
            }
        }
        return (records, expected);
    }

    /// <summary>Reads the dispatch topic until every expected id is there (then one more second for late repeats).</summary>
    private async Task<(Dictionary<string, (DispatchKind, string)> Distinct, int Raw)> ReadDispatchesAsync(
        string topic, Dictionary<string, (DispatchKind, string)> expected, TimeSpan timeout) =>
        await KafkaTestClients.OnOwnThread(() =>
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
        }, CancellationToken.None);

    private static string Describe(List<DispatcherNode> nodes) => string.Join(" | ", nodes.Select(n =>
        (n.System.WhenTerminated.IsCompleted ? "(down) " : "") + $"[{string.Join(',', n.Dispatcher.AssignedAlertsPartitions)}] "
        + string.Join(" ", n.Dispatcher.Counters.Snapshot().Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value}"))));
}

/// <summary>
/// The multi-node specs run alone, after the other classes of this assembly: four ActorSystems with a cluster,
/// sharding and a journal each, beside the entity specs that recover a hundred entities at once, loaded two cores so
/// much on a clean clone that the entity spec's first database connection waited 86 s and its one-minute bound
/// was overrun.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MultiNodeCollection
{
    public const string Name = "multi-node";
}
