using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Alerting.Kafka;
using Confluent.Kafka;
using Npgsql;

namespace Alerting.Reliability;

/// <summary>
/// What every scenario runs on: the dev broker in its own process, a database of its own on the private PostgreSQL,
/// the canary secrets (PostgreSQL password, Kafka SASL password, admin token) handed to the nodes only through
/// <c>*_FILE</c> variables and the token file, and up to a few service nodes as child processes forming one cluster.
/// </summary>
public sealed class Rig : IAsyncDisposable
{
    public const int Partitions = 8;
    private const int MaxNodes = 3;
    private readonly ChildProcess _broker;
    private readonly ChildProcess?[] _nodes = new ChildProcess?[MaxNodes];
    private readonly int[] _remoting;
    private readonly int[] _admin;
    private readonly string _secretDir;
    private readonly string _serverConnection;
    private readonly string _database;
    private readonly TextWriter _log;

    private Rig(ChildProcess broker, string bootstrap, string logDir, string secretDir, string serverConnection, string database, Canaries canaries, TextWriter log)
    {
        _broker = broker;
        BootstrapServers = bootstrap;
        LogDir = logDir;
        _secretDir = secretDir;
        _serverConnection = serverConnection;
        _database = database;
        Canaries = canaries;
        _log = log;
        _remoting = Enumerable.Range(0, MaxNodes).Select(_ => FreePort()).ToArray();
        _admin = Enumerable.Range(0, MaxNodes).Select(_ => FreePort()).ToArray();
        Producer = KafkaClients.ProducerBuilder<string, byte[]>(new ProducerConfig(KafkaClients.ProducerConfig(bootstrap))
        {
            // The 2 MB bad record must get to the broker: more than the service's producers forward.
            MessageMaxBytes = 4 * 1024 * 1024,
            CompressionType = CompressionType.None,
            // One request in flight: the mock cluster checks producer sequence numbers only for transactional
            // producers, so with several in flight a batch sent after one that got an injected error is appended,
            // and librdkafka, seeing it acknowledged, reports the earlier batch delivered too: the input came out
            // short with no delivery error (scenario 3). A real broker refuses the overtaking batch instead.
            MaxInFlight = 1,
        }).Build();
    }

    public string BootstrapServers { get; }

    public string LogDir { get; }

    public Canaries Canaries { get; }

    public IProducer<string, byte[]> Producer { get; }

    /// <summary>Extra settings every node of this rig gets (a scenario's own).</summary>
    public List<string> NodeArgs { get; } = [];

    public ChildProcess? Node(int i) => _nodes[i];

    /// <summary>The remoting port node <paramref name="i"/> runs (or last ran) on: its cluster address ends in it.</summary>
    public int RemotingPort(int i) => _remoting[i];

    public static async Task<Rig> StartAsync(string scenario, string logRoot, string serverConnection, Canaries canaries, TextWriter log, CancellationToken cancellationToken)
    {
        var logDir = Path.Combine(logRoot, scenario);
        Directory.CreateDirectory(logDir);
        var secretDir = Directory.CreateTempSubdirectory("alerting-rel-secrets").FullName;
        var broker = ChildProcess.Start("broker", logDir, ["dev-broker", $"--alerting:demo:partitions={Partitions}"], new Dictionary<string, string>(), input: true);
        string bootstrap;
        try
        {
            bootstrap = (await broker.WaitForLineAsync("bootstrap.servers=", TimeSpan.FromSeconds(60), cancellationToken))["bootstrap.servers=".Length..].Trim();
        }
        catch
        {
            await broker.DisposeAsync();
            throw;
        }

        var database = "rel_" + scenario.Replace('-', '_') + "_" + Guid.NewGuid().ToString("N")[..8];
        await using (var admin = new NpgsqlConnection(serverConnection))
        {
            await admin.OpenAsync(cancellationToken);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }

        // The canary password: PostgreSQL here trusts loopback, so it is carried along and never checked: it can only leak.
        var nodeConnection = new NpgsqlConnectionStringBuilder(serverConnection) { Database = database, Password = canaries.PostgresPassword }.ConnectionString;
        await File.WriteAllTextAsync(Path.Combine(secretDir, "postgres"), nodeConnection + "\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(secretDir, "sasl"), canaries.SaslPassword + "\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(secretDir, "token"), canaries.AdminToken + "\n", cancellationToken);
        log.WriteLine($"[{scenario}] broker {bootstrap}, database {database}");
        return new Rig(broker, bootstrap, logDir, secretDir, serverConnection, database, canaries, log);
    }

