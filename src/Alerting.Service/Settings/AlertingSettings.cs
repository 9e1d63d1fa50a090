using System.Globalization;
using Akka.Configuration;
using Alerting.Configuration;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Rules;

namespace Alerting.Service.Settings;

/// <summary>Names of the topics the service reads and writes (<c>alerting.kafka.topics</c>).</summary>
public sealed record TopicSettings(
    string Events, string Alerts, string DeadLetter, string Late, string Dispatch, string WorkOrders, string Control)
{
    /// <summary>The topics under <c>alerting.kafka.topics</c> of <paramref name="c"/>; each is required.</summary>
    public static TopicSettings Create(Config c) => new(
        c.ReadRequiredString("alerting.kafka.topics.events"),
        c.ReadRequiredString("alerting.kafka.topics.alerts"),
        c.ReadRequiredString("alerting.kafka.topics.dead-letter"),
        c.ReadRequiredString("alerting.kafka.topics.late"),
        c.ReadRequiredString("alerting.kafka.topics.dispatch"),
        c.ReadRequiredString("alerting.kafka.topics.work-orders"),
        c.ReadRequiredString("alerting.kafka.topics.control"));

    /// <summary>Every topic, for creating them on the embedded broker.</summary>
    public IEnumerable<string> All => [Events, Alerts, DeadLetter, Late, Dispatch, WorkOrders, Control];

    /// <summary>Partitions to create <paramref name="topic"/> with on the embedded broker: the control topic has one (its versions in one order), the others <paramref name="partitions"/>.</summary>
    public int PartitionsOf(string topic, int partitions) => topic == Control ? 1 : partitions;
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

    /// <summary>The settings under <c>alerting.kafka</c> of <paramref name="c"/>, validated.</summary>
    public static KafkaSettings Create(Config c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var compression = c.ReadRequiredString("alerting.kafka.compression");
        if (!Compressions.Contains(compression, StringComparer.Ordinal))
        {
            throw new ConfigurationValueException("alerting.kafka.compression", compression, "one of " + string.Join(", ", Compressions));
        }

        var session = c.ReadDuration("alerting.kafka.session-timeout", TimeSpan.FromSeconds(10));
        var heartbeat = c.ReadDuration("alerting.kafka.heartbeat-interval", TimeSpan.FromSeconds(3));
        if (heartbeat >= session)
        {
            throw new ConfigurationValueException("alerting.kafka.heartbeat-interval", heartbeat.ToString(), "shorter than alerting.kafka.session-timeout");
        }

        var properties = c.ReadFlatObject("alerting.kafka.properties");
        if (KafkaClientProperties.Find(properties) is { } refused)
        {
            throw new ConfigurationValueException("alerting.kafka.properties." + refused.Key, refused.Value, refused.Reason);
        }

        return new KafkaSettings(
            c.ReadString("alerting.kafka.bootstrap-servers", ""),
            c.ReadRequiredString("alerting.kafka.client-id"),
            session,
            heartbeat,
            c.ReadDuration("alerting.kafka.fetch-max-wait", TimeSpan.FromMilliseconds(100)),
            c.ReadDuration("alerting.kafka.linger", TimeSpan.FromMilliseconds(5)),
            compression,
            c.ReadInt("alerting.kafka.producer-queue-max-messages", 1_000_000, 1, 10_000_000),
            properties,
            TopicSettings.Create(c));
    }

    /// <summary>A copy pointing at other bootstrap servers.</summary>
    public KafkaSettings WithBootstrapServers(string bootstrapServers) => this with { BootstrapServers = bootstrapServers };
}

