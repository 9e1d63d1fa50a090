using System.Data.Common;
using System.Globalization;
using Akka.Configuration;
using Alerting.Configuration;
using Alerting.Kafka;
using Alerting.Rules.Live;
using Alerting.Rules.Storage;
using Confluent.Kafka;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Alerting.Cli;

/// <summary>
/// <c>rules apply</c> and <c>rules list</c>: a rule set goes live by being validated whole, stored as a new version
/// of the service's rule store (<c>alert_rule_sets</c> and <c>alert_rules</c>, one transaction) and published on the
/// compacted control topic, which every node of the alert application follows.
/// </summary>
internal static class RulesApplyCommands
{
    /// <summary>Exit code of <c>rules apply</c> when the set is refused or cannot be stored or published.</summary>
    public const int Refused = 1;

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Adds <c>apply</c> and <c>list</c> to the <c>rules</c> command.</summary>
    public static void AddTo(System.CommandLine.Command rules, System.CommandLine.Option<DirectoryInfo?> templatesOption, TimeProvider time, TextWriter stdout, TextWriter stderr)
    {
        var file = new System.CommandLine.Argument<FileInfo>("FILE") { Description = "HOCON rule file: rules = [ { id, template, params { … } } … ]" };
        var effectiveAt = new System.CommandLine.Option<string?>("--effective-at") { Description = "Event time from which events match the new set: ISO-8601 or Unix ms (default: now)" };
        var config = new System.CommandLine.Option<FileInfo>("--config") { Description = "The service's HOCON configuration: alerting.sources, alerting.persistence (the rule store) and alerting.kafka (the control topic)", Required = true };
        var apply = new System.CommandLine.Command("apply", "Validate a rule file as a whole, store it as the next rule-set version and publish it to every node; refused: exit 1, nothing changes.")
        {
            file, effectiveAt, templatesOption, config,
        };
        apply.SetAction(parse => Apply(parse.GetValue(file)!, parse.GetValue(effectiveAt), parse.GetValue(templatesOption), parse.GetValue(config)!, time, stdout, stderr));
        var endpoint = new System.CommandLine.Option<string?>("--endpoint")
        {
            Description = "Also show the version each node's partitions match under, asked of a node's admin endpoint (e.g. http://127.0.0.1:8558)",
        };
        var token = new System.CommandLine.Option<string?>("--token")
        {
            Description = "Bearer token of the admin endpoint (default: $ALERTING_ADMIN_TOKEN)",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ALERTING_ADMIN_TOKEN"),
        };
        var list = new System.CommandLine.Command("list", "The applied rule-set versions, from the rule store; with --endpoint, also the version in force on each node.") { config, endpoint, token };
        list.SetAction(async (parse, ct) =>
        {
            var stored = List(parse.GetValue(config)!, stdout, stderr);
            if (stored != 0 || parse.GetValue(endpoint) is not { } admin)
            {
                return stored;
            }

            stdout.WriteLine("in force per node:");
            return await OpsCommands.SendAsync(admin, parse.GetValue(token), HttpMethod.Get, "/api/cluster/rules", null, json: false, OpsCommands.ClusterRulesTable, stdout, stderr, null, ct);
        });
        rules.Subcommands.Add(apply);
        rules.Subcommands.Add(list);
    }

