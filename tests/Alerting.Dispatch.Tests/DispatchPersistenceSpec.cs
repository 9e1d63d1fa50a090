using Akka.Configuration;
using Alerting.Dispatch.Actors;

namespace Alerting.Dispatch.Tests;

/// <summary>The dispatcher's persistence HOCON and entity settings, read from the embedded reference.conf.</summary>
public sealed class DispatchPersistenceSpec
{
    [Fact]
    public void The_reference_config_has_every_entity_default()
    {
        var settings = DeviceEntitySettings.Default;
        Assert.Equal(TimeSpan.FromSeconds(30), settings.DefaultDelay);
        Assert.Equal(100, settings.SnapshotEvery);
        Assert.True(settings.DeleteEventsOnSnapshot);
        Assert.Equal(1024, settings.RememberFinished);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.PassivateAfter);
    }

    [Fact]
    public void Entity_overrides_merge_over_the_defaults()
    {
        var settings = DeviceEntitySettings.Create(ConfigurationFactory.ParseString(
            "alerting.dispatch.entity { snapshot-every = 7, remember-finished = 50000 }"));
        Assert.Equal(7, settings.SnapshotEvery);
        Assert.Equal(50_000, settings.RememberFinished);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.DefaultDelay);
    }

    [Fact]
    public void An_out_of_range_entity_setting_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => DeviceEntitySettings.Create(
            ConfigurationFactory.ParseString("alerting.dispatch.entity.snapshot-every = 0")));
        Assert.Equal("snapshot-every", error.ParamName);
    }

    [Theory]
    [InlineData(DispatchPersistenceProvider.Sqlite, "SQLite.MS")]
    [InlineData(DispatchPersistenceProvider.PostgreSql, "PostgreSQL15")]
    public void The_journal_and_snapshot_store_point_at_one_database(DispatchPersistenceProvider provider, string providerName)
    {
        const string ConnectionString = "Host=db;Password=a\"b\\c;Database=alerting";
        var config = DispatchPersistence.Hocon(provider, ConnectionString, autoInitialize: false);

        Assert.Equal("akka.persistence.journal.sql", config.GetString("akka.persistence.journal.plugin"));
        Assert.Equal("akka.persistence.snapshot-store.sql", config.GetString("akka.persistence.snapshot-store.plugin"));
        foreach (var plugin in new[] { "akka.persistence.journal.sql", "akka.persistence.snapshot-store.sql" })
        {
            Assert.Equal(ConnectionString, config.GetString(plugin + ".connection-string"));
            Assert.Equal(providerName, config.GetString(plugin + ".provider-name"));
            Assert.False(config.GetBoolean(plugin + ".auto-initialize"));
            Assert.False(string.IsNullOrEmpty(config.GetString(plugin + ".class")), "the plugin's own defaults are the fallback");
        }
        Assert.Equal("alerting-device-entity",
            config.GetString("akka.actor.serialization-bindings.\"Alerting.Dispatch.Entity.IDeviceEvent, Alerting.Dispatch\""));
    }
}
