using Confluent.Kafka;

namespace Alerting.Kafka.Messages;

/// <summary>Record headers as the project's records carry them (name and value pairs, in order) and as Kafka's client does.</summary>
public static class HeaderList
{
    private static readonly IReadOnlyList<KeyValuePair<string, byte[]>> None = [];

    /// <summary>Kafka headers of the pairs, in their order.</summary>
    public static Headers ToKafka(IEnumerable<KeyValuePair<string, byte[]>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var kafka = new Headers();
        foreach (var (name, value) in headers)
        {
            kafka.Add(name, value);
        }

        return kafka;
    }

    /// <summary>The pairs of a record's Kafka headers, in order; an empty list (shared) when it has none.</summary>
    public static IReadOnlyList<KeyValuePair<string, byte[]>> FromKafka(Headers? headers)
    {
        if (headers is null || headers.Count == 0)
        {
            return None;
        }

        var list = new KeyValuePair<string, byte[]>[headers.Count];
        for (var i = 0; i < list.Length; i++)
        {
            list[i] = new KeyValuePair<string, byte[]>(headers[i].Key, headers[i].GetValueBytes());
        }

        return list;
    }
}
