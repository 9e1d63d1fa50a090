namespace Alerting.Persistence;

/// <summary>An event or snapshot could not be serialized or read back (unregistered type, unknown manifest, no upcaster, bad JSON).</summary>
public sealed class EventSerializationException : Exception
{
    public EventSerializationException()
    {
    }

    public EventSerializationException(string message) : base(message)
    {
    }

    public EventSerializationException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
