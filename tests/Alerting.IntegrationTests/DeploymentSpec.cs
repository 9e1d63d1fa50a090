using System.Collections;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Alerting.Configuration;
using Alerting.Service.Hosting;
using Alerting.Service.Operations;
using Alerting.Service.Settings;
using YamlDotNet.RepresentationModel;

namespace Alerting.IntegrationTests;

/// <summary>
/// The Kubernetes manifests, the compose file and the Dockerfile name only configuration keys, environment variables and
/// ports the service reads: every <c>alerting__…</c> variable is a key of <c>hocon/reference.conf</c>, every other
/// variable of a service container is substituted by the configuration it runs with (or is the admin token's),
/// the ConfigMap's file builds the service's settings, and every port named is one the configuration opens.
/// </summary>
public sealed partial class DeploymentSpec
{
    private static readonly string Deploy = Path.Combine(AppContext.BaseDirectory, "deploy");

    [GeneratedRegex(@"\$\{\??([A-Z_][A-Z0-9_]*)\}")]
    private static partial Regex Substitution();

    private static readonly Config Reference = ServiceConfiguration.Build(null, "run", [], new Hashtable());

    private static readonly string ReferenceText = File.ReadAllText(Path.Combine(ServiceConfiguration.HoconDirectory, "reference.conf"));

    [Fact]
    public void The_kubernetes_manifests_must_name_only_keys_variables_and_ports_the_service_reads()
    {
        var docs = Load(Path.Combine(Deploy, "alerting.yaml"));
        var kinds = docs.Select(d => Scalar(d, "kind")).ToList();
        Assert.Contains("Deployment", kinds);
        Assert.Contains("PodDisruptionBudget", kinds);
        Assert.Contains("ServiceAccount", kinds);

        // the ConfigMap's file: every key is one of reference.conf, and it builds the settings the node starts with
        var conf = Scalar(Map(docs.Single(d => Scalar(d, "kind") == "ConfigMap"), "data"), "alerting.conf");
        var env = new Hashtable { ["POD_IP"] = "10.1.2.3", ["KAFKA_BOOTSTRAP_SERVERS"] = "kafka:9092", ["ALERTING_POSTGRES"] = "Host=pg", ["ALERTING_ADMIN_TOKEN"] = "t" };
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, conf);
            var fileConfig = HoconDocument.Load(file, name => env[name] as string).Config;
            foreach (var key in Leaves(fileConfig.Root, ""))
            {
                Assert.True(KnownKey(key), $"the ConfigMap sets {key}, which reference.conf does not have");
            }

            var config = ServiceConfiguration.Build(file, "run", [], env);
            var settings = AlertingSettings.Create(config);
            var admin = AdminSettings.Create(config, name => env[name] as string);
            var formation = ClusterFormationSettings.Create(config);
            Assert.Equal("postgres", settings.Persistence.Provider);
            Assert.True(formation.Kubernetes);
            Assert.False(admin.IsLoopback);
            Assert.True(admin.AnonymousHealth);
            Assert.Equal("10.1.2.3", config.GetString("alerting.cluster.hostname"));

            // the Deployment: variables, ports, probes and the preStop endpoint match that configuration
            var deployment = docs.Single(d => Scalar(d, "kind") == "Deployment");
            var pod = Map(Map(Map(deployment, "spec"), "template"), "spec");
            var container = (YamlMappingNode)Seq(pod, "containers").Children.Single();
            var substituted = Substitution().Matches(conf).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            foreach (var variable in Seq(container, "env").Children.Cast<YamlMappingNode>().Select(e => Scalar(e, "name")))
            {
                Assert.True(KnownVariable(variable, substituted), $"the Deployment sets {variable}, which the service does not read");
            }

