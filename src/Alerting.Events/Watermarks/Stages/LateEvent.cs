namespace Alerting.Events;

/// <summary>Which stage found an event too late.</summary>
public enum LateBy : byte
{
    /// <summary>The watermark stage: the event was behind its partition's watermark by more than the allowed lateness.</summary>
    Watermark = 0,

    /// <summary>The match stage: the matcher had released events past it by more than the allowed lateness.</summary>
    Matcher,
}

/// <summary>
/// An event that came too late to be matched, as a late outlet emits it: the event, the watermark it fell
/// behind and the stage that refused it. <see cref="ToRecord"/> is what goes to the late topic.
/// </summary>
/// <param name="Event">The event, as decoded.</param>
/// <param name="Watermark">The watermark (Unix ms) it fell behind.</param>
/// <param name="By">The stage that refused it.</param>
public sealed record LateEvent(DeviceEvent Event, long Watermark, LateBy By)
{
    /// <summary>The late-topic record: the original payload keyed by device, with reason, origin and watermark headers.</summary>
    public DeadLetterRecord ToRecord() => DeadLetterHeaders.ForTooLate(Event, Watermark);
}
