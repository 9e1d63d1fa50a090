using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>Writes warnings and errors to a test's output, prefixed with a name.</summary>
internal sealed class TestOutputLogger(ITestOutputHelper output, string name) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }
        try
        {
            output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {name} {logLevel} {eventId.Id}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
        }
        catch (InvalidOperationException)
        {
            // The test has ended: nobody reads its output any more.
        }
    }
}