/// <summary>Where the rules come from (<c>alerting.rules</c>); relative paths are taken from the service's folder.</summary>
/// <param name="TemplatesDirectory">Folder of the rule templates.</param>
/// <param name="File">HOCON file of rule instances.</param>
/// <param name="OpenAlertTimeToLive">How long an open alert waits for its revoke.</param>
/// <param name="MaxPartialMatches">The most partial matches a sequence rule keeps per device.</param>
/// <param name="MaxHeldEvents">
/// The most live elements (events and watermark steps) a partition holds for a rule bootstrapping over history while its
/// other rules go on (<c>alerting.rules.bootstrap.max-held-events</c>); past it the partition waits for the hand-over.
/// </param>
public sealed record RulesSettings(string TemplatesDirectory, string File, TimeSpan OpenAlertTimeToLive, int MaxPartialMatches = 64, int MaxHeldEvents = BootstrapSettings.DefaultMaxHeldElements)
{
    /// <summary>The settings under <c>alerting.rules</c> of <paramref name="c"/>.</summary>
    public static RulesSettings Create(Config c) => new(
        Resolve(c.ReadRequiredString("alerting.rules.templates")),
        Resolve(c.ReadRequiredString("alerting.rules.file")),
        c.ReadDuration("alerting.rules.open-alert-ttl", TimeSpan.FromHours(24)),
        c.ReadInt("alerting.rules.max-partial-matches", 64, 1, 100_000),
        c.ReadInt("alerting.rules.bootstrap.max-held-events", BootstrapSettings.DefaultMaxHeldElements, 1, 10_000_000));

    /// <summary>A copy reading the rules from <paramref name="file"/>.</summary>
    public RulesSettings WithFile(string file) => this with { File = Resolve(file) };

    /// <summary>A copy holding at most <paramref name="maxHeldEvents"/> live elements per bootstrapping partition.</summary>
    public RulesSettings WithMaxHeldEvents(int maxHeldEvents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeldEvents, 1);
        return this with { MaxHeldEvents = maxHeldEvents };
    }

    private static string Resolve(string path) => Path.GetFullPath(path, AppContext.BaseDirectory);
}

/// <summary>The dispatcher's journal and snapshot store (<c>alerting.persistence</c>).</summary>
public sealed record PersistenceSettings(string Provider, string SqlitePath, string ConnectionString)
{
    /// <summary>The settings under <c>alerting.persistence</c> of <paramref name="c"/>, validated.</summary>
    public static PersistenceSettings Create(Config c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var provider = c.ReadRequiredString("alerting.persistence.provider");
        if (provider is not ("sqlite" or "postgres"))
        {
            throw new ConfigurationValueException("alerting.persistence.provider", provider, "sqlite or postgres");
        }

        var connection = c.ReadString("alerting.persistence.connection-string", "");
        if (provider == "postgres" && connection.Length == 0)
        {
            throw new ConfigurationValueException("alerting.persistence.connection-string", connection, "an Npgsql connection string when provider = postgres");
        }

        return new PersistenceSettings(provider, c.ReadString("alerting.persistence.sqlite-path", ""), connection);
    }

    /// <summary>Secrets stay out of logs.</summary>
    public override string ToString() => $"PersistenceSettings {{ Provider = {Provider}, SqlitePath = {SqlitePath} }}";
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
    /// <summary>The settings under <c>alerting.demo</c> of <paramref name="c"/>.</summary>
    public static DemoSettings Create(Config c) => new(
        c.ReadDuration("alerting.demo.duration", TimeSpan.Zero),
        c.ReadInt("alerting.demo.devices", 5000, 1, 10_000_000),
        c.ReadInt("alerting.demo.events-per-second", 20_000, 1, 10_000_000),
        c.ReadInt("alerting.demo.partitions", 8, 1, 1024),
        c.ReadInt("alerting.demo.brokers", 1, 1, 9),
        c.ReadDuration("alerting.demo.max-disorder", TimeSpan.FromSeconds(4)),
        Share(c, "alerting.demo.late-share", 0.002),
        Share(c, "alerting.demo.malformed-share", 0.001),
        c.ReadInt("alerting.demo.seed", 42),
        c.ReadDuration("alerting.demo.status-interval", TimeSpan.FromSeconds(1)));

    /// <summary>A copy that runs for <paramref name="duration"/> (zero: until stopped).</summary>
    public DemoSettings WithDuration(TimeSpan duration) => this with { Duration = duration };

    private static double Share(Config c, string key, double fallback)
    {
        var v = c.ReadDouble(key, fallback);
        return v is >= 0 and <= 1 ? v : throw new ConfigurationValueException(key, v.ToString(CultureInfo.InvariantCulture), "a share between 0 and 1");
    }
}

