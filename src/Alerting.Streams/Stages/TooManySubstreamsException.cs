namespace Alerting.Streams;

/// <summary>Thrown by GroupBy when an element would open more substreams than allowed.</summary>
public sealed class TooManySubstreamsException : Exception
{
    public TooManySubstreamsException() : base("Too many substreams are open.") { }

    public TooManySubstreamsException(string message) : base(message) { }

    public TooManySubstreamsException(string message, Exception innerException) : base(message, innerException) { }
}
