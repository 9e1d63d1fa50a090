using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;

namespace Alerting.Dispatch.Serialization;

/// <summary>
/// Akka serializer of the device entity's persisted events and its snapshot: UTF-8 JSON written with the
/// source-generated <see cref="DispatchJsonContext"/> (no reflection), under versioned manifests
/// <c>Name.vN</c> (<c>AlertHeld.v1</c>, <c>DeviceSnapshot.v1</c>, …). Bound to <see cref="IDeviceEvent"/> and
/// <see cref="DeviceSnapshot"/> by the <c>serialization-bindings</c> of this assembly's <c>reference.conf</c>.
/// <para>
/// Reading: a payload written under an older version of its name is first brought up to date by the upcasters
/// (one per version step, each working on the JSON tree), then deserialized, so an old event still replays. The
/// manifests of the earlier dispatcher journal (<c>dispatch.AlertHeld:1</c>, …) are read as version 0 of the same
/// names, with an upcaster to version 1 (the shapes did not change). A manifest that names no known type, a version
/// newer than this code writes, or JSON that does not fit throws a <see cref="SerializationException"/> naming the
/// manifest: recovery of that entity fails rather than running on a half-read state.
/// </para>
/// </summary>
public sealed class DeviceEventSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id stored beside every payload; never change it once events are written.</summary>
    public const int SerializerId = 4_710;

    private static readonly Dictionary<Type, (string Name, int Version, JsonTypeInfo Info)> ByType = Registrations();
    private static readonly Dictionary<string, (int Version, JsonTypeInfo Info)> ByName =
        ByType.Values.ToDictionary(r => r.Name, r => (r.Version, r.Info), StringComparer.Ordinal);
    private static readonly Dictionary<(string Name, int FromVersion), Func<JsonObject, JsonObject>> Upcasters = UpcasterTable();

    /// <summary>Created by Akka's serialization from the <c>serializers</c> section.</summary>
    public DeviceEventSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <summary>The manifests this serializer currently writes, by name (for documentation and specs).</summary>
    public static IReadOnlyCollection<string> CurrentManifests => [.. ByType.Values.Select(r => Manifest(r.Name, r.Version))];

    /// <inheritdoc />
    public override string Manifest(object o)
    {
        ArgumentNullException.ThrowIfNull(o);
        var r = Lookup(o);
        return Manifest(r.Name, r.Version);
    }

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var r = Lookup(obj);
        return JsonSerializer.SerializeToUtf8Bytes(obj, r.Info);
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(manifest);
        var (name, version) = Parse(manifest);
        if (!ByName.TryGetValue(name, out var current))
        {
            throw new SerializationException($"Unknown device entity manifest '{manifest}': no type is registered under '{name}'.");
        }
        if (version > current.Version)
        {
            throw new SerializationException(
                $"Device entity manifest '{manifest}' was written by a newer version ({version}) than this one reads ({current.Version}).");
        }
        try
        {
            if (version == current.Version)
            {
                return JsonSerializer.Deserialize(bytes, current.Info)
                    ?? throw new SerializationException($"Device entity payload '{manifest}' is JSON null.");
            }
            var tree = JsonNode.Parse(bytes) as JsonObject
                ?? throw new SerializationException($"Device entity payload '{manifest}' is not a JSON object.");
            for (var v = version; v < current.Version; v++)
            {
                if (!Upcasters.TryGetValue((name, v), out var up))
                {
                    throw new SerializationException($"No upcaster turns '{name}' version {v} into version {v + 1} (manifest '{manifest}').");
                }
                tree = up(tree);
            }
            return tree.Deserialize(current.Info)
                ?? throw new SerializationException($"Device entity payload '{manifest}' is JSON null after upcasting.");
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"Device entity payload '{manifest}' cannot be read: {ex.Message}", ex);
        }
    }

    private static string Manifest(string name, int version) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{name}.v{version}");

    /// <summary>Name and version of <c>Name.vN</c>, or of the earlier journal's <c>dispatch.Name:1</c> (version 0).</summary>
    private static (string Name, int Version) Parse(string manifest)
    {
        const string LegacyPrefix = "dispatch.";
        if (manifest.StartsWith(LegacyPrefix, StringComparison.Ordinal) && manifest.EndsWith(":1", StringComparison.Ordinal))
        {
            return (manifest[LegacyPrefix.Length..^2], 0);
        }
        var dot = manifest.LastIndexOf(".v", StringComparison.Ordinal);
        if (dot > 0 && int.TryParse(manifest.AsSpan(dot + 2), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var version))
        {
            return (manifest[..dot], version);
        }
        throw new SerializationException($"Unknown device entity manifest '{manifest}': expected the form Name.vN.");
    }

    private (string Name, int Version, JsonTypeInfo Info) Lookup(object o) =>
        ByType.TryGetValue(o.GetType(), out var r)
            ? r
            : throw new SerializationException($"{o.GetType().FullName} is not a device entity event or snapshot.");

    private static Dictionary<Type, (string, int, JsonTypeInfo)> Registrations()
    {
        var c = DispatchJsonContext.Default;
        return new()
        {
            [typeof(AlertHeld)] = ("AlertHeld", 1, c.AlertHeld),
            [typeof(AlertDispatched)] = ("AlertDispatched", 1, c.AlertDispatched),
            [typeof(AlertDropped)] = ("AlertDropped", 1, c.AlertDropped),
            [typeof(AlertCancelled)] = ("AlertCancelled", 1, c.AlertCancelled),
            [typeof(AlertRevoked)] = ("AlertRevoked", 1, c.AlertRevoked),
            [typeof(WorkOrderOpened)] = ("WorkOrderOpened", 1, c.WorkOrderOpened),
            [typeof(WorkOrderClosed)] = ("WorkOrderClosed", 1, c.WorkOrderClosed),
            [typeof(OutboxDelivered)] = ("OutboxDelivered", 1, c.OutboxDelivered),
            [typeof(DeviceSnapshot)] = ("DeviceSnapshot", 1, c.DeviceSnapshot),
        };
    }

    /// <summary>
    /// One entry per (name, version) that has a successor. Version 0 of every name is the earlier journal's
    /// (<c>dispatch.Name:1</c>), whose JSON is the same as version 1.
    /// </summary>
    private static Dictionary<(string, int), Func<JsonObject, JsonObject>> UpcasterTable()
    {
        var table = new Dictionary<(string, int), Func<JsonObject, JsonObject>>();
        foreach (var (name, _, _) in ByType.Values)
        {
            table[(name, 0)] = static tree => tree;
        }
        return table;
    }
}
