using Akka.Alerting.Persistence.Postgres;
using Akka.Alerting.TestKit;

namespace Akka.Alerting.Persistence.Tests;

/// <summary>The store contract on PostgreSQL, in this class's own database.</summary>
public sealed class PostgresEventStoreTests(PostgresFixture postgres) : EventStoreContractTests, IClassFixture<PostgresFixture>
{
    protected override IEventStore CreateStore(TimeProvider time) => new PostgresEventStore(postgres.DataSource, timeProvider: time);
}