            var ports = Seq(container, "ports").Children.Cast<YamlMappingNode>().ToDictionary(p => Scalar(p, "name"), p => int.Parse(Scalar(p, "containerPort"), System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(admin.Port, ports["admin"]);
            Assert.Equal(formation.ManagementPort, ports["management"]);
            Assert.Equal(config.GetInt("alerting.cluster.port"), ports["remoting"]);
            foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
            {
                var get = Map(Map(container, probe), "httpGet");
                Assert.Equal("admin", Scalar(get, "port"));
                Assert.StartsWith("/health/", Scalar(get, "path"), StringComparison.Ordinal);
            }

            var preStop = Seq(Map(Map(Map(container, "lifecycle"), "preStop"), "exec"), "command").Children.Select(c => ((YamlScalarNode)c).Value).ToList();
            Assert.Contains($"http://127.0.0.1:{admin.Port}", preStop);
            Assert.Equal(["cluster", "leave", "self"], preStop.SkipWhile(a => a != "cluster").Take(3));

            // the config file mounted where args point; the root filesystem read-only, /tmp writable, not root
            var args = Seq(container, "args").Children.Select(c => ((YamlScalarNode)c).Value).ToList();
            var mounts = Seq(container, "volumeMounts").Children.Cast<YamlMappingNode>().Select(m => Scalar(m, "mountPath")).ToList();
            Assert.Contains(args[args.IndexOf("--config") + 1], mounts);
            Assert.Contains("/tmp", mounts);
            Assert.Equal("true", Scalar(Map(container, "securityContext"), "readOnlyRootFilesystem"));
            Assert.Equal("true", Scalar(Map(pod, "securityContext"), "runAsNonRoot"));

            // the headless Service names only container ports; the pod label is what bootstrap selects
            var service = docs.Single(d => Scalar(d, "kind") == "Service");
            Assert.Equal("None", Scalar(Map(service, "spec"), "clusterIP"));
            foreach (var port in Seq(Map(service, "spec"), "ports").Children.Cast<YamlMappingNode>())
            {
                Assert.True(ports.ContainsKey(Scalar(port, "targetPort")), $"the Service targets {Scalar(port, "targetPort")}");
            }

            var labels = Map(Map(Map(Map(deployment, "spec"), "template"), "metadata"), "labels");
            Assert.Equal(formation.ServiceName, Scalar(labels, "app"));
            var role = docs.Single(d => Scalar(d, "kind") == "Role");
            var rule = (YamlMappingNode)Seq(role, "rules").Children.Single();
            Assert.Equal(["get", "watch", "list"], Seq(rule, "verbs").Children.Select(v => ((YamlScalarNode)v).Value));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void The_compose_file_must_name_only_keys_variables_and_ports_the_service_reads()
    {
        var compose = Load(Path.Combine(Deploy, "docker-compose.yml")).Single();
        var services = Map(compose, "services");
        var nodes = services.Children.Where(kv => ((YamlScalarNode)kv.Key).Value!.StartsWith("alerting-", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, nodes.Count);
        Assert.Contains(services.Children, kv => ((YamlScalarNode)kv.Key).Value == "kafka" && Scalar(Map((YamlMappingNode)kv.Value, "environment"), "KAFKA_PROCESS_ROLES").Contains("controller", StringComparison.Ordinal));
        Assert.Contains(services.Children, kv => ((YamlScalarNode)kv.Key).Value == "postgres");

        var seeds = new HashSet<string>(StringComparer.Ordinal);
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, value) in nodes)
        {
            var node = (YamlMappingNode)value;
            var environment = Map(node, "environment").Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => ((YamlScalarNode)kv.Value).Value ?? "", StringComparer.Ordinal);
            foreach (var variable in environment.Keys)
            {
                Assert.True(KnownVariable(variable, new HashSet<string>()), $"compose sets {variable}, which the service does not read");
            }

            // the node's configuration as the service would build it from these variables
            var env = new Hashtable();
            foreach (var (k, v) in environment)
            {
                env[k] = v;
            }

            var config = ServiceConfiguration.Build(null, "run", [], env);
            var admin = AdminSettings.Create(config, name => env[name] as string);
            AlertingSettings.Create(config);
            Assert.False(admin.IsLoopback);
            Assert.NotNull(admin.Token);
            var published = Seq(node, "ports").Children.Select(p => ((YamlScalarNode)p).Value!.Split(':')[1]).Single();
            Assert.Equal(admin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), published);
            hosts.Add($"akka.tcp://alerting@{config.GetString("alerting.cluster.hostname")}:{config.GetInt("alerting.cluster.port")}");
            seeds.UnionWith(config.GetStringList("alerting.cluster.seed-nodes"));
        }

