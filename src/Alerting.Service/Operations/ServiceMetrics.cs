using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Alerting.Dispatch.Entity;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Alerting.Service.Operations;

/// <summary>
/// The node's Prometheus metrics (prometheus-net, a registry of its own), read at scrape time from the counters the
/// status lines print (<see cref="PipelineCounters"/>, the dispatcher's <see cref="Dispatch.Hosting.DispatchCounters"/>,
/// the lookup cache's statistics), from Kafka (consumer lag), the shard region (entities and shards) and the cluster:
/// nothing is counted twice. A part that cannot be read (Kafka unreachable) is logged and its series keep their last
/// values; the others are still served.
/// </summary>
public sealed class ServiceMetrics
{
    private readonly CollectorRegistry _registry = Metrics.NewCustomRegistry();
    private readonly PipelineCounters _counters;
    private readonly NodeParts _parts;
    private readonly AlertingSettings _settings;
    private readonly AdminSettings _admin;
    private readonly ActorSystem _system;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly KafkaLagReader _lagReader;

    private readonly Counter _eventsIn;
    private readonly Gauge _lag;
    private readonly Counter _deadLetters;
    private readonly Counter _dispatchDeadLetters;
    private readonly Counter _late;
    private readonly Counter _logEndProbeFailures;
    private readonly Counter _offsetResets;
    private readonly Counter _offsetResetSkipped;
    private readonly Counter _alerts;
    private readonly Counter _dispatches;
    private readonly Counter _dispatchDropped;
    private readonly Counter _checkpoints;
    private readonly Counter _bootstraps;
    private readonly Counter _bootstrapEvents;
    private readonly Counter _bootstrapRetentionGaps;
    private readonly Counter _bootstrapHeld;
    private readonly Counter _bootstrapHoldsFull;
    private readonly Gauge _checkpointAge;
    private readonly Gauge _checkpointDuration;
    private readonly Counter _journalWrites;
    private readonly Counter _journalWriteSeconds;
    private readonly Counter _journalEvents;
    private readonly Counter _lookupHits;
    private readonly Counter _lookupMisses;
    private readonly Gauge _entities;
    private readonly Gauge _shards;
    private readonly Gauge _ruleSetVersion;
    private readonly Gauge _rules;
    private readonly Counter _partialMatchesDropped;
    private readonly Gauge _members;

