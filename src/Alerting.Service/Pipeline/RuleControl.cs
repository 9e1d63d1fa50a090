using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Settings;
using Alerting.Rules;
using Alerting.Rules.Live;
using Alerting.Rules.Templates;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>
/// Follows the control topic (<c>alerting.kafka.topics.control</c>, partition 0, where <c>alertctl rules apply</c>
/// publishes every rule-set version) with the project's plain Kafka source, assigned by hand from the beginning
/// (no group, nothing committed: every node reads every version). Each record is compiled against this node's
/// templates (<c>alerting.rules.templates</c>) and event schema and added to <see cref="Live"/>, from where each
/// partition's match stage swaps to it at its effective time. A record that does not decode or compile is logged
/// with every error and skipped: the versions in force stay as they are. A version already known is skipped.
/// <see cref="StartAsync"/> completes once every record on the topic when it started is read, so a node
/// starts matching with the latest version it can know.
/// </summary>
public sealed partial class RuleControl : IAsyncDisposable
{
    private readonly ActorSystem _system;
    private readonly AlertingSettings _settings;
    private readonly EventSchema _schema;
    private readonly ILogger _log;
    private readonly ILoggerFactory _loggerFactory;
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IControl? _control;
    private Task _done = Task.CompletedTask;
    private long _end;

    /// <param name="system">Materializes the control topic's source.</param>
    /// <param name="settings">Kafka settings, the control topic, the templates folder.</param>
    /// <param name="baseSet">The set a partition starts with before any version (version 0): the node's rule file.</param>
    /// <param name="loggerFactory">Logs versions taken and refused.</param>
    public RuleControl(ActorSystem system, AlertingSettings settings, RuleSet baseSet, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(baseSet);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _system = system;
        _settings = settings;
        _schema = baseSet.Schema;
        _loggerFactory = loggerFactory;
        _log = loggerFactory.CreateLogger<RuleControl>();
        Live = new LiveRuleSets(baseSet);
    }

    /// <summary>The versions known to this node.</summary>
    public LiveRuleSets Live { get; }

    /// <summary>
    /// Faults when following the topic fails after the start: the node would match under old versions while the
    /// others swap, so the alert application stops (and its instance restarts) instead. Never completes otherwise.
    /// </summary>
    public Task Failed => _failed.Task;

    /// <summary>Versions refused (not decodable or not compiling here) so far.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    private long _refused;

    /// <summary>Starts following the topic; completes once the records on it at the start are read (or <paramref name="cancellationToken"/> is cancelled).</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var kafka = _settings.Kafka;
        var topic = kafka.Topics.Control;
        var partition = new TopicPartition(topic, 0);
        var groupId = $"{_settings.AlertGroupId}-rules-{Guid.NewGuid():N}"; // never joins nor commits: offsets are assigned by hand
        var config = kafka.ConsumerConfig(groupId, "rules");
        KafkaNative.EnsureLoaded();
        long low;
        using (var probe = new ConsumerBuilder<byte[]?, byte[]>(config).Build())
        {
            var marks = probe.QueryWatermarkOffsets(partition, TimeSpan.FromSeconds(30));
            (low, _end) = (marks.Low.Value, marks.High.Value);
            probe.Close();
        }

        if (_end <= 0 || low >= _end)
        {
            // nothing on the topic (or its records deleted: a topic without compaction) — the rule file is in force
            _caughtUp.TrySetResult();
        }

