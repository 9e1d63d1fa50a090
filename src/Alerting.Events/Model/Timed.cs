namespace Alerting.Events;

/// <summary>
/// An element of an event-time stream: either an event or a watermark, the promise that no event with
/// an earlier event time will follow (apart from late ones, which are flagged or routed aside).
/// </summary>
public readonly struct Timed
{
    private Timed(DeviceEvent? ev, long watermark)
    {
        Event = ev;
        Watermark = watermark;
    }

    /// <summary>The event, or null when this element is a watermark.</summary>
    public DeviceEvent? Event { get; }

    /// <summary>The watermark in Unix milliseconds, when <see cref="Event"/> is null.</summary>
    public long Watermark { get; }

    public bool IsWatermark => Event is null;

    public static Timed Of(DeviceEvent ev) => new(ev ?? throw new ArgumentNullException(nameof(ev)), 0);
    public static Timed OfWatermark(long watermark) => new(null, watermark);
}
