using Alerting.Rules;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>What a partition's matcher holds for a device (see <see cref="AlertGraph.InspectDeviceAsync"/>).</summary>
/// <param name="Partition">The partition whose match stage answered.</param>
/// <param name="State">What its matcher holds for the device.</param>
public sealed record PartitionDeviceInspection(int Partition, DeviceInspection State);

/// <summary>Looking into the running matchers for the web view.</summary>
public sealed partial class AlertGraph
{
    /// <summary>The live rule-set versions this graph knows (none without live rules).</summary>
    public IReadOnlyList<Alerting.Rules.Live.LiveRuleSet> LiveVersions => _live?.Versions ?? [];

    /// <summary>
    /// Asks the match stage of every partition this node runs what it holds for <paramref name="deviceId"/> (each answers
    /// between two elements on its own thread; a device's events all go to one partition, but the caller need not know
    /// which) and returns the answers that hold anything. A partition that stops or does not answer within
    /// <paramref name="timeout"/> is left out and counted in <c>Unanswered</c>.
    /// </summary>
    public async Task<(IReadOnlyList<PartitionDeviceInspection> Held, int Asked, int Unanswered)> InspectDeviceAsync(string deviceId, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        var runs = _runs.Values.Distinct().Where(r => !r.Revoked && !r.IsEnded).ToList();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var asks = runs.Select(r => (r.Partition, Answer: r.Match.InspectAsync(deviceId, deadline.Token))).ToList();
        var held = new List<PartitionDeviceInspection>();
        var unanswered = 0;
        foreach (var (partition, answer) in asks)
        {
            try
            {
                var state = await answer.ConfigureAwait(false);
                if (!state.IsEmpty)
                {
                    held.Add(new PartitionDeviceInspection(partition, state));
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException && !cancellationToken.IsCancellationRequested)
            {
                unanswered++; // stopped meanwhile (a revocation) or busy past the timeout
                LogInspectUnanswered(partition, deviceId, ex.GetType().Name);
            }
        }

        return (held, asks.Count, unanswered);
    }

    [LoggerMessage(EventId = LogEvents.AlertGraphInspectUnanswered, Level = LogLevel.Debug, Message = "partition {Partition} did not say what it holds for device {DeviceId} ({Reason}); left out of the answer")]
    private partial void LogInspectUnanswered(int partition, string deviceId, string reason);
}
