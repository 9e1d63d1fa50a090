namespace Alerting.Kafka.Embedded;

/// <summary>
/// A long-lived embedded broker for development and demos: starts an <see cref="EmbeddedKafkaCluster"/>,
/// creates the requested topics, announces its address and serves until cancelled.
/// </summary>
public static class DevBroker
{
    /// <summary>The prefix of the single line <see cref="RunAsync"/> writes: <c>bootstrap.servers=&lt;address&gt;</c>.</summary>
    public const string BootstrapLinePrefix = "bootstrap.servers=";

    /// <summary>
    /// Starts a cluster of <paramref name="brokers"/> brokers, creates <paramref name="topics"/>, writes exactly
    /// one line <c>bootstrap.servers=&lt;address&gt;</c> to <paramref name="output"/> (flushed), and keeps the
    /// cluster up until <paramref name="cancellationToken"/> is cancelled; then destroys it and completes
    /// normally. Fails if the cluster or a topic cannot be created.
    /// </summary>
    /// <param name="brokers">Number of brokers of the cluster.</param>
    /// <param name="topics">Topics to create, with their partition counts.</param>
    /// <param name="output">Where the bootstrap line goes.</param>
    /// <param name="cancellationToken">Stops the broker.</param>
    /// <param name="control">
    /// Started once the address line is written, with the running cluster (faults to inject: brokers down, request
    /// errors); the broker serves until <paramref name="cancellationToken"/> whether or not it has completed, and
    /// does not wait for it on the way out (it may be blocked reading a stream that cannot be cancelled), so it must
    /// handle its own failures.
    /// </param>
    public static async Task RunAsync(
        int brokers,
        IEnumerable<(string Topic, int Partitions)> topics,
        TextWriter output,
        CancellationToken cancellationToken,
        Func<EmbeddedKafkaCluster, CancellationToken, Task>? control = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        ArgumentNullException.ThrowIfNull(output);
        cancellationToken.ThrowIfCancellationRequested();

        var cluster = EmbeddedKafkaCluster.Start(brokers);
        await using (cluster.ConfigureAwait(false))
        {
            foreach (var (topic, partitions) in topics)
            {
                cluster.CreateTopic(topic, partitions, Math.Min(brokers, 3));
            }

            await output.WriteLineAsync((BootstrapLinePrefix + cluster.BootstrapServers).AsMemory(), cancellationToken)
                .ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            _ = control?.Invoke(cluster, cancellationToken);

            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Cancellation is the normal way to stop the broker.
            }
        }
    }
}