    public static int Apply(FileInfo rulesFile, string? effectiveAt, DirectoryInfo? templatesDir, FileInfo config, TimeProvider time, TextWriter stdout, TextWriter stderr)
    {
        long at;
        if (effectiveAt is null)
        {
            at = time.GetUtcNow().ToUnixTimeMilliseconds();
        }
        else if (!TryParseTime(effectiveAt, out at))
        {
            stderr.WriteLine($"--effective-at \"{effectiveAt}\" is not a time: ISO-8601 (2026-12-05T03:00:00Z) or Unix milliseconds");
            return Refused;
        }

        if (!RulesCommands.TryLoad(rulesFile, templatesDir, config, stderr, out var set, out _, out var instances))
        {
            return Refused; // nothing stored, nothing published
        }

        if (!TryTarget(config, stderr, out var target))
        {
            return Refused;
        }

        if (target.BootstrapServers.Length == 0)
        {
            stderr.WriteLine($"{config.FullName}: alerting.kafka.bootstrap-servers is empty: the set is published on the control topic");
            return Refused;
        }

        RuleSetRecord record;
        try
        {
            var store = target.Store();
            store.ApplySchemaAsync(CancellationToken.None).GetAwaiter().GetResult();
            record = store.ApplySetAsync(instances, at, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is DbException or RuleSetOrderException)
        {
            stderr.WriteLine($"rule set not stored: {ex.Message}");
            return Refused;
        }

        try
        {
            Publish(target, record);
        }
        catch (KafkaException ex)
        {
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rule set stored as version {record.Version} but not published on {target.ControlTopic}: {ex.Error.Reason}; no node runs it. Apply the file again once Kafka answers."));
            return Refused;
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rule set version {record.Version} applied: {set.Rules.Count} enabled rule(s) of {instances.Count}, effective at {AlertJson.Iso(at)}, published on {target.ControlTopic}"));
        return 0;
    }

    public static int List(FileInfo config, TextWriter stdout, TextWriter stderr)
    {
        if (!TryTarget(config, stderr, out var target))
        {
            return Refused;
        }

        try
        {
            var store = target.Store();
            store.ApplySchemaAsync(CancellationToken.None).GetAwaiter().GetResult();
            var sets = store.ListSetsAsync(CancellationToken.None).GetAwaiter().GetResult();
            stdout.WriteLine("version  effective-at              applied-at                rules");
            foreach (var v in sets)
            {
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{v.Version,7}  {AlertJson.Iso(v.EffectiveAt),-24}  {v.AppliedAt,-24}  {v.Rules,5}"));
            }

            stdout.WriteLine(sets.Count == 0
                ? "no rule set applied yet: nodes run their rule file"
                : string.Create(CultureInfo.InvariantCulture, $"latest: version {sets[^1].Version} (from the rule store; each node takes it once its partitions' event time reaches the effective time)"));
            return 0;
        }
        catch (DbException ex)
        {
            stderr.WriteLine($"rule store not readable: {ex.Message}");
            return Refused;
        }
    }

    /// <summary>ISO-8601 (a time without an offset is UTC) or Unix milliseconds.</summary>
    internal static bool TryParseTime(string text, out long unixMs)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out unixMs))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            unixMs = t.ToUnixTimeMilliseconds();
            return true;
        }

        return false;
    }

    private static void Publish(Target target, RuleSetRecord record)
    {
        KafkaNative.EnsureLoaded();
        var config = KafkaClients.ProducerConfig(target.BootstrapServers);
        foreach (var (key, value) in target.KafkaProperties)
        {
            config.Set(key, value);
        }

        config.MessageTimeoutMs = (int)PublishTimeout.TotalMilliseconds;
        using var producer = new ProducerBuilder<string, byte[]>(config).Build();
        producer.ProduceAsync(new TopicPartition(target.ControlTopic, 0), new Message<string, byte[]> { Key = record.Key, Value = record.ToBytes() })
            .GetAwaiter().GetResult(); // partition 0: every version in one order; throws a ProduceException (a KafkaException) when not acknowledged
        producer.Flush(PublishTimeout);
    }

    private static bool TryTarget(FileInfo config, TextWriter stderr, out Target target)
    {
        target = null!;
        try
        {
            var c = HoconDocument.Load(config.FullName).Config;
            var provider = c.ReadString("alerting.persistence.provider", "sqlite");
            var bootstrap = c.ReadString("alerting.kafka.bootstrap-servers", "");
            var properties = c.ReadFlatObject("alerting.kafka.properties");
            var topic = c.ReadString("alerting.kafka.topics.control", "alerting-control");
            Func<AlertRuleStore> store;
            switch (provider)
            {
                case "postgres":
                    var connection = c.ReadRequiredString("alerting.persistence.connection-string");
                    store = () => new AlertRuleStore(() => new NpgsqlConnection(connection), AlertRuleDialect.PostgreSql);
                    break;
                case "sqlite":
                    var path = c.ReadString("alerting.persistence.sqlite-path", "");
                    if (path.Length == 0)
                    {
                        stderr.WriteLine($"{config.FullName}: alerting.persistence.sqlite-path is empty: the service's rule store is a file the nodes share");
                        return false;
                    }

                    store = () => new AlertRuleStore(() => new SqliteConnection($"Data Source={path};Pooling=false"), AlertRuleDialect.Sqlite);
                    break;
                default:
                    throw new ConfigurationValueException("alerting.persistence.provider", provider, "sqlite or postgres");
            }

            target = new Target(store, bootstrap, properties, topic);
            return true;
        }
        catch (Exception ex) when (ex is HoconException or ConfigurationValueException or ConfigurationException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine(ex.Message);
            return false;
        }
    }

    private sealed record Target(Func<AlertRuleStore> Store, string BootstrapServers, IReadOnlyDictionary<string, string> KafkaProperties, string ControlTopic);
}
