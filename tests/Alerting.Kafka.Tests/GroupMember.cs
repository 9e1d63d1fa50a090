using System.Collections.Concurrent;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

/// <summary>
/// A consumer group member polling on its own thread: records each consumed record, commits it synchronously
/// right after, and closes the consumer (leaving the group) when stopped.
/// </summary>
internal sealed class GroupMember : IAsyncDisposable
{
    private readonly IConsumer<string, string> _consumer;
    private readonly CancellationTokenSource _stop = new();
    private readonly string _topic;
    private Task _loop = Task.CompletedTask;
    private volatile IReadOnlyList<TopicPartition> _assignment = [];

    public GroupMember(string bootstrapServers, string groupId, string topic, bool start = true)
    {
        _consumer = KafkaTestClients.CreateConsumer(bootstrapServers, groupId);
        _topic = topic;
        if (start)
        {
            Start();
        }
    }

    public ConcurrentQueue<ConsumeResult<string, string>> Consumed { get; } = new();

    /// <summary>Consume and commit errors seen, for diagnostics.</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>How many distinct records this member has consumed.</summary>
    public int DistinctCount => Consumed.Select(r => r.TopicPartitionOffset).Distinct().Count();

    /// <summary>The partitions assigned to this member, as last seen by its polling thread.</summary>
    public IReadOnlyList<TopicPartition> Assignment => _assignment;

    /// <summary>Subscribes (joining the group) and starts polling on a dedicated thread.</summary>
    public void Start()
    {
        _consumer.Subscribe(_topic);
        _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>Stops polling, then closes the consumer (committing nothing more) so the group rebalances at once.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _consumer.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is not null && !result.IsPartitionEOF)
                {
                    Consumed.Enqueue(result);
                    Commit(result);
                }
            }
            catch (ConsumeException e)
            {
                Errors.Enqueue("consume: " + e.Error);
                // Transient fetch errors surface once; keep polling.
            }

            _assignment = _consumer.Assignment.ToList();
        }

        _consumer.Close();
        _assignment = [];
    }

    private void Commit(ConsumeResult<string, string> result)
    {
        try
        {
            _consumer.Commit(result);
        }
        catch (KafkaException e)
        {
            // Rejected during a rebalance (e.g. IllegalGeneration): the record stays uncommitted and may come again.
            Errors.Enqueue("commit: " + e.Error);
        }
    }
}
