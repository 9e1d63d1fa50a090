using System.Collections.Immutable;
using Akka;
using Confluent.Kafka;

namespace Alerting.Kafka.Messages;

/// <summary>
/// What <see cref="Dsl.KafkaProducer.FlexiFlow{TKey,TValue,TPassThrough}"/> takes: one record
/// (<see cref="Message{TKey,TValue,TPassThrough}"/>), several (<see cref="MultiMessage{TKey,TValue,TPassThrough}"/>) or
/// none (<see cref="PassThroughMessage{TKey,TValue,TPassThrough}"/>), each with a value passed through to its result.
/// </summary>
public interface IEnvelope<TKey, TValue, out TPassThrough>
{
    /// <summary>The value handed back in the result once every record of the envelope is acknowledged.</summary>
    TPassThrough PassThrough { get; }

    /// <summary>The same records with another pass-through value.</summary>
    IEnvelope<TKey, TValue, TPassThrough2> WithPassThrough<TPassThrough2>(TPassThrough2 value);
}

/// <summary>Creates producer envelopes.</summary>
public static class ProducerMessage
{
    /// <summary>An envelope of one record; the flow emits a <see cref="Result{TKey,TValue,TPassThrough}"/>.</summary>
    public static IEnvelope<TKey, TValue, TPassThrough> Single<TKey, TValue, TPassThrough>(ProducerRecord<TKey, TValue> record, TPassThrough passThrough) =>
        new Message<TKey, TValue, TPassThrough>(record, passThrough);

    /// <summary>An envelope of one record without a pass-through value.</summary>
    public static IEnvelope<TKey, TValue, NotUsed> Single<TKey, TValue>(ProducerRecord<TKey, TValue> record) =>
        new Message<TKey, TValue, NotUsed>(record, NotUsed.Instance);

    /// <summary>
    /// An envelope of several records, produced in the order given; the flow emits one
    /// <see cref="MultiResult{TKey,TValue,TPassThrough}"/> once all of them are acknowledged.
    /// </summary>
    public static IEnvelope<TKey, TValue, TPassThrough> Multi<TKey, TValue, TPassThrough>(IEnumerable<ProducerRecord<TKey, TValue>> records, TPassThrough passThrough) =>
        new MultiMessage<TKey, TValue, TPassThrough>(records, passThrough);

    /// <summary>An envelope of several records without a pass-through value.</summary>
    public static IEnvelope<TKey, TValue, NotUsed> Multi<TKey, TValue>(IEnumerable<ProducerRecord<TKey, TValue>> records) =>
        new MultiMessage<TKey, TValue, NotUsed>(records, NotUsed.Instance);

    /// <summary>
    /// An envelope of no record: the flow emits a <see cref="PassThroughResult{TKey,TValue,TPassThrough}"/> in its
    /// turn, after every envelope before it (an offset to commit for a record that produced nothing).
    /// </summary>
    public static IEnvelope<TKey, TValue, TPassThrough> PassThrough<TKey, TValue, TPassThrough>(TPassThrough passThrough) =>
        new PassThroughMessage<TKey, TValue, TPassThrough>(passThrough);
}

/// <summary>An envelope of one record.</summary>
public sealed class Message<TKey, TValue, TPassThrough> : IEnvelope<TKey, TValue, TPassThrough>
{
    /// <summary>An envelope of <paramref name="record"/>.</summary>
    public Message(ProducerRecord<TKey, TValue> record, TPassThrough passThrough)
    {
        ArgumentNullException.ThrowIfNull(record);
        Record = record;
        PassThrough = passThrough;
    }

    /// <summary>The record.</summary>
    public ProducerRecord<TKey, TValue> Record { get; }

    /// <inheritdoc />
    public TPassThrough PassThrough { get; }

    /// <inheritdoc />
    public IEnvelope<TKey, TValue, TPassThrough2> WithPassThrough<TPassThrough2>(TPassThrough2 value) =>
        new Message<TKey, TValue, TPassThrough2>(Record, value);
}

/// <summary>An envelope of several records, produced in order.</summary>
public sealed class MultiMessage<TKey, TValue, TPassThrough> : IEnvelope<TKey, TValue, TPassThrough>
{
    /// <summary>An envelope of <paramref name="records"/>.</summary>
    public MultiMessage(IEnumerable<ProducerRecord<TKey, TValue>> records, TPassThrough passThrough)
    {
        ArgumentNullException.ThrowIfNull(records);
        Records = records.ToImmutableArray();
        PassThrough = passThrough;
    }

