using System.Collections.Immutable;
using Confluent.Kafka;

namespace Alerting.Kafka.Settings;

/// <summary>What a consumer source reads: topics through group membership, or partitions assigned by hand.</summary>
public interface ISubscription
{
}

/// <summary>Topics subscribed through the consumer group: Kafka assigns and revokes partitions.</summary>
public interface IAutoSubscription : ISubscription
{
    /// <summary>The topics.</summary>
    IImmutableSet<string> Topics { get; }
}

/// <summary>Partitions assigned by hand, without group membership (offsets can still be committed to the group).</summary>
public interface IManualSubscription : ISubscription
{
    /// <summary>The partitions with their start offsets (<see cref="Offset.Unset"/>: the committed offset).</summary>
    IImmutableList<TopicPartitionOffset> Partitions { get; }
}

/// <summary>Creates subscriptions.</summary>
public static class Subscriptions
{
    /// <summary>Subscribes to <paramref name="topics"/> as a member of the consumer group.</summary>
    public static IAutoSubscription Topics(params string[] topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (topics.Length == 0 || topics.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("At least one topic, none empty.", nameof(topics));
        }

        return new TopicSubscription(topics.ToImmutableSortedSet(StringComparer.Ordinal));
    }

    /// <summary>Reads <paramref name="partitions"/> from their committed offsets (or <c>auto.offset.reset</c>).</summary>
    public static IManualSubscription Assignment(params TopicPartition[] partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        return AssignmentWithOffset(partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset)).ToArray());
    }

    /// <summary>Reads each of <paramref name="partitions"/> from the offset given with it.</summary>
    public static IManualSubscription AssignmentWithOffset(params TopicPartitionOffset[] partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        if (partitions.Length == 0)
        {
            throw new ArgumentException("At least one partition.", nameof(partitions));
        }

        return new ManualSubscription(partitions.ToImmutableList());
    }

    private sealed record TopicSubscription(IImmutableSet<string> Topics) : IAutoSubscription
    {
        public override string ToString() => $"Topics({string.Join(", ", Topics)})";
    }

    private sealed record ManualSubscription(IImmutableList<TopicPartitionOffset> Partitions) : IManualSubscription
    {
        public override string ToString() => $"Assignment({string.Join(", ", Partitions)})";
    }
}
