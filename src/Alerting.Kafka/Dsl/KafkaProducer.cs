using Akka;
using Akka.Streams.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Alerting.Kafka.Stages;

namespace Alerting.Kafka.Dsl;

/// <summary>Kafka producer flows, with Akka.Streams.Kafka's names and shapes.</summary>
public static class KafkaProducer
{
    /// <summary>
    /// Produces the records of each envelope (<see cref="ProducerMessage.Single{TKey,TValue,TPassThrough}"/>,
    /// <see cref="ProducerMessage.Multi{TKey,TValue,TPassThrough}"/>, <see cref="ProducerMessage.PassThrough{TKey,TValue,TPassThrough}"/>)
    /// with one producer, and emits one result per envelope in the envelopes' order once its records are
    /// acknowledged. At most <c>parallelism</c> envelopes are in flight. Fails on the first delivery error.
    /// </summary>
    public static Flow<IEnvelope<TKey, TValue, TPassThrough>, IResults<TKey, TValue, TPassThrough>, NotUsed> FlexiFlow<TKey, TValue, TPassThrough>(
        ProducerSettings<TKey, TValue> settings) =>
        Flow.FromGraph(new ProducerStage<TKey, TValue, TPassThrough>(settings));

    /// <summary>Produces each record; completes (the task) once every record is acknowledged, fails on the first error.</summary>
    public static Sink<ProducerRecord<TKey, TValue>, Task> PlainSink<TKey, TValue>(ProducerSettings<TKey, TValue> settings) =>
        Flow.Create<ProducerRecord<TKey, TValue>>()
            .Select(record => ProducerMessage.Single(record))
            .Via(FlexiFlow<TKey, TValue, NotUsed>(settings))
            .ToMaterialized(Sink.Ignore<IResults<TKey, TValue, NotUsed>>(), Keep.Right)
            .MapMaterializedValue(done => (Task)done);
}