/// <summary>
/// Everything the service reads, created once at start-up from the merged HOCON into immutable values (Akka
/// style: <see cref="Create"/> from a <see cref="Config"/>, <c>With*</c> copies). An invalid value stops start-up
/// with a <see cref="ConfigurationValueException"/> or <see cref="SourceConfigurationException"/> naming its path.
/// </summary>
public sealed record AlertingSettings(
    IReadOnlyList<string> Applications,
    string InstanceName,
    KafkaSettings Kafka,
    string AlertGroupId,
    int AlertBatchSize,
    Alerting.Dispatch.Hosting.DispatchSettings Dispatch,
    PersistenceSettings Persistence,
    RulesSettings Rules,
    IReadOnlyList<SourceDefinition> Sources,
    DemoSettings Demo)
{
    /// <summary>The device-config lookup join's settings (<c>alerting.enrichment</c>).</summary>
    public Alerting.Enrichment.DeviceLookupSettings Enrichment { get; init; } = Alerting.Enrichment.DeviceLookupSettings.Default;

    /// <summary>How often the alert pipeline stores a checkpoint and commits its offsets (<c>alerting.alert.checkpoint-interval</c>).</summary>
    public TimeSpan AlertCheckpointInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The time an event feeds to its partition's watermark is clamped to wall clock + this
    /// (<c>alerting.alert.max-clock-skew</c>): one device with a clock minutes fast cannot hold everyone's alerts back.
    /// </summary>
    public TimeSpan AlertMaxClockSkew { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// <c>alerting.profile</c>: <c>production</c> refuses to start with plaintext Kafka or PostgreSQL without
    /// <c>SSL Mode=VerifyFull</c> (<see cref="TransportSecurity"/>); <c>development</c> (the default) warns.
    /// </summary>
    public string Profile { get; init; } = TransportSecurity.Development;

    private static readonly string[] KnownApplications = ["alert", "dispatch"];
    private static readonly string[] KnownProfiles = [TransportSecurity.Development, TransportSecurity.Production];

    /// <summary>Every setting of the service from <paramref name="c"/> (reference.conf's defaults under the overrides).</summary>
    public static AlertingSettings Create(Config c)
    {
        ArgumentNullException.ThrowIfNull(c);
        var apps = c.ReadStringList("alerting.applications");
        foreach (var app in apps)
        {
            if (!KnownApplications.Contains(app, StringComparer.Ordinal))
            {
                throw new ConfigurationValueException("alerting.applications", app, "alert or dispatch");
            }
        }

        var name = c.ReadString("alerting.instance-name", "");
        var sources = SourceDefinition.CreateAll(c);
        var skew = c.ReadDuration("alerting.alert.max-clock-skew", TimeSpan.FromSeconds(1));
        // A watermark may run ahead of the wall clock by skew − max-out-of-orderness: with a skew that large, a device
        // with a fast clock pushes it past the other devices' real-time events, which then all go to the late topic.
        if (sources.FirstOrDefault(source => skew >= source.MaxOutOfOrderness) is { } tooTight)
        {
            throw new ConfigurationValueException("alerting.alert.max-clock-skew", $"{skew.TotalMilliseconds:0}ms",
                $"shorter than the max-out-of-orderness of every source ({tooTight.MaxOutOfOrderness.TotalMilliseconds:0} ms for source {tooTight.Name})");
        }

        var profile = c.ReadString("alerting.profile", TransportSecurity.Development);
        if (!KnownProfiles.Contains(profile, StringComparer.Ordinal))
        {
            throw new ConfigurationValueException("alerting.profile", profile, "development or production");
        }

        return new AlertingSettings(
            apps,
            name.Length == 0 ? Environment.MachineName : name,
            KafkaSettings.Create(c),
            c.ReadRequiredString("alerting.alert.group-id"),
            c.ReadInt("alerting.alert.batch-size", 2000, 1, 1_000_000),
            Alerting.Dispatch.Hosting.DispatchSettings.Create(c),
            PersistenceSettings.Create(c),
            RulesSettings.Create(c),
            sources,
            DemoSettings.Create(c))
        {
            Enrichment = Alerting.Enrichment.DeviceLookupSettings.Create(c),
            AlertCheckpointInterval = c.ReadDuration("alerting.alert.checkpoint-interval", TimeSpan.FromSeconds(5)),
            AlertMaxClockSkew = skew,
            Profile = profile,
        };
    }

    /// <summary>A copy with other demo settings.</summary>
    public AlertingSettings WithDemo(DemoSettings demo) => this with { Demo = demo };

    /// <summary>A copy with other Kafka settings.</summary>
    public AlertingSettings WithKafka(KafkaSettings kafka) => this with { Kafka = kafka };
}
