using System.Buffers;
using System.Text;
using Confluent.Kafka;

namespace Alerting.Kafka;

/// <summary>
/// The partitioner every producer of the project uses (<c>partitioner = murmur2_random</c>, set by
/// <see cref="KafkaClients.ProducerConfig"/> and by the <c>akka.kafka.producer.kafka-clients</c> defaults), and the
/// same choice computed here: a keyed record goes to <c>(murmur2(key) &amp; 0x7fffffff) % partitions</c>, which is
/// also what Kafka's Java clients choose, so producers written in Java land a key on the same partition. A record
/// without a key goes to a random partition. Code that must know a key's partition without producing (the dispatcher's
/// shard of a device) calls <see cref="PartitionOf(string, int)"/>.
/// </summary>
public static class KafkaPartitioner
{
    /// <summary>The librdkafka name of the partitioner (<c>partitioner</c> property).</summary>
    public const string Name = "murmur2_random";

    /// <summary>The Confluent.Kafka value of the partitioner.</summary>
    public const Partitioner Value = Partitioner.Murmur2Random;

    private const uint Seed = 0x9747b28c;
    private const uint M = 0x5bd1e995;
    private const int R = 24;

    /// <summary>The partition of a record whose key serializes to <paramref name="key"/>, among <paramref name="partitions"/>.</summary>
    public static int PartitionOf(ReadOnlySpan<byte> key, int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        return (int)((Murmur2(key) & 0x7fffffff) % (uint)partitions);
    }

    /// <summary>The partition of a record whose key is the string <paramref name="key"/> (UTF-8, Confluent.Kafka's string serializer).</summary>
    public static int PartitionOf(string key, int partitions)
    {
        ArgumentNullException.ThrowIfNull(key);
        var length = Encoding.UTF8.GetByteCount(key);
        if (length <= 512)
        {
            Span<byte> buffer = stackalloc byte[length];
            Encoding.UTF8.GetBytes(key, buffer);
            return PartitionOf(buffer, partitions);
        }
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = Encoding.UTF8.GetBytes(key, rented);
            return PartitionOf(rented.AsSpan(0, written), partitions);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>MurmurHash2 (32 bit) with Kafka's seed, as Kafka's <c>Utils.murmur2</c> and librdkafka's <c>rd_murmur2</c>.</summary>
    public static uint Murmur2(ReadOnlySpan<byte> data)
    {
        var length = data.Length;
        var h = Seed ^ (uint)length;
        var blocks = length / 4;
        for (var i = 0; i < blocks; i++)
        {
            var k = (uint)data[i * 4] | ((uint)data[(i * 4) + 1] << 8) | ((uint)data[(i * 4) + 2] << 16) | ((uint)data[(i * 4) + 3] << 24);
            unchecked
            {
                k *= M;
                k ^= k >> R;
                k *= M;
                h *= M;
                h ^= k;
            }
        }
        var tail = blocks * 4;
        switch (length % 4)
        {
            case 3:
                h ^= (uint)data[tail + 2] << 16;
                goto case 2;
            case 2:
                h ^= (uint)data[tail + 1] << 8;
                goto case 1;
            case 1:
                h ^= data[tail];
                unchecked
                {
                    h *= M;
                }
                break;
        }
        unchecked
        {
            h ^= h >> 13;
            h *= M;
            h ^= h >> 15;
        }
        return h;
    }
}