    /// <summary>The records, in the order they are produced.</summary>
    public IReadOnlyList<ProducerRecord<TKey, TValue>> Records { get; }

    /// <inheritdoc />
    public TPassThrough PassThrough { get; }

    /// <inheritdoc />
    public IEnvelope<TKey, TValue, TPassThrough2> WithPassThrough<TPassThrough2>(TPassThrough2 value) =>
        new MultiMessage<TKey, TValue, TPassThrough2>(Records, value);
}

/// <summary>An envelope of no record.</summary>
public sealed class PassThroughMessage<TKey, TValue, TPassThrough> : IEnvelope<TKey, TValue, TPassThrough>
{
    /// <summary>An envelope carrying only <paramref name="passThrough"/>.</summary>
    public PassThroughMessage(TPassThrough passThrough) => PassThrough = passThrough;

    /// <inheritdoc />
    public TPassThrough PassThrough { get; }

    /// <inheritdoc />
    public IEnvelope<TKey, TValue, TPassThrough2> WithPassThrough<TPassThrough2>(TPassThrough2 value) =>
        new PassThroughMessage<TKey, TValue, TPassThrough2>(value);
}

/// <summary>What the producer flow emits for an envelope, in the envelopes' order.</summary>
public interface IResults<TKey, TValue, out TPassThrough>
{
    /// <summary>The envelope's pass-through value.</summary>
    TPassThrough PassThrough { get; }
}

/// <summary>The result of a <see cref="Message{TKey,TValue,TPassThrough}"/>: its record was acknowledged.</summary>
public sealed class Result<TKey, TValue, TPassThrough> : IResults<TKey, TValue, TPassThrough>
{
    /// <summary>A result.</summary>
    public Result(DeliveryReport<TKey, TValue> metadata, Message<TKey, TValue, TPassThrough> message)
    {
        Metadata = metadata;
        Message = message;
    }

    /// <summary>The delivery report (topic, partition, offset).</summary>
    public DeliveryReport<TKey, TValue> Metadata { get; }

    /// <summary>The envelope.</summary>
    public Message<TKey, TValue, TPassThrough> Message { get; }

    /// <summary>The offset the record was written at.</summary>
    public Offset Offset => Metadata.Offset;

    /// <inheritdoc />
    public TPassThrough PassThrough => Message.PassThrough;
}

/// <summary>One acknowledged record of a <see cref="MultiMessage{TKey,TValue,TPassThrough}"/>.</summary>
public sealed class MultiResultPart<TKey, TValue>
{
    /// <summary>A part.</summary>
    public MultiResultPart(DeliveryReport<TKey, TValue> metadata, ProducerRecord<TKey, TValue> record)
    {
        Metadata = metadata;
        Record = record;
    }

    /// <summary>The delivery report.</summary>
    public DeliveryReport<TKey, TValue> Metadata { get; }

    /// <summary>The record.</summary>
    public ProducerRecord<TKey, TValue> Record { get; }
}

/// <summary>The result of a <see cref="MultiMessage{TKey,TValue,TPassThrough}"/>: all its records were acknowledged.</summary>
public sealed class MultiResult<TKey, TValue, TPassThrough> : IResults<TKey, TValue, TPassThrough>
{
    /// <summary>A result.</summary>
    public MultiResult(IReadOnlyList<MultiResultPart<TKey, TValue>> parts, TPassThrough passThrough)
    {
        Parts = parts;
        PassThrough = passThrough;
    }

    /// <summary>One part per record, in the envelope's order.</summary>
    public IReadOnlyList<MultiResultPart<TKey, TValue>> Parts { get; }

    /// <inheritdoc />
    public TPassThrough PassThrough { get; }
}

/// <summary>The result of a <see cref="PassThroughMessage{TKey,TValue,TPassThrough}"/>.</summary>
public sealed class PassThroughResult<TKey, TValue, TPassThrough> : IResults<TKey, TValue, TPassThrough>
{
    /// <summary>A result.</summary>
    public PassThroughResult(TPassThrough passThrough) => PassThrough = passThrough;

    /// <inheritdoc />
    public TPassThrough PassThrough { get; }
}
