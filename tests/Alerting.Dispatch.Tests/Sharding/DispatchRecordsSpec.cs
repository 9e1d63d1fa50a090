using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Alerting.Dispatch.Sharding;

namespace Alerting.Dispatch.Tests.Sharding;

public sealed class DispatchRecordsSpec
{
    private static readonly DispatchShardingSettings Limits = DispatchShardingSettings.Default;

    private static DispatchRecord ReadAlert(AlertMessage alert) => DispatchRecords.Read(DispatchJson.Write(alert), isAlert: true, Limits);

    [Fact]
    public void A_device_id_is_limited_in_UTF8_bytes_not_characters()
    {
        Assert.Equal(256, Limits.MaxDeviceIdBytes);
        Assert.False(ReadAlert(Alerts.Generate(new string('x', 256), "a", "T", 1, 0, [])).IsDeadLetter);
        Assert.Equal(DispatchRecords.DeviceIdTooLong, ReadAlert(Alerts.Generate(new string('x', 257), "a", "T", 1, 0, [])).Reason);
        // 129 two-byte characters: 258 bytes.
        Assert.Equal(DispatchRecords.DeviceIdTooLong, ReadAlert(Alerts.Generate(new string('é', 129), "a", "T", 1, 0, [])).Reason);
        var workOrder = DispatchRecords.Read(DispatchJson.Write(new WorkOrderMessage(new string('x', 300), "a", WorkOrderStatus.Opened)), isAlert: false, Limits);
        Assert.Equal(DispatchRecords.DeviceIdTooLong, workOrder.Reason);
    }

    [Fact]
    public void A_delay_must_lie_between_zero_and_the_limit()
    {
        var max = (long)Limits.MaxDelay.TotalMilliseconds;
        Assert.IsType<AlertCommand>(ReadAlert(Alerts.Generate("d", "a", "T", 1, max, [])).Command);
        Assert.IsType<AlertCommand>(ReadAlert(Alerts.Generate("d", "a", "T", 1, null, [])).Command);
        Assert.Equal(DispatchRecords.DelayOutOfRange, ReadAlert(Alerts.Generate("d", "a", "T", 1, max + 1, [])).Reason);
        Assert.Equal(DispatchRecords.DelayOutOfRange, ReadAlert(Alerts.Generate("d", "a", "T", 1, -1, [])).Reason);
    }

    [Theory]
    [InlineData(true, null, DispatchRecords.MalformedAlert)]
    [InlineData(true, "", DispatchRecords.MalformedAlert)]
    [InlineData(true, "{\"kind\":\"generate\"}", DispatchRecords.MalformedAlert)]
    [InlineData(true, "[1,2]", DispatchRecords.MalformedAlert)]
    [InlineData(false, "{\"deviceId\":\"d\"}", DispatchRecords.MalformedWorkOrder)]
    [InlineData(false, "{\"deviceId\":\"d\",\"alertId\":\"a\",\"status\":\"lost\"}", DispatchRecords.MalformedWorkOrder)]
    public void An_unreadable_record_is_a_dead_letter_with_its_reason(bool isAlert, string? value, string reason)
    {
        var read = DispatchRecords.Read(value, isAlert, Limits);
        Assert.True(read.IsDeadLetter);
        Assert.Equal(reason, read.Reason);
        Assert.False(string.IsNullOrEmpty(read.Message));
    }

    [Fact]
    public void A_work_order_becomes_its_devices_command()
    {
        var read = DispatchRecords.Read(DispatchJson.Write(new WorkOrderMessage("press-1", "a1", WorkOrderStatus.Closed)), isAlert: false, Limits);
        Assert.Equal("press-1", read.DeviceId);
        Assert.Equal(new WorkOrderCommand("a1", WorkOrderStatus.Closed), read.Command);
    }
}
