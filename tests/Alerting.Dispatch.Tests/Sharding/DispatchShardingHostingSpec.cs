using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Hosting;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>The Akka.Hosting wiring: a node without seed nodes forms its own cluster, with the entities' persistence configured.</summary>
public sealed class DispatchShardingHostingSpec
{
    [Fact]
    public async Task A_node_without_seed_nodes_joins_itself_and_persists_its_entities_in_the_given_database()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alerting-hosting-{Guid.NewGuid():N}.db");
        var options = DispatchClusterOptions.Create(ConfigurationFactory.Empty, DispatchPersistenceProvider.Sqlite,
            new SqliteConnectionStringBuilder { DataSource = path }.ConnectionString);
        Assert.Empty(options.SeedNodes);
        Assert.Equal(0, options.Port);

        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("alerting", (akka, _) => akka
            .AddHocon("akka.loglevel = WARNING", HoconAddMode.Prepend)
            .WithDispatchSharding(options));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            var cluster = Cluster.Get(system);
            await Eventually.TrueAsync(() => cluster.SelfMember.Status == MemberStatus.Up, TimeSpan.FromSeconds(30), () => cluster.SelfMember.ToString());
            Assert.Single(cluster.State.Members);
            Assert.Equal("akka.persistence.journal.sql", system.Settings.Config.GetString("akka.persistence.journal.plugin"));
            Assert.Equal("SQLite.MS", system.Settings.Config.GetString("akka.persistence.journal.sql.provider-name"));
            Assert.Equal("device", system.Settings.Config.GetString("alerting.dispatch.sharding.type-name"));
        }
        finally
        {
            await host.StopAsync();
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    [Fact]
    public void Seed_nodes_and_the_address_come_from_alerting_cluster()
    {
        var options = DispatchClusterOptions.Create(ConfigurationFactory.ParseString("""
            alerting.cluster { hostname = "10.0.0.7", port = 4053, seed-nodes = ["akka.tcp://alerting@10.0.0.1:4053"] }
            """), DispatchPersistenceProvider.PostgreSql, "Host=db;Password=secret");
        Assert.Equal("10.0.0.7", options.Hostname);
        Assert.Equal(4053, options.Port);
        Assert.Equal(["akka.tcp://alerting@10.0.0.1:4053"], options.SeedNodes);
        Assert.DoesNotContain("secret", options.ToString(), StringComparison.Ordinal);
    }
}
