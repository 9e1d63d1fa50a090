using Alerting.Dispatch.Actors;

namespace Alerting.Dispatch.Tests;

/// <summary>The persistence HOCON of each provider.</summary>
public sealed class DispatchPersistenceHoconSpec
{
    [Theory]
    [InlineData(DispatchPersistenceProvider.PostgreSql, "PostgreSQL15", 1000)]
    [InlineData(DispatchPersistenceProvider.Sqlite, "SQLite.MS", 50)]
    public void Each_provider_must_get_its_journal_and_as_many_recovery_permits_as_its_reads_can_serve(DispatchPersistenceProvider provider, string name, int recoveries)
    {
        var config = DispatchPersistence.Hocon(provider, "Data Source=x");

        Assert.Equal(name, config.GetString("akka.persistence.journal.sql.provider-name"));
        Assert.Equal(name, config.GetString("akka.persistence.snapshot-store.sql.provider-name"));
        Assert.Equal(recoveries, config.GetInt("akka.persistence.max-concurrent-recoveries"));
    }
}
