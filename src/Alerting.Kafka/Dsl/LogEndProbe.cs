using Alerting.Kafka.Helpers;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.Kafka.Dsl;

/// <summary>The broker's answer to where partitions' logs end now: the offset the next record written will get.</summary>
public interface ILogEndProbe
{
    /// <summary>
    /// The log end offsets of <paramref name="partitions"/> (the high watermark; the last stable offset for a
    /// read_committed probe), asked of the partitions' leaders now. A partition the broker answered with an error is
    /// left out. Runs off the caller's thread and completes within the probe's timeout: it fails, never hangs, when
    /// the broker does not answer.
    /// </summary>
    Task<IReadOnlyDictionary<TopicPartition, long>> LogEndsAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken);
}

/// <summary>
/// An <see cref="ILogEndProbe"/> over an admin client's ListOffsets request (offset spec latest), a fresh question to
/// each partition's leader every time: unlike the consumer's cached watermarks, which stay as they were while fetches
/// fail, an answer is never stale. Failures and timeouts are logged (events 2230, 2231) and counted, and fail the
/// returned task. Thread-safe; dispose it to close the admin client.
/// </summary>
public sealed class KafkaLogEndProbe : ILogEndProbe, IDisposable
{
    private readonly Lazy<IAdminClient> _admin;
    private readonly TimeSpan _timeout;
    private readonly IsolationLevel _isolation;
    private readonly ILogger _logger;
    private readonly Action? _onFailed;
    private readonly string _client;
    private long _failures;

    /// <param name="config">The admin client's configuration (bootstrap servers, security); the client is built at the first question.</param>
    /// <param name="timeout">How long an answer may take before the question counts as failed.</param>
    /// <param name="readCommitted">Ask for the last stable offset (a read_committed consumer reads no further) rather than the high watermark.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="onFailed">Called once per failed or timed-out question (a metric).</param>
    public KafkaLogEndProbe(AdminClientConfig config, TimeSpan timeout, bool readCommitted = false, ILogger? logger = null, Action? onFailed = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        _timeout = timeout;
        _isolation = readCommitted ? IsolationLevel.ReadCommitted : IsolationLevel.ReadUncommitted;
        _logger = logger ?? NullLogger.Instance;
        _onFailed = onFailed;
        _client = config.ClientId ?? "log-end-probe";
        _admin = new Lazy<IAdminClient>(() => KafkaClients.AdminClientBuilder(config).Build(), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Questions that failed or timed out so far.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<TopicPartition, long>> LogEndsAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (partitions.Count == 0)
        {
            return new Dictionary<TopicPartition, long>();
        }

        try
        {
            var options = new ListOffsetsOptions { RequestTimeout = _timeout, IsolationLevel = _isolation };
            try
            {
                // the admin client's own timeout ends the request; the wait is a backstop should it not
                return await Task.Run(() => ListedOffsets.ListAsync(_admin.Value, partitions, OffsetSpec.Latest(), options), cancellationToken)
                    .WaitAsync(_timeout + TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (ListOffsetsException e)
            {
                // some partitions answered, some not: the answered ones count
                var answered = ListedOffsets.Answered(e.Result.ResultInfos);
                Failed(e, partitions.Count - answered.Count);
                return answered;
            }
        }
        catch (TimeoutException e)
        {
            Interlocked.Increment(ref _failures);
            KafkaLog.LogEndProbeTimedOut(_logger, _client, partitions.Count, _timeout, e);
            _onFailed?.Invoke();
            throw;
        }
        catch (Exception e) when (e is KafkaException or InvalidOperationException or ArgumentException)
        {
            Failed(e, partitions.Count);
            throw;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_admin.IsValueCreated)
        {
            _admin.Value.Dispose();
        }
    }

    private void Failed(Exception e, int partitions)
    {
        Interlocked.Increment(ref _failures);
        KafkaLog.LogEndProbeFailed(_logger, _client, partitions, e);
        _onFailed?.Invoke();
    }
}
