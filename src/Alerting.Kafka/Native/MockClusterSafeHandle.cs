using System.Runtime.InteropServices;

namespace Alerting.Kafka.Native;

/// <summary>
/// Owns a librdkafka mock cluster and the client handle (<c>rd_kafka_t</c>) that hosts it.
/// Releasing destroys the mock cluster first, then the client handle, exactly once; calls made
/// through this handle keep it alive while they run, so a concurrent dispose cannot free it under them.
/// </summary>
internal sealed class MockClusterSafeHandle : SafeHandle
{
    private readonly IntPtr _client;

    public MockClusterSafeHandle(IntPtr mockCluster, IntPtr client)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        _client = client;
        SetHandle(mockCluster);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        LibRdKafka.rd_kafka_mock_cluster_destroy(handle);
        LibRdKafka.rd_kafka_destroy(_client);
        return true;
    }
}
