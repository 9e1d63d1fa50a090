using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Alerting.Kafka;

/// <summary>Partitions' offsets asked of their leaders through an admin client's ListOffsets request.</summary>
public static class ListedOffsets
{
    /// <summary>
    /// The offset each partition's leader gives for <paramref name="spec"/> (latest: the log end; earliest: the log
    /// start). Throws the admin client's <see cref="ListOffsetsException"/> when some partitions were answered with an
    /// error; <see cref="Answered"/> of its result gives the others.
    /// </summary>
    public static async Task<Dictionary<TopicPartition, long>> ListAsync(
        IAdminClient admin, IEnumerable<TopicPartition> partitions, OffsetSpec spec, ListOffsetsOptions options)
    {
        ArgumentNullException.ThrowIfNull(admin);
        ArgumentNullException.ThrowIfNull(partitions);
        var result = await admin.ListOffsetsAsync(
            partitions.Select(tp => new TopicPartitionOffsetSpec { TopicPartition = tp, OffsetSpec = spec }), options).ConfigureAwait(false);
        return Answered(result.ResultInfos);
    }

    /// <summary>The offsets of the partitions answered without an error.</summary>
    public static Dictionary<TopicPartition, long> Answered(IReadOnlyCollection<ListOffsetsResultInfo> infos)
    {
        ArgumentNullException.ThrowIfNull(infos);
        var offsets = new Dictionary<TopicPartition, long>(infos.Count);
        foreach (var info in infos)
        {
            var answer = info.TopicPartitionOffsetError;
            if (!answer.Error.IsError && answer.Offset.Value >= 0)
            {
                offsets[answer.TopicPartition] = answer.Offset.Value;
            }
        }

        return offsets;
    }
}
