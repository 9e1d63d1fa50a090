using System.Text;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Alerting.Persistence.Sqlite;

namespace Alerting.Persistence.Tests;

/// <summary>Version 2 of the raised-alert event: version 1 named <c>Type</c> <c>Kind</c> and had no priority.</summary>
public sealed record AlertRaised(string AlertId, string Type, int Priority);

/// <summary>Version 3 of the revoke event: version 1 had <c>Id</c>, version 2 renamed it, version 3 added the reason.</summary>
public sealed record AlertRevoked(string AlertId, string Reason);

[JsonSerializable(typeof(AlertRaised))]
[JsonSerializable(typeof(AlertRevoked))]
public sealed partial class TestEventsContext : JsonSerializerContext;

public sealed class EventSerializerTests
{
    private static EventSerializer NewSerializer() => new EventSerializer()
        .Register("AlertRaised", 2, TestEventsContext.Default.AlertRaised)
        .Register("AlertRevoked", 3, TestEventsContext.Default.AlertRevoked)
        .AddUpcaster("AlertRaised", 1, v1 =>
        {
            var kind = v1["Kind"]?.GetValue<string>();
            v1.Remove("Kind");
            v1["Type"] = kind;
            v1["Priority"] = 0;
            return v1;
        })
        .AddUpcaster("AlertRevoked", 1, v1 => new JsonObject { ["AlertId"] = v1["Id"]?.GetValue<string>() })
        .AddUpcaster("AlertRevoked", 2, v2 =>
        {
            v2["Reason"] = "unknown";
            return v2;
        });

    private static byte[] Json(string json) => Encoding.UTF8.GetBytes(json);

    [Fact]
    public void An_event_serializer_must_round_trip_a_registered_event_with_its_manifest()
    {
        var serializer = NewSerializer();
        var (manifest, payload) = serializer.Serialize(new AlertRaised("a-1", "FaultA", 3));
        Assert.Equal("AlertRaised:2", manifest);
        Assert.Equal(new AlertRaised("a-1", "FaultA", 3), serializer.Deserialize(manifest, payload));
    }

    [Fact]
    public void An_event_serializer_must_upcast_an_older_event_shape_before_reading_it()
    {
        var read = NewSerializer().Deserialize("AlertRaised:1", Json("""{"AlertId":"a-1","Kind":"FaultB"}"""));
        Assert.Equal(new AlertRaised("a-1", "FaultB", 0), read);
    }

    [Fact]
    public void An_event_serializer_must_chain_upcasters_across_several_versions()
    {
        var serializer = NewSerializer();
        Assert.Equal(new AlertRevoked("a-7", "unknown"), serializer.Deserialize("AlertRevoked:1", Json("""{"Id":"a-7"}""")));
        Assert.Equal(new AlertRevoked("a-8", "unknown"), serializer.Deserialize("AlertRevoked:2", Json("""{"AlertId":"a-8"}""")));
    }

    [Fact]
    public void An_event_serializer_must_refuse_what_it_cannot_read()
    {
        var serializer = NewSerializer();
        Assert.Throws<EventSerializationException>(() => serializer.Deserialize("Unknown:1", Json("{}")));
        Assert.Throws<EventSerializationException>(() => serializer.Deserialize("AlertRaised:3", Json("{}")));
        Assert.Throws<EventSerializationException>(() => serializer.Deserialize("AlertRaised", Json("{}")));
        Assert.Throws<EventSerializationException>(() => serializer.Deserialize("AlertRaised:2", Json("{not json")));
        var noUpcaster = new EventSerializer().Register("AlertRaised", 2, TestEventsContext.Default.AlertRaised);
        Assert.Throws<EventSerializationException>(() => noUpcaster.Deserialize("AlertRaised:1", Json("""{"AlertId":"a","Kind":"F"}""")));
    }

    [Fact]
    public void An_event_serializer_must_refuse_an_unregistered_type_and_duplicate_registrations()
    {
        var serializer = NewSerializer();
        Assert.Throws<EventSerializationException>(() => serializer.Serialize("not an event"));
        Assert.Throws<ArgumentException>(() => serializer.Register("AlertRaised", 3, TestEventsContext.Default.AlertRaised));
        Assert.Throws<ArgumentException>(() => new EventSerializer().Register("Bad:Name", 1, TestEventsContext.Default.AlertRaised));
    }

    [Theory]
    [InlineData("AlertRaised:2", "AlertRaised", 2)]
    [InlineData("ns:Type:10", "ns:Type", 10)]
    public void An_event_manifest_must_parse_what_it_prints(string text, string typeName, int version)
    {
        var manifest = EventManifest.Parse(text);
        Assert.Equal(new EventManifest(typeName, version), manifest);
        Assert.Equal(text, manifest.ToString());
    }

    [Theory]
    [InlineData("NoVersion")]
    [InlineData(":1")]
    [InlineData("Type:x")]
    [InlineData("Type:-1")]
    public void An_event_manifest_must_reject_malformed_text(string text)
    {
        Assert.Throws<FormatException>(() => EventManifest.Parse(text));
    }

    [Fact]
    public async Task An_older_event_shape_must_still_replay_from_the_journal()
    {
        var directory = Directory.CreateTempSubdirectory("alerting-serializer-");
        try
        {
            var store = new SqliteEventStore(new SqliteEventStoreOptions { ConnectionString = $"Data Source={Path.Combine(directory.FullName, "j.db")}" });
            var serializer = NewSerializer();
            await store.WriteAsync(
            [
                new JournalWrite("device-1", "alerts-0", 1, "AlertRaised:1", Json("""{"AlertId":"a-1","Kind":"FaultA"}""")),
                serializer.ToJournalWrite("device-1", "alerts-0", 2, new AlertRaised("a-2", "FaultB", 5)),
            ], [], CancellationToken.None);

            var replayed = new List<object>();
            await foreach (var e in store.ReplayAsync("device-1", 1, long.MaxValue, long.MaxValue, CancellationToken.None))
            {
                replayed.Add(serializer.Deserialize(e));
            }
            Assert.Equal([new AlertRaised("a-1", "FaultA", 0), new AlertRaised("a-2", "FaultB", 5)], replayed);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }
}