        // one seed, and it is one of the nodes
        Assert.Single(seeds);
        Assert.Contains(seeds.Single(), hosts);
    }

    [Fact]
    public void The_image_must_run_on_the_aspnet_runtime_as_a_user_that_can_write_the_state_folder()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile"));
        Assert.Contains(dockerfile, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:", StringComparison.Ordinal)); // Kestrel needs the ASP.NET Core shared framework
        Assert.Contains(dockerfile, l => l.Contains("chown 1000:1000 /data", StringComparison.Ordinal));
        Assert.Contains("USER 1000", dockerfile);
        var sqlite = dockerfile.Single(l => l.StartsWith("ENV alerting__", StringComparison.Ordinal))["ENV ".Length..].Split('=', 2);
        Assert.True(KnownVariable(sqlite[0], new HashSet<string>()));
        Assert.StartsWith("/data/", sqlite[1], StringComparison.Ordinal);
        var exposed = dockerfile.Single(l => l.StartsWith("EXPOSE", StringComparison.Ordinal)).Split(' ').Skip(1).Select(int.Parse).ToList();
        Assert.Contains(AdminSettings.Create(Reference, _ => null).Port, exposed);
        Assert.Contains(ClusterFormationSettings.Create(Reference).ManagementPort, exposed);
    }

    [Fact]
    public void Cluster_discovery_must_be_self_or_kubernetes_and_kubernetes_must_come_without_seed_nodes()
    {
        Assert.False(ClusterFormationSettings.Create(Reference).Kubernetes);
        var kubernetes = ClusterFormationSettings.Create(ConfigurationFactory.ParseString("alerting.cluster { discovery = kubernetes, bootstrap.required-contact-points = 3 }").WithFallback(Reference));
        Assert.True(kubernetes.Kubernetes);
        Assert.Equal(3, kubernetes.RequiredContactPoints);
        Assert.Equal(8559, kubernetes.ManagementPort);
        Assert.Equal("alerting.cluster.discovery", Assert.Throws<ConfigurationValueException>(() =>
            ClusterFormationSettings.Create(ConfigurationFactory.ParseString("alerting.cluster.discovery = consul").WithFallback(Reference))).Key);
        Assert.Equal("alerting.cluster.seed-nodes", Assert.Throws<ConfigurationValueException>(() =>
            ClusterFormationSettings.Create(ConfigurationFactory.ParseString("alerting.cluster { discovery = kubernetes, seed-nodes = [\"akka.tcp://alerting@a:4053\"] }").WithFallback(Reference))).Key);
        Assert.Equal("keep-majority", Reference.GetString("akka.cluster.split-brain-resolver.active-strategy"));
    }

    /// <summary>An <c>alerting__a__b</c> / <c>akka__…</c> override of a known key, a variable substituted by the configuration, or the admin token's.</summary>
    private static bool KnownVariable(string name, IReadOnlySet<string> substituted)
    {
        if (name.StartsWith("alerting__", StringComparison.Ordinal) || name.StartsWith("akka__", StringComparison.Ordinal))
        {
            return KnownKey(string.Join('.', name.Split("__")));
        }

        var hocon = Directory.GetFiles(ServiceConfiguration.HoconDirectory, "*.conf").Select(File.ReadAllText);
        return substituted.Contains(name)
            || hocon.Any(text => text.Contains("${?" + name + "}", StringComparison.Ordinal))
            || name == Reference.GetString("alerting.admin.token-env");
    }

    /// <summary>A key of reference.conf (or one documented there commented out, as <c>alerting.cluster.seed-nodes</c>).</summary>
    private static bool KnownKey(string path) =>
        Reference.HasPath(path) || ReferenceText.Contains("# " + path.Split('.')[^1] + " = ", StringComparison.Ordinal);

    private static IEnumerable<string> Leaves(Akka.Configuration.Hocon.HoconValue value, string prefix)
    {
        if (value.IsObject())
        {
            foreach (var (key, child) in value.GetObject().Items)
            {
                foreach (var leaf in Leaves(child, prefix.Length == 0 ? key : prefix + "." + key))
                {
                    yield return leaf;
                }
            }
        }
        else
        {
            yield return prefix;
        }
    }

    private static List<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(new YamlDotNet.Core.MergingParser(new YamlDotNet.Core.Parser(reader))); // the compose file's <<: merge keys
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[new YamlScalarNode(key)];

    private static YamlSequenceNode Seq(YamlMappingNode node, string key) => (YamlSequenceNode)node.Children[new YamlScalarNode(key)];

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value ?? "";
}
