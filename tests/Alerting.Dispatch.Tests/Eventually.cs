namespace Alerting.Dispatch.Tests;

/// <summary>Waits (in real time) for a condition that background work makes true.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, Func<string> describe, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Not true within {timeout}: {describe()}");
            }
            await Task.Delay(50, cancellationToken);
        }
    }
}
