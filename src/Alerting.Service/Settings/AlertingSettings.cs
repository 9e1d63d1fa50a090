using Alerting.Configuration;
using Alerting.Events;
using Alerting.Kafka;
using Microsoft.Extensions.Configuration;

namespace Alerting.Service.Settings;

/// <summary>Names of the topics the service reads and writes (<c>alerting.kafka.topics</c>).</summary>
public sealed record TopicSettings(
    string Events, string Alerts, string DeadLetter, string Late, string Dispatch, string WorkOrders, string Control)
{
    public static TopicSettings Bind(IConfiguration c) => new(
        c.GetRequiredString("alerting:kafka:topics:events"),
        c.GetRequiredString("alerting:kafka:topics:alerts"),
        c.GetRequiredString("alerting:kafka:topics:dead-letter"),
        c.GetRequiredString("alerting:kafka:topics:late"),
        c.GetRequiredString("alerting:kafka:topics:dispatch"),
        c.GetRequiredString("alerting:kafka:topics:work-orders"),
        c.GetRequiredString("alerting:kafka:topics:control"));

    /// <summary>Every topic, for creating them on the embedded broker.</summary>
    public IEnumerable<string> All => [Events, Alerts, DeadLetter, Late, Dispatch, WorkOrders, Control];
}

/// <summary>Kafka client settings (<c>alerting.kafka</c>).</summary>
public sealed record KafkaSettings(
    string BootstrapServers,
    string ClientId,
    TimeSpan SessionTimeout,
    TimeSpan HeartbeatInterval,
    TimeSpan FetchMaxWait,
    TimeSpan Linger,
    string Compression,
    int ProducerQueueMaxMessages,
    IReadOnlyDictionary<string, string> Properties,
    TopicSettings Topics)
{
    private static readonly string[] Compressions = ["none", "gzip", "snappy", "lz4", "zstd"];

    public static KafkaSettings Bind(IConfiguration c)
    {
        var compression = c.GetRequiredString("alerting:kafka:compression");
        if (!Compressions.Contains(compression, StringComparer.Ordinal))
        {
            throw new ConfigurationValueException("alerting:kafka:compression", compression, "one of " + string.Join(", ", Compressions));
        }

        var session = c.GetDuration("alerting:kafka:session-timeout", TimeSpan.FromSeconds(10));
        var heartbeat = c.GetDuration("alerting:kafka:heartbeat-interval", TimeSpan.FromSeconds(3));
        if (heartbeat >= session)
        {
            throw new ConfigurationValueException("alerting:kafka:heartbeat-interval", heartbeat.ToString(), "shorter than alerting:kafka:session-timeout");
        }

        var properties = c.GetSection("alerting:kafka:properties").AsEnumerable(makePathsRelative: true)
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key.Replace(':', '.'), kv => kv.Value!, StringComparer.Ordinal);
        if (KafkaClientProperties.Find(properties) is { } refused)
        {
            throw new ConfigurationValueException("alerting:kafka:properties:" + refused.Key, refused.Value, refused.Reason);
        }

        return new KafkaSettings(
            c["alerting:kafka:bootstrap-servers"] ?? "",
            c.GetRequiredString("alerting:kafka:client-id"),
            session,
            heartbeat,
            c.GetDuration("alerting:kafka:fetch-max-wait", TimeSpan.FromMilliseconds(100)),
            c.GetDuration("alerting:kafka:linger", TimeSpan.FromMilliseconds(5)),
            compression,
            c.GetInt("alerting:kafka:producer-queue-max-messages", 1_000_000, 1, 10_000_000),
            properties,
            TopicSettings.Bind(c));
    }
}

/// <summary>Where the rules come from (<c>alerting.rules</c>); relative paths are taken from the service's folder.</summary>
public sealed record RulesSettings(string TemplatesDirectory, string File, TimeSpan OpenAlertTimeToLive)
{
    public static RulesSettings Bind(IConfiguration c) => new(
        Resolve(c.GetRequiredString("alerting:rules:templates")),
        Resolve(c.GetRequiredString("alerting:rules:file")),
        c.GetDuration("alerting:rules:open-alert-ttl", TimeSpan.FromHours(24)));

