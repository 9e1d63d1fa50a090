using Xunit;
using Alerting.Streams;
using Alerting.TestKit.Time;

namespace Alerting.TestKit.Streams;

/// <summary>Assertions about a materialized stream's lifetime.</summary>
public static class StreamAssert
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Waits for the stream to finish (whatever its outcome), then asserts that every stage it started, and every
    /// background task of those stages, has stopped; with a <paramref name="clock"/>, also that no timer is still
    /// armed on it. Fails listing what is still running after <paramref name="timeout"/> (3 s by default).
    /// </summary>
    public static async Task AllStagesStoppedAsync<TResult>(
        StreamHandle<TResult> handle, ManualTimeProvider? clock = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(handle);
        var limit = timeout ?? DefaultTimeout;
        try
        {
            await handle.Completion.WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"The stream did not finish within {limit}; running: {Running(handle.Context)}");
        }
#pragma warning disable CA1031 // the outcome is asserted elsewhere; here only the lifetimes matter
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        await AllStagesStoppedAsync(handle.Context, clock, limit);
    }

    /// <summary>Asserts that every stage registered in <paramref name="context"/> has stopped (waiting up to the timeout).</summary>
    public static async Task AllStagesStoppedAsync(StreamContext context, ManualTimeProvider? clock = null, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            var stages = context.Stages;
            var running = stages.Where(s => !s.IsStopped).ToList();
            var armed = clock?.ArmedTimers ?? 0;
            if (running.Count == 0 && armed == 0)
            {
                Assert.NotEmpty(stages);
                return;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not all stages stopped: running [{string.Join(", ", running)}], armed timers {armed}.");
            }
            await Task.Delay(5);
        }
    }

    private static string Running(StreamContext context) =>
        string.Join(", ", context.Stages.Where(s => !s.IsStopped));
}