    public ServiceMetrics(PipelineCounters counters, NodeParts parts, AlertingSettings settings, AdminSettings admin, ActorSystem system, TimeProvider time, ILoggerFactory loggerFactory, KafkaLagReader lagReader)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _counters = counters;
        _parts = parts;
        _settings = settings;
        _admin = admin;
        _system = system;
        _time = time;
        _log = loggerFactory.CreateLogger<ServiceMetrics>();
        _lagReader = lagReader;
        var f = Metrics.WithCustomRegistry(_registry);
        _eventsIn = f.CreateCounter("alerting_events_in_total", "Device events decoded and taken by the alert application, per source topic and partition.", "topic", "partition");
        _lag = f.CreateGauge("alerting_consumer_lag", "Records of a partition not yet committed by a consumer group (high watermark - committed offset); the same on every node.", "group", "topic", "partition");
        _deadLetters = f.CreateCounter("alerting_dead_letters_total", "Records the alert application sent to the dead-letter topic, per reason (alerting-reason header).", "reason");
        _dispatchDeadLetters = f.CreateCounter("alerting_dispatch_dead_letters_total", "Alert and work-order records the dispatcher sent to the dead-letter topic.");
        _late = f.CreateCounter("alerting_late_events_total", "Events refused as too late (sent to the late topic).");
        _offsetResets = f.CreateCounter("alerting_kafka_offset_resets_total", "Times a consumer's position was moved by the broker's answer (its offset no longer in the log, e.g. deleted by retention before it was read), per consumer (alert, dispatch): alert on any.", "consumer");
        _offsetResetSkipped = f.CreateCounter("alerting_kafka_records_skipped_total", "Records those offset resets passed over unread: lost to the service.", "consumer");
        _logEndProbeFailures = f.CreateCounter("alerting_log_end_probe_failures_total", "Questions for source partitions' log ends (confirming that an idle partition is caught up before its watermark moves on) that failed or timed out; meanwhile idle partitions hold their watermark.");
        _alerts = f.CreateCounter("alerting_alerts_total", "Alerts produced by the alert application, per rule and kind (generate, revoke).", "rule", "kind");
        _dispatches = f.CreateCounter("alerting_dispatches_total", "What the device entities of this node did with alerts: held, dispatched, revoked, cancelled.", "outcome");
        _dispatchDropped = f.CreateCounter("alerting_dispatch_dropped_total", "Generates, revokes and work-order updates the device entities did not pass on, per reason.", "reason");
        _checkpoints = f.CreateCounter("alerting_checkpoints_total", "Partition checkpoints of the alert application stored.");
        _checkpointAge = f.CreateGauge("alerting_checkpoint_age_seconds", "Seconds since this node last stored a partition checkpoint (-1 before the first).");
        _checkpointDuration = f.CreateGauge("alerting_checkpoint_duration_seconds", "How long the last checkpoint's store write took.");
        _journalWrites = f.CreateCounter("alerting_journal_writes_total", "Journal writes of the device entities (a command's events, persist to callback).");
        _journalWriteSeconds = f.CreateCounter("alerting_journal_write_seconds_total", "Summed latency of the journal writes: rate(this) / rate(alerting_journal_writes_total) is the mean.");
        _journalEvents = f.CreateCounter("alerting_journal_events_total", "Events the device entities wrote to the journal.");
        _lookupHits = f.CreateCounter("alerting_lookup_cache_hits_total", "Device-config lookups served by the cache.");
        _lookupMisses = f.CreateCounter("alerting_lookup_cache_misses_total", "Device-config lookups that went to the store.");
        _entities = f.CreateGauge("alerting_sharding_entities", "Device entities alive in this node's shard region.");
        _shards = f.CreateGauge("alerting_sharding_shards", "Shards (alerts partitions) hosted by this node's shard region.");
        _ruleSetVersion = f.CreateGauge("alerting_rule_set_version", "Version of the rule set in force (live rules: the lowest any partition of this node matches under).");
        _rules = f.CreateGauge("alerting_rules", "Enabled rules in the rule set in force (live rules: of the version alerting_rule_set_version names).");
        _bootstraps = f.CreateCounter("alerting_rule_bootstraps_total", "Rule bootstraps over history finished (one per rule and partition).");
        _bootstrapEvents = f.CreateCounter("alerting_rule_bootstrap_events_total", "History records read by rule bootstraps.");
        _bootstrapRetentionGaps = f.CreateCounter("alerting_rule_bootstrap_retention_gaps_total", "Source partitions whose history for a bootstrap was partly past Kafka's retention (read from the log start instead).");
        _bootstrapHeld = f.CreateCounter("alerting_rule_bootstrap_held_elements_total", "Live events and watermark steps held for rules bootstrapping over history while the other rules went on, caught up over at the hand-over (per rule).");
        _bootstrapHoldsFull = f.CreateCounter("alerting_rule_bootstrap_holds_full_total", "Bootstraps whose hold reached alerting.rules.bootstrap.max-held-events: the partition waited for the hand-over.");
        _partialMatchesDropped = f.CreateCounter("alerting_partial_matches_dropped_total", "Partial matches of sequence rules not kept because a rule and device held alerting.rules.max-partial-matches already.");
        _members = f.CreateGauge("alerting_cluster_members", "Members of the Akka cluster as this node sees them, per status.", "status");
        _registry.AddBeforeCollectCallback(RefreshAsync);
    }

    /// <summary>Writes every metric in the Prometheus text format.</summary>
    public Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        _registry.CollectAndExportAsTextAsync(destination, cancellationToken);

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        RefreshCounters();
        await Guard("sharding", () => RefreshShardingAsync(cancellationToken));
        await Guard("consumer lag", () => RefreshLagAsync(cancellationToken));
    }

    private void RefreshCounters()
    {
        foreach (var (topic, partition, count) in _counters.EventsInByPartition())
        {
            _eventsIn.WithLabels(topic, partition.ToString(CultureInfo.InvariantCulture)).IncTo(count);
        }

        foreach (var (reason, count) in _counters.DeadLettersByReason())
        {
            _deadLetters.WithLabels(reason).IncTo(count);
        }

        foreach (var (rule, kind, count) in _counters.AlertsByRule())
        {
            _alerts.WithLabels(rule, kind switch
            {
                Rules.AlertKind.Generate => "generate",
                Rules.AlertKind.Timeout => "timeout",
                _ => "revoke",
            }).IncTo(count);
        }

        _late.IncTo(_counters.Late);
        _logEndProbeFailures.IncTo(_counters.LogEndProbeFailures);
        _offsetResets.WithLabels("alert").IncTo(_counters.OffsetResets.Resets);
        _offsetResetSkipped.WithLabels("alert").IncTo(_counters.OffsetResets.Skipped);
        _bootstraps.IncTo(_counters.Bootstraps);
        _bootstrapEvents.IncTo(_counters.BootstrapEvents);
        _bootstrapRetentionGaps.IncTo(_counters.BootstrapRetentionGaps);
        _bootstrapHeld.IncTo(_counters.BootstrapHeld);
        _bootstrapHoldsFull.IncTo(_counters.BootstrapHoldsFull);
        if (_counters.LastCheckpoint is { } last)
        {
            _checkpointAge.Set(Math.Max(0, (_time.GetUtcNow() - last.At).TotalSeconds));
            _checkpointDuration.Set(last.Duration.TotalSeconds);
        }
        else
        {
            _checkpointAge.Set(-1);
        }

        if (_parts.Graph is { } graph)
        {
            _checkpoints.IncTo(graph.CheckpointsTaken);
            _partialMatchesDropped.IncTo(graph.PartialMatchesDropped);
        }

        if (_parts.Lookup is { } lookup)
        {
            var cache = lookup.Cache.Statistics;
            _lookupHits.IncTo(cache.Hits);
            _lookupMisses.IncTo(cache.Misses);
        }

        if (_parts.Dispatch is { } dispatch)
        {
            var d = dispatch.Counters;
            _dispatches.WithLabels("held").IncTo(d.Held);
            _dispatches.WithLabels("dispatched").IncTo(d.Dispatched);
            _dispatches.WithLabels("revoked").IncTo(d.Revoked);
            _dispatches.WithLabels("cancelled").IncTo(d.Cancelled);
            foreach (var reason in Enum.GetValues<DropReason>())
            {
                _dispatchDropped.WithLabels(reason.ToString()).IncTo(d.Dropped(reason));
            }

            _dispatchDeadLetters.IncTo(d.DeadLettered);
            _journalWrites.IncTo(d.JournalWrites);
            _journalWriteSeconds.IncTo(d.JournalWriteTime.TotalSeconds);
            _journalEvents.IncTo(d.JournalEvents);
            _offsetResets.WithLabels("dispatch").IncTo(d.OffsetResets.Resets);
            _offsetResetSkipped.WithLabels("dispatch").IncTo(d.OffsetResets.Skipped);
        }

        if (_parts.Rules is { } rules)
        {
            _ruleSetVersion.Set(rules.Version);
            _rules.Set(rules.Rules.Count);
        }

        // With live rules, the version the partitions match under (the lowest while a swap is under way) and its rules.
        if (_parts.Graph is { ActiveRuleVersions.Count: > 0 } live)
        {
            var version = live.ActiveRuleVersions.Values.Min();
            _ruleSetVersion.Set(version);
            if (live.LiveVersions.FirstOrDefault(v => v.Version == version) is { } inForce)
            {
                _rules.Set(inForce.Rules.Rules.Count);
            }
        }

        if (NodeHealth.IsClusterNode(_system))
        {
            var state = Cluster.Get(_system).State;
            foreach (var status in Enum.GetValues<MemberStatus>())
            {
                _members.WithLabels(status.ToString().ToLowerInvariant()).Set(state.Members.Count(m => m.Status == status));
            }
        }
    }

    private async Task RefreshShardingAsync(CancellationToken cancellationToken)
    {
        if (_parts.Dispatch is not { } dispatch)
        {
            return;
        }

        var state = await dispatch.Dispatcher.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, _admin.LagTimeout, cancellationToken);
        _shards.Set(state.Shards.Count);
        _entities.Set(state.Shards.Sum(s => s.EntityIds.Count));
    }

    private async Task RefreshLagAsync(CancellationToken cancellationToken)
    {
        if (_parts.Kafka is not { BootstrapServers.Length: > 0 } kafka)
        {
            return;
        }

        foreach (var lag in await _lagReader.ReadNodeAsync(_parts, _settings, kafka, _admin.LagTimeout, cancellationToken))
        {
            _lag.WithLabels(lag.Group, lag.Topic, lag.Partition.ToString(CultureInfo.InvariantCulture)).Set(lag.Lag);
        }
    }

    private async Task Guard(string part, Func<Task> refresh)
    {
        try
        {
            await refresh();
        }
        catch (Exception ex) when (ex is Confluent.Kafka.KafkaException or AskTimeoutException or TaskCanceledException or TimeoutException)
        {
            OperationsLog.MetricsPartFailed(_log, part, ex);
        }
    }
}

/// <summary><c>GET /metrics</c>: the Prometheus text format.</summary>
public sealed class MetricsRoutes(ServiceMetrics metrics) : AdminRoutes
{
    public override void Map(Microsoft.AspNetCore.Builder.WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        Microsoft.AspNetCore.Builder.EndpointRouteBuilderExtensions.MapGet(app, "/metrics", async (Microsoft.AspNetCore.Http.HttpContext context) =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.WriteAsync(context.Response.Body, context.RequestAborted);
        });
    }
}