    private static string Resolve(string path) => Path.GetFullPath(path, AppContext.BaseDirectory);
}

/// <summary>The dispatcher's settings (<c>alerting.dispatch</c>).</summary>
public sealed record DispatcherSettings(string GroupId, TimeSpan DefaultDelay, int SnapshotEvery, TimeSpan PassivateAfter, int BatchSize)
{
    public static DispatcherSettings Bind(IConfiguration c) => new(
        c.GetRequiredString("alerting:dispatch:group-id"),
        c.GetDuration("alerting:dispatch:default-delay", TimeSpan.FromSeconds(30)),
        c.GetInt("alerting:dispatch:snapshot-every", 100, 1, 1_000_000),
        c.GetDuration("alerting:dispatch:passivate-after", TimeSpan.FromMinutes(2)),
        c.GetInt("alerting:dispatch:batch-size", 2000, 1, 1_000_000));
}

/// <summary>The dispatcher's journal and snapshot store (<c>alerting.persistence</c>).</summary>
public sealed record PersistenceSettings(string Provider, string SqlitePath, string ConnectionString)
{
    public static PersistenceSettings Bind(IConfiguration c)
    {
        var provider = c.GetRequiredString("alerting:persistence:provider");
        if (provider is not ("sqlite" or "postgres"))
        {
            throw new ConfigurationValueException("alerting:persistence:provider", provider, "sqlite or postgres");
        }

        var connection = c.GetString("alerting:persistence:connection-string", "");
        if (provider == "postgres" && connection.Length == 0)
        {
            throw new ConfigurationValueException("alerting:persistence:connection-string", connection, "an Npgsql connection string when provider = postgres");
        }

        return new PersistenceSettings(provider, c.GetString("alerting:persistence:sqlite-path", ""), connection);
    }

    /// <summary>Secrets stay out of logs.</summary>
    public override string ToString() => $"PersistenceSettings {{ Provider = {Provider}, SqlitePath = {SqlitePath} }}";
}

/// <summary>
/// Binds the device-config lookup join's settings (<c>alerting.enrichment</c>): cache, batching, parallelism
/// and backoff. An invalid value throws a <see cref="ConfigurationValueException"/> naming its key.
/// </summary>
public static class EnrichmentSettings
{
    /// <summary>The lookup's settings from <paramref name="c"/>, validated.</summary>
    public static Alerting.Enrichment.DeviceLookupSettings Bind(IConfiguration c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var defaults = Alerting.Enrichment.DeviceLookupSettings.Default;
        var ttl = Positive(c, "alerting:enrichment:cache:ttl", defaults.CacheTtl);
        var batchTime = Positive(c, "alerting:enrichment:batch:time", defaults.BatchTime);
        var min = Positive(c, "alerting:enrichment:backoff:min", defaults.BackoffMin);
        var max = c.GetDuration("alerting:enrichment:backoff:max", defaults.BackoffMax);
        if (max < min)
        {
            throw new ConfigurationValueException("alerting:enrichment:backoff:max", max.ToString(), "at least alerting:enrichment:backoff:min");
        }

        const string factorKey = "alerting:enrichment:backoff:random-factor";
        var factor = c.GetDouble(factorKey, defaults.BackoffRandomFactor);
        if (!(factor >= 0 && double.IsFinite(factor)))
        {
            throw new ConfigurationValueException(factorKey, factor.ToString(System.Globalization.CultureInfo.InvariantCulture), "a non-negative number");
        }

        return new Alerting.Enrichment.DeviceLookupSettings
        {
            CacheMaxRows = c.GetInt("alerting:enrichment:cache:max-rows", defaults.CacheMaxRows, 0, 100_000_000),
            CacheTtl = ttl,
            BatchSize = c.GetInt("alerting:enrichment:batch:size", defaults.BatchSize, 1, 1_000_000),
            BatchTime = batchTime,
            Parallelism = c.GetInt("alerting:enrichment:parallelism", defaults.Parallelism, 1, 1024),
            BackoffMin = min,
            BackoffMax = max,
            BackoffRandomFactor = factor,
        }.Validate();
    }

