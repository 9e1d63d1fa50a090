using Alerting.Kafka.Dsl;

namespace Alerting.Kafka.Stages;

/// <summary>The <see cref="IControl"/> of a consumer source: commands to its poll loop.</summary>
internal sealed class ConsumerControl<TKey, TValue>(KafkaConsumerLoop<TKey, TValue> loop) : IControl
{
    /// <inheritdoc />
    public Task IsShutdown => loop.Closed;

    /// <inheritdoc />
    public Task Stop()
    {
        loop.StopEmitting();
        return loop.EmittingStopped;
    }

    /// <inheritdoc />
    public Task Shutdown()
    {
        loop.CloseAfter(TimeSpan.Zero);
        return loop.Closed;
    }

    /// <inheritdoc />
    public async Task<TResult> DrainAndShutdown<TResult>(Task<TResult> streamCompletion)
    {
        ArgumentNullException.ThrowIfNull(streamCompletion);
        await Stop().ConfigureAwait(false);
        TResult result;
        try
        {
            result = await streamCompletion.ConfigureAwait(false);
        }
        catch
        {
            await Shutdown().ConfigureAwait(false);
            throw;
        }

        await Shutdown().ConfigureAwait(false);
        return result;
    }
}
