using Alerting.Configuration;
using Alerting.Service.Hosting;
using Alerting.Service.Settings;

namespace Alerting.IntegrationTests;

/// <summary>The service's HOCON files, their layering, and start-up validation.</summary>
public sealed class ServiceConfigurationSpec : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alerting-config").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData("run")]
    [InlineData("demo")]
    public void The_shipped_files_must_bind_to_valid_settings(string verb)
    {
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, verb, []));

        Assert.Equal(["alert", "dispatch"], settings.Applications);
        Assert.Equal("device-events", settings.Kafka.Topics.Events);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.Demo.StatusInterval);
        Assert.True(settings.Kafka.HeartbeatInterval < settings.Kafka.SessionTimeout);
        Assert.Equal(Alerting.Enrichment.DeviceLookupSettings.Default, settings.Enrichment);
    }

    [Fact]
    public void A_FILE_variable_must_serve_its_variable_to_substitutions_and_overrides_and_lose_to_the_variable_itself()
    {
        var file = Write("a.conf", "alerting.persistence { provider = postgres, connection-string = ${?PG_SECRET} }");
        var secret = Write("pg", "Host=db;Password=canary-1\n");
        var token = Write("client", "from-file\n");
        var environment = new Dictionary<string, string>
        {
            ["PG_SECRET_FILE"] = secret,
            ["alerting__kafka__client-id_FILE"] = token,
            ["alerting__alert__group-id_FILE"] = token,
            ["alerting__alert__group-id"] = "set-directly",
        };

        var settings = AlertingSettings.Create(ServiceConfiguration.Build(file, "run", [], environment));

        Assert.Equal("Host=db;Password=canary-1", settings.Persistence.ConnectionString);
        Assert.Equal("from-file", settings.Kafka.ClientId);
        Assert.Equal("set-directly", settings.AlertGroupId);
    }

    [Fact]
    public void A_FILE_variable_whose_file_is_missing_must_stop_start_up_naming_the_variable()
    {
        var environment = new Dictionary<string, string> { ["ALERTING_POSTGRES_FILE"] = Path.Combine(_dir, "absent") };

        var ex = Assert.Throws<ConfigurationValueException>(() => ServiceConfiguration.Build(null, "run", [], environment));

        Assert.Equal("ALERTING_POSTGRES_FILE", ex.Key);
    }

    [Theory]
    [InlineData("PLAINTEXT", "SSL Mode=VerifyFull", "alerting.kafka.properties.security.protocol")]
    [InlineData(null, "SSL Mode=VerifyFull", "alerting.kafka.properties.security.protocol")]
    [InlineData("SASL_SSL", "SSL Mode=Require", "alerting.persistence.connection-string (SSL Mode)")]
    [InlineData("SSL", "", "alerting.persistence.connection-string (SSL Mode)")]
    public void The_production_profile_must_refuse_a_weak_transport_naming_the_setting(string? protocol, string sslMode, string setting)
    {
        string[] args =
        [
            "--alerting:profile=production", "--alerting:kafka:bootstrap-servers=kafka:9093",
            "--alerting:persistence:provider=postgres", $"--alerting:persistence:connection-string=Host=db;Password=canary-2;{sslMode}",
            .. protocol is null ? Array.Empty<string>() : [$"--alerting:kafka:properties:security.protocol={protocol}"],
        ];
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "run", args, new Dictionary<string, string>()));

        var ex = Assert.Throws<ConfigurationValueException>(() => TransportSecurity.Enforce(settings));

        Assert.Equal(setting, ex.Key);
        Assert.DoesNotContain("canary-2", ex.Message, StringComparison.Ordinal);
        var development = settings with { Profile = TransportSecurity.Development };
        Assert.Contains(TransportSecurity.Enforce(development), f => f.Key == setting);
    }

    [Fact]
    public void The_production_profile_must_accept_tls_kafka_and_verify_full_postgres()
    {
        string[] args =
        [
            "--alerting:profile=production", "--alerting:kafka:bootstrap-servers=kafka:9093",
            "--alerting:kafka:properties:security.protocol=SASL_SSL",
            "--alerting:persistence:provider=postgres", "--alerting:persistence:connection-string=Host=db;SSL Mode=VerifyFull",
        ];
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "run", args, new Dictionary<string, string>()));

        Assert.Equal(TransportSecurity.Production, settings.Profile);
        Assert.Empty(TransportSecurity.Enforce(settings));
        Assert.Equal(TransportSecurity.Development, AlertingSettings.Create(ServiceConfiguration.Build(null, "run", [], new Dictionary<string, string>())).Profile);
    }

    [Fact]
    public void A_max_clock_skew_not_shorter_than_the_disorder_bound_must_stop_start_up()
    {
        var empty = new Dictionary<string, string>();
        Assert.Equal(TimeSpan.FromSeconds(1), AlertingSettings.Create(ServiceConfiguration.Build(null, "run", [], empty)).AlertMaxClockSkew);

        var ex = Assert.Throws<ConfigurationValueException>(() =>
            AlertingSettings.Create(ServiceConfiguration.Build(null, "run", ["--alerting:alert:max-clock-skew=5s"], empty)));

        Assert.Equal("alerting.alert.max-clock-skew", ex.Key);
        Assert.Contains("devices", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_setting_in_reference_conf_must_have_a_comment_on_the_line_before()
    {
        var lines = File.ReadAllLines(Path.Combine(ServiceConfiguration.HoconDirectory, "reference.conf"));
        var uncommented = new List<string>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            var isSetting = line.Length > 0 && !line.StartsWith('#') && !line.StartsWith('}') && line.Contains('=', StringComparison.Ordinal);
            if (isSetting && (i == 0 || !lines[i - 1].TrimStart().StartsWith('#')))
            {
                uncommented.Add($"{i + 1}: {line}");
            }
        }

        Assert.Empty(uncommented);
    }

    [Fact]
    public void Arguments_must_override_environment_variables_which_override_the_file_which_overrides_reference_conf()
    {
        var file = Write("a.conf", "alerting.kafka.client-id = from-file\nalerting.alert.group-id = from-file\nalerting.dispatch.group-id = from-file");
        var environment = new Dictionary<string, string>
        {
            ["alerting__alert__group-id"] = "from-env",
            ["alerting__kafka__client-id"] = "from-env",
            ["alerting__kafka__properties__security.protocol"] = "SASL_SSL",
            ["alerting__applications"] = "[dispatch]",
            ["PATH_LIKE__alerting"] = "ignored",
        };

        var settings = AlertingSettings.Create(ServiceConfiguration.Build(
            file, "run", ["--alerting:kafka:client-id=from-args", "--alerting:kafka:linger", "7ms", "alerting:demo:devices=12"], environment));

        Assert.Equal("from-args", settings.Kafka.ClientId);
        Assert.Equal(TimeSpan.FromMilliseconds(7), settings.Kafka.Linger);
        Assert.Equal(12, settings.Demo.Devices);
        Assert.Equal("from-env", settings.AlertGroupId);
        Assert.Equal(["dispatch"], settings.Applications);
        Assert.Equal("SASL_SSL", settings.Kafka.Properties["security.protocol"]);
        Assert.Equal("from-file", settings.Dispatch.GroupId);
        Assert.Equal("alerts", settings.Kafka.Topics.Alerts);
    }

    [Fact]
    public void The_bootstrap_hold_limit_must_default_from_reference_conf_and_take_an_override()
    {
        var defaults = AlertingSettings.Create(ServiceConfiguration.Build(null, "run", []));
        var file = Write("held.conf", "alerting.rules.bootstrap.max-held-events = 1234");
        var overridden = AlertingSettings.Create(ServiceConfiguration.Build(file, "run", []));

        Assert.Equal(Alerting.Rules.BootstrapSettings.DefaultMaxHeldElements, defaults.Rules.MaxHeldEvents);
        Assert.Equal(1234, overridden.Rules.MaxHeldEvents);
        Assert.Equal(7, overridden.Rules.WithMaxHeldEvents(7).MaxHeldEvents);
        Assert.Throws<ArgumentOutOfRangeException>(() => overridden.Rules.WithMaxHeldEvents(0));
    }

    [Fact]
    public void The_shipped_production_file_must_take_its_substitutions_from_the_environment()
    {
        var environment = new Dictionary<string, string>
        {
            ["KAFKA_BOOTSTRAP_SERVERS"] = "kafka-1:9092",
            ["ALERTING_PERSISTENCE_PROVIDER"] = "postgres",
            ["ALERTING_POSTGRES"] = "Host=db;Username=a",
        };
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "run", [], environment));

        Assert.Equal("kafka-1:9092", settings.Kafka.BootstrapServers);
        Assert.Equal(("postgres", "Host=db;Username=a"), (settings.Persistence.Provider, settings.Persistence.ConnectionString));

        var unset = AlertingSettings.Create(ServiceConfiguration.Build(null, "run", [], new Dictionary<string, string>()));
        Assert.Equal("sqlite", unset.Persistence.Provider);
    }

    [Fact]
    public void A_syntax_error_must_name_the_file_line_and_column()
    {
        var file = Write("bad.conf", "alerting {\n  kafka {\n    linger = 5ms\n  \n}\n");

        var ex = Assert.Throws<HoconException>(() => ServiceConfiguration.Build(file, "run", []));

        Assert.EndsWith("bad.conf", ex.File, StringComparison.Ordinal);
        Assert.Equal((6, 1), (ex.Line, ex.Column));
        Assert.Contains("the object opened at line 1, column 10 is never closed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_override_must_name_the_argument()
    {
        var ex = Assert.Throws<ConfigurationValueException>(() => ServiceConfiguration.Build(null, "run", ["--alerting:applications=[alert"]));

        Assert.Equal("--alerting:applications=[alert", ex.Key);
    }

    [Theory]
    [InlineData("alerting.kafka.linger = soon", "alerting.kafka.linger")]
    [InlineData("alerting.kafka.compression = brotli", "alerting.kafka.compression")]
    [InlineData("alerting.applications = [alert, paging]", "alerting.applications")]
    [InlineData("alerting.demo.late-share = 1.5", "alerting.demo.late-share")]
    [InlineData("alerting.kafka.heartbeat-interval = 20s", "alerting.kafka.heartbeat-interval")]
    [InlineData("alerting.enrichment.cache.max-rows = -1", "alerting.enrichment.cache.max-rows")]
    [InlineData("alerting.enrichment.cache.ttl = 0s", "alerting.enrichment.cache.ttl")]
    [InlineData("alerting.enrichment.batch.size = 0", "alerting.enrichment.batch.size")]
    [InlineData("alerting.enrichment.parallelism = 0", "alerting.enrichment.parallelism")]
    [InlineData("alerting.enrichment.backoff.max = 10ms", "alerting.enrichment.backoff.max")]
    [InlineData("alerting.enrichment.backoff.random-factor = -0.5", "alerting.enrichment.backoff.random-factor")]
    [InlineData("alerting.rules.bootstrap.max-held-events = 0", "alerting.rules.bootstrap.max-held-events")]
    public void An_invalid_value_must_stop_start_up_naming_the_key(string hocon, string key)
    {
        var file = Write("value.conf", hocon);

        var ex = Assert.Throws<ConfigurationValueException>(() => AlertingSettings.Create(ServiceConfiguration.Build(file, "run", [])));

        Assert.Equal(key, ex.Key);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_command_line_must_split_verb_options_and_configuration_arguments()
    {
        var cmd = Service.Hosting.CommandLine.Parse(["demo", "--duration", "20s", "--config", "x.conf", "--alerting:demo:devices=10"]);

        Assert.Equal("demo", cmd.Verb);
        Assert.Equal("20s", cmd.Duration);
        Assert.Equal("x.conf", cmd.ConfigFile);
        Assert.Equal(["--alerting:demo:devices=10"], cmd.ConfigurationArgs);
        Assert.Equal("run", Service.Hosting.CommandLine.Parse([]).Verb);
    }
}
