using System.Threading.Channels;
using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Messages;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;

namespace Alerting.Dispatch.Sharding;

/// <summary>
/// Where the device entities hand their dispatches: <see cref="Ref"/> takes each <see cref="DispatchMessage"/> (sent by
/// its entity), a stream produces it to the dispatch topic (key = device id, value = its JSON with the deterministic
/// dispatch id) through <see cref="KafkaProducer.FlexiFlow{TKey,TValue,TPassThrough}"/>, and once Kafka acknowledged
/// it the entity is told <see cref="OutboxAcknowledged"/>, so it drops the message from its outbox. Messages queue
/// without bound here; their number is bounded by the entities' outboxes (a message stays in its outbox, and so is
/// handed at most once per entity incarnation, until acknowledged).
/// <para>A delivery error fails the stream (<see cref="Completion"/> faults): the dispatcher stops, and the entities'
/// outboxes are handed again with the same ids when they recover on the next start.</para>
/// </summary>
public sealed class DispatchOutput
{
    private readonly Channel<(DispatchMessage Message, IActorRef Entity)> _queue =
        Channel.CreateUnbounded<(DispatchMessage, IActorRef)>(new UnboundedChannelOptions { SingleReader = true });

    private DispatchOutput(ActorSystem system, string name)
    {
        Ref = system.ActorOf(Props.Create(() => new OutputActor(_queue.Writer)), name);
    }

    /// <summary>The actor the entities hand their messages to (the <c>output</c> of <see cref="DeviceEntityActor.Props"/>).</summary>
    public IActorRef Ref { get; }

    /// <summary>Completes when the stream stopped after <see cref="Complete"/>; faults on a delivery error.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts producing to <paramref name="topic"/> with <paramref name="producer"/>, counting into <paramref name="counters"/>.</summary>
    public static DispatchOutput Start(ActorSystem system, ProducerSettings<string, string> producer, string topic, DispatchCounters counters, string name = "dispatch-output")
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(counters);
        var output = new DispatchOutput(system, name);
        var self = output.Ref;
        output.Completion = ChannelSource.FromReader(output._queue.Reader)
            .Select(item =>
            {
                counters.CountProduced();
                var record = new ProducerRecord<string, string>(topic, item.Message.DeviceId, DispatchJson.Write(item.Message));
                return ProducerMessage.Single(record, (item.Entity, item.Message.DispatchId));
            })
            .Via(KafkaProducer.FlexiFlow<string, string, (IActorRef Entity, string DispatchId)>(producer))
            .RunForeach(result =>
            {
                counters.CountAcknowledged(1);
                result.PassThrough.Entity.Tell(new OutboxAcknowledged([result.PassThrough.DispatchId]), self);
            }, system.Materializer())
            .ContinueWith(t =>
            {
                // The actor has nothing left to feed once the stream is gone.
                self.Tell(PoisonPill.Instance);
                return t;
            }, TaskScheduler.Default)
            .Unwrap();
        return output;
    }

    /// <summary>Stops taking messages; the stream produces what it has, then completes.</summary>
    public void Complete() => _queue.Writer.TryComplete();

    /// <summary>Feeds the stream; the entities' answers to <see cref="OutboxAcknowledged"/> need nothing.</summary>
    private sealed class OutputActor : ReceiveActor
    {
        public OutputActor(ChannelWriter<(DispatchMessage, IActorRef)> writer)
        {
            Receive<DispatchMessage>(message =>
            {
                if (!writer.TryWrite((message, Sender)))
                {
                    // Completed: the dispatcher is stopping; the entity hands the message again when it recovers.
                    Unhandled(message);
                }
            });
            Receive<DeviceCommandAck>(_ => { });
        }
    }
}
