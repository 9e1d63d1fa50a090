using System.Net.Sockets;
using System.Text;
using Alerting.Kafka.Embedded;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

public sealed class DevBrokerSpec
{
    [Fact]
    public async Task The_dev_broker_must_announce_its_address_serve_its_topics_and_stop_on_cancellation()
    {
        var ct = TestContext.Token;
        var output = new LineWriter();
        using var stop = new CancellationTokenSource();

        var running = DevBroker.RunAsync(2, [("device-events", 6), ("alerts", 2)], output, stop.Token);
        var line = await output.FirstLine.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.StartsWith(DevBroker.BootstrapLinePrefix, line);
        var bootstrap = line[DevBroker.BootstrapLinePrefix.Length..];
        Assert.Equal(6, KafkaTestClients.PartitionCount(bootstrap, "device-events"));
        Assert.Equal(2, KafkaTestClients.PartitionCount(bootstrap, "alerts"));
        await KafkaTestClients.ProduceAsync(bootstrap, "alerts", KafkaTestClients.Numbered(10), ct);
        Assert.Equal(10, (await KafkaTestClients.ReadAsync(bootstrap, "alerts", 10, TimeSpan.FromSeconds(10), ct)).Count);
        Assert.False(running.IsCompleted);

        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(10), ct);

        Assert.Equal([line], output.Lines);
        var first = bootstrap.Split(',')[0];
        var colon = first.LastIndexOf(':');
        using var probe = new TcpClient();
        await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(
            first[..colon], int.Parse(first[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), ct).AsTask());
    }

    /// <summary>Collects written lines and signals the first complete one once flushed.</summary>
    private sealed class LineWriter : TextWriter
    {
        private readonly StringBuilder _buffer = new();
        private readonly TaskCompletionSource<string> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override Encoding Encoding => Encoding.UTF8;

        public Task<string> FirstLine => _first.Task;

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_buffer)
                {
                    return _buffer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
                }
            }
        }

        public override void Write(char value)
        {
            lock (_buffer)
            {
                _buffer.Append(value);
            }
        }

        public override void Flush()
        {
            var lines = Lines;
            if (lines.Count > 0)
            {
                _first.TrySetResult(lines[0].TrimEnd('\r'));
            }
        }

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flush();
            return Task.CompletedTask;
        }
    }
}
