namespace Alerting.Kafka.Tests;

/// <summary>A cancellation token that bounds every test, so a stuck client fails the test instead of hanging the run.</summary>
internal static class TestContext
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(240);

    public static CancellationToken Token => new CancellationTokenSource(Limit).Token;
}