    private static TimeSpan Positive(IConfiguration c, string key, TimeSpan fallback)
    {
        var value = c.GetDuration(key, fallback);
        return value > TimeSpan.Zero ? value : throw new ConfigurationValueException(key, value.ToString(), "a positive duration");
    }
}

/// <summary>Settings of the demo (<c>alerting.demo</c>).</summary>
public sealed record DemoSettings(
    TimeSpan Duration,
    int Devices,
    int EventsPerSecond,
    int Partitions,
    int Brokers,
    TimeSpan MaxDisorder,
    double LateShare,
    double MalformedShare,
    int Seed,
    TimeSpan StatusInterval)
{
    public static DemoSettings Bind(IConfiguration c) => new(
        c.GetDuration("alerting:demo:duration", TimeSpan.Zero),
        c.GetInt("alerting:demo:devices", 5000, 1, 10_000_000),
        c.GetInt("alerting:demo:events-per-second", 20_000, 1, 10_000_000),
        c.GetInt("alerting:demo:partitions", 8, 1, 1024),
        c.GetInt("alerting:demo:brokers", 1, 1, 9),
        c.GetDuration("alerting:demo:max-disorder", TimeSpan.FromSeconds(4)),
        Share(c, "alerting:demo:late-share", 0.002),
        Share(c, "alerting:demo:malformed-share", 0.001),
        c.GetInt("alerting:demo:seed", 42, int.MinValue, int.MaxValue),
        c.GetDuration("alerting:demo:status-interval", TimeSpan.FromSeconds(1)));

    private static double Share(IConfiguration c, string key, double fallback)
    {
        var v = c.GetDouble(key, fallback);
        return v is >= 0 and <= 1 ? v : throw new ConfigurationValueException(key, v.ToString(System.Globalization.CultureInfo.InvariantCulture), "a share between 0 and 1");
    }
}

/// <summary>
/// Everything the service reads, bound once at start-up into immutable values. An invalid value stops
/// start-up with a <see cref="ConfigurationValueException"/> naming the key.
/// </summary>
public sealed record AlertingSettings(
    IReadOnlyList<string> Applications,
    string InstanceName,
    KafkaSettings Kafka,
    string AlertGroupId,
    int AlertBatchSize,
    DispatcherSettings Dispatch,
    PersistenceSettings Persistence,
    RulesSettings Rules,
    IReadOnlyList<SourceDefinition> Sources,
    DemoSettings Demo)
{
    /// <summary>The device-config lookup join's settings (<c>alerting.enrichment</c>).</summary>
    public Alerting.Enrichment.DeviceLookupSettings Enrichment { get; init; } = Alerting.Enrichment.DeviceLookupSettings.Default;

    /// <summary>How often the alert pipeline stores a checkpoint and commits its offsets (<c>alerting.alert.checkpoint-interval</c>).</summary>
    public TimeSpan AlertCheckpointInterval { get; init; } = TimeSpan.FromSeconds(5);

    private static readonly string[] KnownApplications = ["alert", "dispatch"];

    public static AlertingSettings Bind(IConfiguration c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var apps = c.GetSection("alerting:applications").GetChildren().Select(s => s.Value ?? "").ToArray();
        foreach (var app in apps)
        {
            if (!KnownApplications.Contains(app, StringComparer.Ordinal))
            {
                throw new ConfigurationValueException("alerting:applications", app, "alert or dispatch");
            }
        }

        var name = c["alerting:instance-name"];
        return new AlertingSettings(
            apps,
            string.IsNullOrEmpty(name) ? Environment.MachineName : name,
            KafkaSettings.Bind(c),
            c.GetRequiredString("alerting:alert:group-id"),
            c.GetInt("alerting:alert:batch-size", 2000, 1, 1_000_000),
            DispatcherSettings.Bind(c),
            PersistenceSettings.Bind(c),
            RulesSettings.Bind(c),
            SourceDefinition.BindAll(c),
            DemoSettings.Bind(c))
        {
            Enrichment = EnrichmentSettings.Bind(c),
            AlertCheckpointInterval = c.GetDuration("alerting:alert:checkpoint-interval", TimeSpan.FromSeconds(5)),
        };
    }
}
