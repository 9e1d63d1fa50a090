using System.Globalization;
using System.Text;
using Alerting.Dispatch.Messages;
using Alerting.Kafka;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Demo;

/// <summary>
/// Shows what the demo's pipeline actually sends: reads the alerts and dispatch topics of the embedded broker
/// from their beginning and prints a sample of their records as they arrive, one line each:
/// <code>
/// alert generate device=17 rule=fault-pair/1 type=FAULT_PAIR alert_time=20:30:01.123 fault_time=20:30:00.050 id=…
/// dispatch dispatch device=17 type=FAULT_PAIR priority=5 time=20:30:06.200 alert=…
/// </code>
/// Which records are printed is decided by <see cref="DemoSample"/>, so the terminal is never flooded.
/// Runs until cancelled, then closes its consumer; a record it cannot read is skipped (the dispatcher
/// dead-letters it), a consume error is logged and reading goes on.
/// </summary>
public sealed partial class DemoTap(KafkaSettings kafka, int partitions, TextWriter output, DemoSample sample, TimeProvider time, ILogger log)
{
    private readonly ILogger _log = log;

    /// <summary>Reads and prints until <paramref name="cancellationToken"/> is cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken)
    {
        var config = KafkaClients.ConsumerConfig(kafka.BootstrapServers, kafka.ClientId + "-demo-tap");
        config.ClientId = kafka.ClientId + "-demo-tap";
        using var consumer = KafkaClients.ConsumerBuilder<Ignore, byte[]>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, e) => LogConsumeError(e.Reason))
            .Build();
        var topics = new[] { kafka.Topics.Alerts, kafka.Topics.Dispatch };
        consumer.Assign(topics.SelectMany(t => Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(t, p, Offset.Beginning))));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                ConsumeResult<Ignore, byte[]>? result;
                try
                {
                    result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                }
                catch (ConsumeException ex)
                {
                    LogConsumeError(ex.Error.Reason);
                    continue;
                }

                if (result?.Message?.Value is { } value && Describe(result.Topic, value) is { } line)
                {
                    output.WriteLine(line);
                    output.Flush();
                }
            }
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>The line for one record, or null when the sample skips it or the record cannot be read.</summary>
    private string? Describe(string topic, byte[] value)
    {
        var json = Encoding.UTF8.GetString(value);
        var now = time.GetUtcNow();
        if (topic == kafka.Topics.Alerts)
        {
            var alert = DispatchJson.ParseAlert(json);
            var kind = alert?.Kind switch { AlertKind.Revoke => "revoke", AlertKind.Timeout => "timeout", _ => "generate" };
            return alert is null || !sample.Take("alert " + kind, now) ? null : FormatAlert(alert);
        }

        var dispatch = DispatchJson.ParseDispatch(json);
        var dispatchKind = dispatch?.Kind == DispatchKind.Revoke ? "revoke" : "dispatch";
        return dispatch is null || !sample.Take("dispatch " + dispatchKind, now) ? null : FormatDispatch(dispatch);
    }

    /// <summary>The printed line of an alerts-topic record.</summary>
    public static string FormatAlert(AlertMessage alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var kind = alert.Kind switch { AlertKind.Revoke => "revoke", AlertKind.Timeout => "timeout", _ => "generate" };
        var fault = alert.FaultTime is { } f ? " fault_time=" + Time(f) : "";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"alert {kind} device={alert.DeviceNumber} rule={alert.RuleId}/{alert.RuleVersion} type={alert.AlertType} alert_time={Time(alert.AlertTime)}{fault} id={alert.AlertId}");
    }

    /// <summary>The printed line of a dispatch-topic record.</summary>
    public static string FormatDispatch(DispatchMessage dispatch)
    {
        ArgumentNullException.ThrowIfNull(dispatch);
        var kind = dispatch.Kind == DispatchKind.Revoke ? "revoke" : "dispatch";
        return string.Create(
            CultureInfo.InvariantCulture,
            $"dispatch {kind} device={dispatch.DeviceId} type={dispatch.AlertType} priority={dispatch.Priority} time={Time(dispatch.Time)} alert={dispatch.AlertId}");
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = LogEvents.DemoConsumeError, Level = LogLevel.Warning, Message = "demo: reading the alerts or dispatch topic failed, continuing: {Reason}")]
    private partial void LogConsumeError(string reason);
}

/// <summary>
/// Which of a stream of records of several kinds to show: the first <c>initial</c> of each kind, then at most
/// one of each kind per <c>every</c>. Thread-safe.
/// </summary>
public sealed class DemoSample(int initial, TimeSpan every)
{
    private readonly Dictionary<string, (int Shown, DateTimeOffset Last)> _kinds = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Whether to show a record of <paramref name="kind"/> seen at <paramref name="now"/>; counts it when so.</summary>
    public bool Take(string kind, DateTimeOffset now)
    {
        lock (_gate)
        {
            _kinds.TryGetValue(kind, out var seen);
            if (seen.Shown >= initial && now - seen.Last < every)
            {
                return false;
            }

            _kinds[kind] = (seen.Shown + 1, now);
            return true;
        }
    }
}
