using Alerting.Configuration;
using Alerting.Dispatch.Hosting;

namespace Alerting.Dispatch.Tests;

public sealed class DispatchSettingsSpec
{
    [Fact]
    public void DispatchSettings_must_be_created_from_hocon_and_keep_defaults_for_what_is_missing()
    {
        var config = HoconDocument.Parse("""
            alerting {
              kafka { bootstrap-servers = "b:9092", session-timeout = 6s, topics { alerts = a, dead-letter = dl } }
              dispatch { group-id = g, default-delay = 10s, batch-size = 500 }
            }
            """, "dispatch.conf", environment: _ => null).Config;

        var settings = DispatchSettings.Create(config);

        Assert.Equal(("b:9092", "g", "a", "dl"), (settings.BootstrapServers, settings.GroupId, settings.AlertsTopic, settings.DeadLetterTopic));
        Assert.Equal((TimeSpan.FromSeconds(10), 500, TimeSpan.FromSeconds(6)), (settings.DefaultDelay, settings.MaxBatchSize, settings.SessionTimeout));
        Assert.Equal(("work-orders", "dispatch", 100), (settings.WorkOrdersTopic, settings.DispatchTopic, settings.SnapshotEvery));
        Assert.Equal("other:1", settings.WithBootstrapServers("other:1").Validate().BootstrapServers);
        Assert.Equal("b:9092", settings.BootstrapServers);
    }

    [Fact]
    public void DispatchSettings_must_name_the_path_of_an_invalid_value()
    {
        var config = HoconDocument.Parse("alerting.dispatch.snapshot-every = 0", "dispatch.conf", environment: _ => null).Config;

        var ex = Assert.Throws<ConfigurationValueException>(() => DispatchSettings.Create(config));

        Assert.Equal("alerting.dispatch.snapshot-every", ex.Key);
    }
}