        var consumerSettings = ConsumerSettings<byte[]?, byte[]>.Create(_system, Deserializers.ByteArray, Deserializers.ByteArray)
            .WithProperties(config)
            .WithLogger(_loggerFactory.CreateLogger("Alerting.Kafka.RuleControlConsumer"));
        var (control, done) = KafkaConsumer
            .PlainSource(consumerSettings, Subscriptions.AssignmentWithOffset(new TopicPartitionOffset(partition, Offset.Beginning)))
            .ToMaterialized(Sink.ForEach<ConsumeResult<byte[]?, byte[]>>(Take), Keep.Both)
            .Run(_system.Materializer());
        _control = control;
        _done = done.ContinueWith(
            t =>
            {
                if (t.IsFaulted)
                {
                    LogFollowFailed(t.Exception!.GetBaseException());
                    _caughtUp.TrySetException(t.Exception.GetBaseException());
                    _failed.TrySetException(t.Exception.GetBaseException());
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        await _caughtUp.Task.WaitAsync(cancellationToken);
        LogCaughtUp(topic, Live.Latest.Version);
    }

    private void Take(ConsumeResult<byte[]?, byte[]> record)
    {
        try
        {
            TakeRecord(record.Message.Value);
        }
        finally
        {
            if (record.Offset.Value + 1 >= _end)
            {
                _caughtUp.TrySetResult();
            }
        }
    }

    /// <summary>Decodes and compiles one control record and adds its version; a refused record is logged and changes nothing.</summary>
    internal void TakeRecord(byte[] value)
    {
        RuleSetRecord record;
        try
        {
            record = RuleSetRecord.FromBytes(value);
        }
        catch (InvalidDataException ex)
        {
            Interlocked.Increment(ref _refused);
            LogUndecodable(ex.Message);
            return;
        }

        if (record.Version <= Live.Latest.Version)
        {
            return; // known already
        }

        RuleSetCompilation compiled;
        try
        {
            var templates = TemplateLibrary.LoadDirectory(_settings.Rules.TemplatesDirectory);
            compiled = RuleSetCompiler.Compile(record.Version, record.Rules, templates, _schema);
        }
        catch (RuleSetException ex)
        {
            compiled = new RuleSetCompilation(null, ex.Errors);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // the templates directory cannot be read here: this version is refused, the ones in force stay
            Interlocked.Increment(ref _refused);
            LogRefused(record.Version, ex.Message);
            return;
        }

        if (compiled.RuleSet is not { } set)
        {
            Interlocked.Increment(ref _refused);
            foreach (var error in compiled.Errors)
            {
                LogRefused(record.Version, error.ToString());
            }

            return;
        }

        Live.Add(new LiveRuleSet(record.Version, record.EffectiveAt, set) { Bootstraps = RuleBootstrapDeclaration.Of(record.Rules) });
        LogTaken(record.Version, set.Rules.Count, DateTimeOffset.FromUnixTimeMilliseconds(record.EffectiveAt));
    }

    /// <summary>Stops following the topic.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_control is { } control)
        {
            await control.Shutdown();
        }

        await _done;
    }

    [LoggerMessage(EventId = LogEvents.RuleControlTaken, Level = LogLevel.Information, Message = "rule set version {Version} taken: {Rules} enabled rule(s), effective at {EffectiveAt:O}")]
    private partial void LogTaken(long version, int rules, DateTimeOffset effectiveAt);

    [LoggerMessage(EventId = LogEvents.RuleControlRefused, Level = LogLevel.Error, Message = "rule set version {Version} refused on this node, the versions in force stay: {Error}")]
    private partial void LogRefused(long version, string error);

    [LoggerMessage(EventId = LogEvents.RuleControlUndecodable, Level = LogLevel.Error, Message = "control record refused, the versions in force stay: {Reason}")]
    private partial void LogUndecodable(string reason);

    [LoggerMessage(EventId = LogEvents.RuleControlCaughtUp, Level = LogLevel.Information, Message = "control topic {Topic} read: latest rule set version {Version}")]
    private partial void LogCaughtUp(string topic, long version);

    [LoggerMessage(EventId = LogEvents.RuleControlFollowFailed, Level = LogLevel.Error, Message = "following the control topic failed: the alert application stops, so that no partition matches under an old version while other nodes swap")]
    private partial void LogFollowFailed(Exception ex);
}
