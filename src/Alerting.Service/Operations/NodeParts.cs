using Alerting.Enrichment;
using Alerting.Rules;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Alerting.Service.Web;

namespace Alerting.Service.Operations;

/// <summary>
/// The parts of this node the admin endpoint reads: the alert graph and its lookup once the alert application runs,
/// the dispatcher once it started, the rule set in force. The hosted services attach what they start and detach it
/// when it stops; readers see a part or null, never a half-built one.
/// </summary>
/// <remarks>With a <see cref="FeedHub"/>, the alert graph and the dispatcher attached here publish into it.</remarks>
public sealed class NodeParts(FeedHub? feed = null)
{
    private volatile AlertGraph? _graph;
    private volatile DeviceConfigLookup? _lookup;
    private volatile DispatchApplication? _dispatch;
    private volatile RuleSet? _rules;
    private volatile KafkaSettings? _kafka;

    /// <summary>The running alert graph, if this node runs the alert application.</summary>
    public AlertGraph? Graph => _graph;

    /// <summary>The alert graph's device-config lookup.</summary>
    public DeviceConfigLookup? Lookup => _lookup;

    /// <summary>The running dispatcher, if this node runs the dispatch application.</summary>
    public DispatchApplication? Dispatch => _dispatch;

    /// <summary>The rule set in force (null until one is loaded).</summary>
    public RuleSet? Rules => _rules;

    /// <summary>The Kafka settings the applications use (the embedded broker's address in the demo).</summary>
    public KafkaSettings? Kafka => _kafka;

    /// <summary>The node's live feed, if the web view runs.</summary>
    public FeedHub? Feed => feed;

    /// <summary>Records the Kafka settings in use.</summary>
    public void UseKafka(KafkaSettings kafka) => _kafka = kafka;

    /// <summary>The applications this node is configured to run (<c>alerting.applications</c>; the demo runs both).</summary>
    public IReadOnlySet<string> Applications { get; private set; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Sets the applications this node runs.</summary>
    public void Configure(IEnumerable<string> applications) =>
        Applications = new HashSet<string>(applications, StringComparer.Ordinal);

    /// <summary>Records the rule set in force.</summary>
    public void AttachRules(RuleSet rules) => _rules = rules;

    /// <summary>Records the running alert application.</summary>
    public void AttachAlert(AlertApplication application)
    {
        ArgumentNullException.ThrowIfNull(application);
        _lookup = application.Devices.Lookup;
        if (feed is not null)
        {
            application.Graph.Feed = feed;
        }

        _graph = application.Graph;
    }

    /// <summary>Forgets the alert application (it stopped).</summary>
    public void DetachAlert()
    {
        _graph = null;
        _lookup = null;
    }

    /// <summary>Records the running dispatcher.</summary>
    public void AttachDispatch(DispatchApplication dispatch)
    {
        ArgumentNullException.ThrowIfNull(dispatch);
        if (feed is not null)
        {
            dispatch.Counters.Observer = new FeedDispatchObserver(feed);
        }

        _dispatch = dispatch;
    }

    /// <summary>Forgets the dispatcher (it stopped).</summary>
    public void DetachDispatch() => _dispatch = null;
}

/// <summary>Runs an action once when disposed: detaches a part from <see cref="NodeParts"/> when its owner stops.</summary>
public sealed class Detach(Action action) : IDisposable
{
    private Action? _action = action;

    public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
}
