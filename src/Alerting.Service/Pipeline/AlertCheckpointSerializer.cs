using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;

namespace Alerting.Service.Pipeline;

/// <summary>
/// Stores the alert checkpoints in the snapshot store: an <see cref="AlertCheckpoint"/> as its own binary form under
/// its versioned manifest (<see cref="AlertCheckpoint.Manifest"/>; the first format, <see cref="AlertCheckpoint.ManifestV1"/>,
/// still reads), and a <see cref="AlertCheckpointClaim"/> as no bytes.
/// </summary>
public sealed class AlertCheckpointSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The serializer id, bound in <see cref="AlertCheckpointPersistence.Hocon"/>.</summary>
    public const int Id = 4712;

    /// <inheritdoc />
    public override int Identifier => Id;

    /// <inheritdoc />
    public override string Manifest(object o) => o switch
    {
        AlertCheckpoint => AlertCheckpoint.Manifest,
        AlertCheckpointClaim => AlertCheckpointClaim.Manifest,
        _ => throw new ArgumentException($"{o.GetType()} is not an alert checkpoint", nameof(o)),
    };

    /// <inheritdoc />
    public override byte[] ToBinary(object obj) => obj switch
    {
        AlertCheckpoint checkpoint => checkpoint.ToBytes(),
        AlertCheckpointClaim => [],
        _ => throw new ArgumentException($"{obj?.GetType()} is not an alert checkpoint", nameof(obj)),
    };

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest) => manifest switch
    {
        AlertCheckpoint.Manifest or AlertCheckpoint.ManifestV1 => AlertCheckpoint.FromBytes(bytes, manifest),
        AlertCheckpointClaim.Manifest => AlertCheckpointClaim.Instance,
        _ => throw new SerializationException($"alert checkpoint manifest {manifest} is unknown (expected {AlertCheckpoint.Manifest})"),
    };
}

/// <summary>What a new owner stores when it claims a partition that has no checkpoint yet (see <see cref="AlertCheckpointStore.ClaimAsync"/>).</summary>
public sealed class AlertCheckpointClaim
{
    /// <summary>The manifest of a claim.</summary>
    public const string Manifest = "alert-checkpoint-claim/1";

    /// <summary>The claim.</summary>
    public static AlertCheckpointClaim Instance { get; } = new();

    private AlertCheckpointClaim()
    {
    }
}
