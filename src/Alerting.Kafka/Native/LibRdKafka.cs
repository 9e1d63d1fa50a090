using System.Runtime.InteropServices;

namespace Alerting.Kafka.Native;

/// <summary>
/// The few librdkafka functions the embedded broker needs: creating the owning client handle and
/// driving the mock cluster (rdkafka.h, rdkafka_mock.h of librdkafka 2.16).
/// The library name is resolved by <see cref="KafkaNative"/>; call <see cref="KafkaNative.EnsureLoaded"/> first.
/// </summary>
internal static partial class LibRdKafka
{
    /// <summary>rd_kafka_type_t RD_KAFKA_PRODUCER.</summary>
    public const int ProducerType = 0;

    /// <summary>rd_kafka_conf_res_t RD_KAFKA_CONF_OK.</summary>
    public const int ConfOk = 0;

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial IntPtr rd_kafka_conf_new();

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial void rd_kafka_conf_destroy(IntPtr conf);

    [LibraryImport(KafkaNative.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static unsafe partial int rd_kafka_conf_set(IntPtr conf, string name, string value, byte* errstr, nuint errstrSize);

    [LibraryImport(KafkaNative.LibraryName)]
    public static unsafe partial IntPtr rd_kafka_new(int type, IntPtr conf, byte* errstr, nuint errstrSize);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial void rd_kafka_destroy(IntPtr rk);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial IntPtr rd_kafka_mock_cluster_new(IntPtr rk, int brokerCount);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial void rd_kafka_mock_cluster_destroy(IntPtr mcluster);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial IntPtr rd_kafka_mock_cluster_bootstraps(MockClusterSafeHandle mcluster);

    [LibraryImport(KafkaNative.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_topic_create(MockClusterSafeHandle mcluster, string topic, int partitionCount, int replicationFactor);

    [LibraryImport(KafkaNative.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_partition_set_leader(MockClusterSafeHandle mcluster, string topic, int partition, int brokerId);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial int rd_kafka_mock_broker_set_down(MockClusterSafeHandle mcluster, int brokerId);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial int rd_kafka_mock_broker_set_up(MockClusterSafeHandle mcluster, int brokerId);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial int rd_kafka_mock_broker_set_rtt(MockClusterSafeHandle mcluster, int brokerId, int rttMs);

    [LibraryImport(KafkaNative.LibraryName, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int rd_kafka_mock_coordinator_set(MockClusterSafeHandle mcluster, string keyType, string key, int brokerId);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial void rd_kafka_mock_push_request_errors_array(MockClusterSafeHandle mcluster, short apiKey, nuint count, int[] errors);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial void rd_kafka_mock_group_initial_rebalance_delay_ms(MockClusterSafeHandle mcluster, int delayMs);

    [LibraryImport(KafkaNative.LibraryName)]
    public static partial void rd_kafka_mock_clear_request_errors(MockClusterSafeHandle mcluster, short apiKey);
}
