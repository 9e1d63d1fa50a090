namespace Alerting.Kafka.Tests;

/// <summary>Waits for a condition that a background client makes true, failing with a description on timeout.</summary>
internal static class Eventually
{
    public static async Task True(
        Func<bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {timeout}: {what}. {state?.Invoke()}");
            }

            await Task.Delay(50, cancellationToken);
        }
    }
}
