using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;

namespace Alerting.Persistence;

/// <summary>
/// Turns events and snapshots into (manifest, UTF-8 JSON) and back, with System.Text.Json metadata from a
/// source-generated context (no reflection). Each type is registered once under a stable name and its current
/// version; payloads written by an older version are brought up to date by upcasters (one per version step,
/// working on the JSON tree) before they are deserialized, so an older event shape still replays.
/// Register everything at start-up; afterwards the serializer is safe to use from many threads.
/// </summary>
public sealed class EventSerializer
{
    private readonly Dictionary<Type, (EventManifest Manifest, string Text, JsonTypeInfo Info)> _byType = [];
    private readonly Dictionary<string, (int Version, JsonTypeInfo Info)> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, int), Func<JsonObject, JsonObject>> _upcasters = [];

    /// <summary>
    /// Registers <typeparamref name="T"/> under <paramref name="typeName"/> at its current <paramref name="version"/>.
    /// </summary>
    /// <param name="typeName">Stable name stored in manifests; unique per serializer.</param>
    /// <param name="version">Current shape version, at least 1.</param>
    /// <param name="typeInfo">Metadata from a source-generated <c>JsonSerializerContext</c>.</param>
    public EventSerializer Register<T>(string typeName, int version, JsonTypeInfo<T> typeInfo)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentNullException.ThrowIfNull(typeInfo);
        if (typeName.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("A type name cannot contain ':'.", nameof(typeName));
        }
        if (!_byName.TryAdd(typeName, (version, typeInfo)) || !_byType.TryAdd(typeof(T), (new EventManifest(typeName, version), new EventManifest(typeName, version).ToString(), typeInfo)))
        {
            throw new ArgumentException($"{typeName} or {typeof(T).Name} is already registered.", nameof(typeName));
        }
        return this;
    }

    /// <summary>
    /// Adds the upcaster that turns the JSON of <paramref name="typeName"/> version <paramref name="fromVersion"/>
    /// into version <paramref name="fromVersion"/> + 1 (rename a field, add a default, split a value...).
    /// </summary>
    public EventSerializer AddUpcaster(string typeName, int fromVersion, Func<JsonObject, JsonObject> upcast)
    {
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        ArgumentNullException.ThrowIfNull(upcast);
        if (!_upcasters.TryAdd((typeName, fromVersion), upcast))
        {
            throw new ArgumentException($"An upcaster of {typeName} from version {fromVersion} is already registered.", nameof(fromVersion));
        }
        return this;
    }

    /// <summary>The manifest <paramref name="value"/> is written with (its runtime type's registration).</summary>
    public string ManifestOf(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Lookup(value).Text;
    }

    /// <summary>Serializes <paramref name="value"/> by its runtime type: the manifest and the UTF-8 JSON payload.</summary>
    /// <exception cref="EventSerializationException">The type is not registered or cannot be serialized.</exception>
    public (string Manifest, byte[] Payload) Serialize(object value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var registration = Lookup(value);
        try
        {
            return (registration.Text, JsonSerializer.SerializeToUtf8Bytes(value, registration.Info));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new EventSerializationException($"{registration.Text} could not be serialized: {ex.Message}", ex);
        }
    }

    /// <summary>A journal write of <paramref name="value"/> for the given entity position.</summary>
    public JournalWrite ToJournalWrite(string persistenceId, string partitionKey, long sequenceNr, object value)
    {
        var (manifest, payload) = Serialize(value);
        return new JournalWrite(persistenceId, partitionKey, sequenceNr, manifest, payload);
    }

    /// <summary>Reads a payload back, upcasting it first when it was written by an older version.</summary>
    /// <exception cref="EventSerializationException">Unknown type, newer version than registered, missing upcaster or bad JSON.</exception>
    public object Deserialize(string manifest, ReadOnlySpan<byte> payload)
    {
        EventManifest parsed;
        try
        {
            parsed = EventManifest.Parse(manifest);
        }
        catch (FormatException ex)
        {
            throw new EventSerializationException(ex.Message, ex);
        }
        if (!_byName.TryGetValue(parsed.TypeName, out var current))
        {
            throw new EventSerializationException($"No type is registered for manifest {manifest}.");
        }
        if (parsed.Version > current.Version)
        {
            throw new EventSerializationException($"{manifest} was written by a newer version than this one ({current.Version}).");
        }
        try
        {
            if (parsed.Version == current.Version)
            {
                return JsonSerializer.Deserialize(payload, current.Info)
                    ?? throw new EventSerializationException($"{manifest} payload is null.");
            }
            var node = JsonNode.Parse(payload) as JsonObject
                ?? throw new EventSerializationException($"{manifest} payload is not a JSON object, so it cannot be upcast.");
            for (var v = parsed.Version; v < current.Version; v++)
            {
                if (!_upcasters.TryGetValue((parsed.TypeName, v), out var upcast))
                {
                    throw new EventSerializationException($"No upcaster of {parsed.TypeName} from version {v} to {v + 1}.");
                }
                node = upcast(node);
            }
            return node.Deserialize(current.Info)
                ?? throw new EventSerializationException($"{manifest} payload is null.");
        }
        catch (JsonException ex)
        {
            throw new EventSerializationException($"{manifest} payload could not be read: {ex.Message}", ex);
        }
    }

    /// <summary>Reads a journal event's payload back (see <see cref="Deserialize(string, ReadOnlySpan{byte})"/>).</summary>
    public object Deserialize(PersistentEvent persistentEvent)
    {
        ArgumentNullException.ThrowIfNull(persistentEvent);
        return Deserialize(persistentEvent.Manifest, persistentEvent.Payload);
    }

    private (EventManifest Manifest, string Text, JsonTypeInfo Info) Lookup(object value) =>
        _byType.TryGetValue(value.GetType(), out var registration)
            ? registration
            : throw new EventSerializationException($"{value.GetType().FullName} is not registered with the event serializer.");
}
