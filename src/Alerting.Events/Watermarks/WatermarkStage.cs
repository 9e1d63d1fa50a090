using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Alerting.Events;

/// <summary>What to do with an event too far behind the watermark (e.g. build a late-topic record and write it
/// to a bounded channel). Awaited: a slow side channel slows the stage down rather than growing a buffer.</summary>
/// <param name="ev">The event, as decoded.</param>
/// <param name="watermark">The watermark it fell behind.</param>
/// <param name="cancellationToken">Cancelled when the stage stops.</param>
public delegate ValueTask TooLateHandler(DeviceEvent ev, long watermark, CancellationToken cancellationToken);

/// <summary>Settings of <see cref="WatermarkStage"/>.</summary>
public sealed record WatermarkStageOptions
{
    /// <summary>Events buffered between the upstream pump and the stage (the async boundary). At least 1.</summary>
    public int BufferSize { get; init; } = 64;

    /// <summary>
    /// Emit a final watermark of <see cref="long.MaxValue"/> when the upstream completes, flushing everything
    /// downstream (for bounded replays of history). Off for live streams, whose completion means shutdown.
    /// </summary>
    public bool EmitFinalWatermark { get; init; }
}

/// <summary>
/// The watermark stage: turns a stream of decoded events into an event-time stream of <see cref="Timed"/>
/// elements. <b>Emits</b> each on-time event as is, each late event flagged <see cref="DeviceEvent.IsLate"/>,
/// and a watermark element right after any event or timer tick that advanced the <see cref="WatermarkTracker"/>;
/// too-late events are not emitted but handed to the <see cref="TooLateHandler"/> (awaited, so a bounded side
/// channel backpressures the stage). <b>Pulls</b> upstream through a bounded channel of
/// <see cref="WatermarkStageOptions.BufferSize"/> filled by a pump task, so a timer from the injected
/// <see cref="TimeProvider"/> can wake the stage when no event comes: it fires at the tracker's next idle
/// check, and watermarks advance on idleness alone. <b>Completes</b> when upstream completes (after an optional
/// final watermark); <b>fails</b> with upstream's or the handler's exception; on cancellation (or when
/// downstream stops early) it stops the pump and disposes the timer — nothing outlives the enumeration.
/// </summary>
public sealed class WatermarkStage
{
    private readonly WatermarkTracker _tracker;
    private readonly TimeProvider _time;
    private readonly TooLateHandler _onTooLate;
    private readonly WatermarkStageOptions _options;

    public WatermarkStage(WatermarkTracker tracker, TooLateHandler onTooLate, TimeProvider? time = null, WatermarkStageOptions? options = null)
    {
        _tracker = tracker ?? throw new ArgumentNullException(nameof(tracker));
        _onTooLate = onTooLate ?? throw new ArgumentNullException(nameof(onTooLate));
        _time = time ?? TimeProvider.System;
        _options = options ?? new WatermarkStageOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BufferSize, 1, nameof(options));
    }

    /// <summary>The tracker whose watermark this stage emits (for counters and inspection).</summary>
    public WatermarkTracker Tracker => _tracker;

    /// <summary>Runs the stage over <paramref name="source"/>; enumerate the result once.</summary>
    public async IAsyncEnumerable<Timed> Run(IAsyncEnumerable<DeviceEvent> source, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        var channel = Channel.CreateBounded<DeviceEvent?>(new BoundedChannelOptions(_options.BufferSize)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var ticker = new Ticker(channel.Writer);
        var timer = _time.CreateTimer(static s => ((Ticker)s!).Fire(), ticker, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        var pump = Task.Run(() => PumpAsync(source, channel.Writer, token), CancellationToken.None);
        var armed = false;
        var emitted = WatermarkTracker.NoWatermark;
        try
        {
            while (await channel.Reader.WaitToReadAsync(token))
            {
                while (channel.Reader.TryRead(out var ev))
                {
                    if (ev is not null)
                    {
                        var lateness = _tracker.Observe(ev);
                        if (!armed)
                        {
                            armed = Arm(timer);
                        }

                        switch (lateness)
                        {
                            case Lateness.OnTime:
                                yield return Timed.Of(ev);
                                break;
                            case Lateness.Late:
                                yield return Timed.Of(AsLate(ev));
                                break;
                            default:
                                await _onTooLate(ev, _tracker.Watermark, token);
                                break;
                        }
                    }

                    if (ticker.TakeTick())
                    {
                        _tracker.Refresh();
                        armed = Arm(timer);
                    }

                    if (_tracker.Watermark > emitted)
                    {
                        emitted = _tracker.Watermark;
                        yield return Timed.OfWatermark(emitted);
                    }
                }
            }

            if (_options.EmitFinalWatermark && emitted != long.MaxValue)
            {
                yield return Timed.OfWatermark(long.MaxValue);
            }
        }
        finally
        {
            await timer.DisposeAsync();
            await cts.CancelAsync();
            await pump;
        }
    }

    private bool Arm(ITimer timer)
    {
        if (_tracker.NextIdleCheck is not { } next)
        {
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return false;
        }

        var due = next - _time.GetUtcNow();
        timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        return true;
    }

    private static async Task PumpAsync(IAsyncEnumerable<DeviceEvent> source, ChannelWriter<DeviceEvent?> writer, CancellationToken token)
    {
        try
        {
            await foreach (var ev in source.WithCancellation(token))
            {
                await writer.WriteAsync(ev ?? throw new InvalidOperationException("the source emitted null"), token);
            }

            writer.TryComplete();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (Exception ex)
        {
            writer.TryComplete(ex);
        }
    }

    private static DeviceEvent AsLate(DeviceEvent ev) => new()
    {
        DeviceId = ev.DeviceId,
        Kind = ev.Kind,
        EventTime = ev.EventTime,
        EventId = ev.EventId,
        Fields = ev.Fields,
        Payload = ev.Payload,
        Topic = ev.Topic,
        Partition = ev.Partition,
        Offset = ev.Offset,
        IsLate = true,
    };

    /// <summary>Timer side: raises a flag and nudges the reader; a full channel just means the flag is seen after the next event.</summary>
    private sealed class Ticker(ChannelWriter<DeviceEvent?> writer)
    {
        private int _tick;

        public void Fire()
        {
            Volatile.Write(ref _tick, 1);
            writer.TryWrite(null);
        }

        public bool TakeTick() => Interlocked.Exchange(ref _tick, 0) == 1;
    }
}

/// <summary>Stream-style entry points for the watermark stage.</summary>
public static class WatermarkStreamExtensions
{
    /// <summary>
    /// <c>events.WithWatermarks(tracker, onTooLate)</c>: runs a <see cref="WatermarkStage"/> over the events.
    /// </summary>
    public static IAsyncEnumerable<Timed> WithWatermarks(
        this IAsyncEnumerable<DeviceEvent> events,
        WatermarkTracker tracker,
        TooLateHandler onTooLate,
        TimeProvider? time = null,
        WatermarkStageOptions? options = null,
        CancellationToken cancellationToken = default) =>
        new WatermarkStage(tracker, onTooLate, time, options).Run(events, cancellationToken);
}