    /// <summary>The arguments of node <paramref name="i"/>'s <c>run</c>.</summary>
    public IReadOnlyList<string> ArgsOf(int i, int clusterSize)
    {
        var seeds = string.Join(',', _remoting.Take(clusterSize).Select(p => $"\"akka.tcp://alerting@127.0.0.1:{p}\""));
        return
        [
            "run",
            $"--alerting:kafka:bootstrap-servers={BootstrapServers}", "--alerting:kafka:session-timeout=6s", "--alerting:kafka:heartbeat-interval=1s",
            $"--alerting:cluster:port={_remoting[i]}", $"--alerting:cluster:seed-nodes=[{seeds}]",
            $"--alerting:admin:port={_admin[i]}", $"--alerting:admin:token-file={Path.Combine(_secretDir, "token")}",
            "--alerting:status-interval=0s", "--alerting:dispatch:default-delay=300ms", "--alerting:alert:checkpoint-interval=1s",
            $"--alerting:instance-name=node{i}",
            "--alerting:sources:devices:kinds=[Fault,Recover,Alarm,Run,Resume,Heartbeat]",
            .. NodeArgs,
        ];
    }

    /// <summary>The environment of a node: the secrets only as files.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["ALERTING_PERSISTENCE_PROVIDER"] = "postgres",
        ["ALERTING_POSTGRES_FILE"] = Path.Combine(_secretDir, "postgres"),
        ["alerting__kafka__properties__sasl.password_FILE"] = Path.Combine(_secretDir, "sasl"),
    };

    /// <summary>Starts node <paramref name="i"/> of a cluster of <paramref name="clusterSize"/> (same ports as any earlier run of it).</summary>
    public ChildProcess StartNode(int i, int clusterSize = 1)
    {
        if (_nodes[i] is { HasExited: false })
        {
            throw new InvalidOperationException($"node{i} is running");
        }

        if (_nodes[i] is not null)
        {
            // A restarted node comes back on a new remoting port, as a replaced pod comes back on a new address (on the
            // same port it rejoins too, the old incarnation removed when the new one joins, but its cycles took longer).
            _remoting[i] = FreePort();
        }

        var node = ChildProcess.Start($"node{i}", LogDir, ArgsOf(i, clusterSize), Environment);
        _nodes[i] = node;
        return node;
    }

    /// <summary>Starts a process of the service with other arguments (start-up checks), logging under <paramref name="name"/>.</summary>
    public ChildProcess StartOther(string name, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        ChildProcess.Start(name, LogDir, args, environment ?? Environment);

    /// <summary>Waits until node <paramref name="i"/> answers <c>/health/ready</c> with 200.</summary>
    public async Task WaitReadyAsync(int i, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var http = Http(i);
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_nodes[i] is not { HasExited: false })
            {
                throw new InvalidOperationException($"node{i} exited before it was ready");
            }

            try
            {
                using var answer = await http.GetAsync(new Uri("/health/ready", UriKind.Relative), cancellationToken);
                if (answer.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250, cancellationToken);
        }

        throw new TimeoutException($"node{i} was not ready within {timeout.TotalSeconds:0} s");
    }

    /// <summary>Reads node <paramref name="i"/>'s <c>/metrics</c> (with the token) into the log folder, for the secret scan.</summary>
    public async Task ScrapeMetricsAsync(int i, CancellationToken cancellationToken)
    {
        using var http = Http(i);
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(LogDir, $"metrics.node{i}.{DateTime.UtcNow:HHmmssfff}.txt"), text, cancellationToken);
    }

    /// <summary>The sum of every series of the counter or gauge <paramref name="name"/> in node <paramref name="i"/>'s <c>/metrics</c>.</summary>
    public async Task<double> MetricSumAsync(int i, string name, CancellationToken cancellationToken)
    {
        using var http = Http(i);
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);
        return text.Split('\n')
            .Where(l => l.StartsWith(name, StringComparison.Ordinal) && l.Length > name.Length && l[name.Length] is '{' or ' ')
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }

    private HttpClient Http(int i)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_admin[i]}"), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Canaries.AdminToken);
        return http;
    }

    /// <summary>The dev broker process (its memory, its control channel).</summary>
    public ChildProcess Broker => _broker;

    private int _brokerCommands;

    /// <summary>Sends one command to the dev broker's control channel (<c>down</c>, <c>up</c>, <c>errors API CODE N</c>, …) and waits for its answer; throws if refused.</summary>
    public async Task BrokerAsync(string command, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _brokerCommands);
        await _broker.SendAsync(command, cancellationToken);
        var answer = await _broker.WaitForLineAsync($"#{n} ", TimeSpan.FromSeconds(30), cancellationToken);
        if (!answer.StartsWith($"#{n} ok", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the dev broker refused '{command}': {answer}");
        }

        _log.WriteLine($"[broker] {answer}");
    }

    /// <summary>GET <paramref name="path"/> on node <paramref name="i"/>'s admin endpoint (with the token), parsed.</summary>
    public async Task<System.Text.Json.Nodes.JsonNode?> GetJsonAsync(int i, string path, CancellationToken cancellationToken)
    {
        using var http = Http(i);
        return System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri(path, UriKind.Relative), cancellationToken));
    }

    /// <summary>Produces <paramref name="value"/> to <paramref name="topic"/>, keyed.</summary>
    public void Produce(string topic, string key, byte[] value, Headers? headers = null) =>
        Producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = value, Headers = headers }, r =>
        {
            if (r.Error.IsError)
            {
                _log.WriteLine($"produce to {topic} failed: {r.Error.Reason}");
                Interlocked.Increment(ref _produceErrors);
            }
        });

    private int _produceErrors;

    public int ProduceErrors => Volatile.Read(ref _produceErrors);

    public async ValueTask DisposeAsync()
    {
        Producer.Flush(TimeSpan.FromSeconds(10));
        Producer.Dispose();
        foreach (var node in _nodes)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }

        try
        {
            var code = await _broker.TerminateAsync(TimeSpan.FromSeconds(20), CancellationToken.None);
            if (code != 0)
            {
                _log.WriteLine($"the dev broker exited {code} on SIGTERM");
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or InvalidOperationException)
        {
            _log.WriteLine($"the dev broker did not stop on SIGTERM ({ex.Message}); killed");
        }

        await _broker.DisposeAsync();
        try
        {
            await using var admin = new NpgsqlConnection(_serverConnection);
            await admin.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_database}\" WITH (FORCE)", admin);
            await cmd.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            _log.WriteLine($"database {_database} not dropped: {ex.Message}");
        }

        Directory.Delete(_secretDir, recursive: true);
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}

/// <summary>The secret values every scenario hands the service; none may show in anything it writes.</summary>
public sealed record Canaries(string PostgresPassword, string SaslPassword, string AdminToken)
{
    public static Canaries Create()
    {
        var tag = Guid.NewGuid().ToString("N")[..12];
        return new Canaries($"canary-pg-{tag}", $"canary-sasl-{tag}", $"canary-token-{tag}");
    }

    public IEnumerable<string> All => [PostgresPassword, SaslPassword, AdminToken];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"Canaries {{ {All.Count()} values }}");
}
