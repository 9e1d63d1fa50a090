using System.Threading.Channels;

namespace Alerting.Streams;

/// <summary>What a <see cref="SideOutput{T}"/> does when it is full.</summary>
public enum OverflowStrategy
{
    /// <summary>Drop the element being offered and count it.</summary>
    DropNewest,

    /// <summary>Drop the oldest buffered element to make room, and count it.</summary>
    DropOldest,

    /// <summary>Throw <see cref="BufferOverflowException"/> into the offering stage.</summary>
    Fail,
}

/// <summary>Thrown by a side output whose overflow strategy is <see cref="OverflowStrategy.Fail"/> when it is full.</summary>
public sealed class BufferOverflowException : Exception
{
    public BufferOverflowException() : base("The side output is full.") { }

    public BufferOverflowException(string message) : base(message) { }

    public BufferOverflowException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// A side output (dead letters, late events): a bounded channel that stages offer to without ever waiting,
/// so the main path is never blocked by a slow side consumer. Emits, through <see cref="Source"/>, what was
/// offered, in order, while it is drained; completes when <see cref="Complete"/> is called and the buffer is
/// empty. When full it applies its <see cref="OverflowStrategy"/> and counts drops in <see cref="Dropped"/>.
/// </summary>
public sealed class SideOutput<T>
{
    private readonly Channel<T> _channel;
    private readonly OverflowStrategy _overflow;
    private long _dropped;
    private long _offered;

    /// <summary>Creates a side output holding at most <paramref name="capacity"/> elements.</summary>
    public SideOutput(int capacity, OverflowStrategy overflow = OverflowStrategy.DropNewest)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _overflow = overflow;
        var options = new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = overflow switch
            {
                OverflowStrategy.DropOldest => BoundedChannelFullMode.DropOldest,
                _ => BoundedChannelFullMode.Wait,
            },
        };
        _channel = Channel.CreateBounded<T>(options, _ => Interlocked.Increment(ref _dropped));
        Capacity = capacity;
    }

    /// <summary>The most elements held at once.</summary>
    public int Capacity { get; }

    /// <summary>How many offered elements were dropped because the output was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>How many elements were offered.</summary>
    public long Offered => Interlocked.Read(ref _offered);

    /// <summary>The number of elements waiting to be read.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>
    /// Offers an element without waiting. Returns false when it was dropped (full under DropNewest, or completed);
    /// throws <see cref="BufferOverflowException"/> when full under Fail.
    /// </summary>
    public bool Offer(T element)
    {
        Interlocked.Increment(ref _offered);
        if (_channel.Writer.TryWrite(element))
        {
            return true;
        }
        if (_overflow == OverflowStrategy.Fail && !_channel.Reader.Completion.IsCompleted)
        {
            throw new BufferOverflowException($"The side output of capacity {Capacity} is full.");
        }
        Interlocked.Increment(ref _dropped);
        return false;
    }

    /// <summary>Completes the side output: later offers are dropped; readers finish after the buffer empties.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    /// <summary>Reads the side output; a single reader at a time.</summary>
    public Source<T> Source => new(_ => _channel.Reader.ReadAllAsync());

    /// <summary>Takes one buffered element if there is one.</summary>
    public bool TryRead(out T element) => _channel.Reader.TryRead(out element!);
}
