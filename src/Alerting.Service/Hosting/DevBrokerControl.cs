using System.Globalization;
using Alerting.Kafka.Embedded;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Hosting;

/// <summary>What a dev-broker control command does.</summary>
public enum BrokerAction
{
    /// <summary>Brokers refuse connections and close the open ones.</summary>
    Down,

    /// <summary>Brokers taken down serve again.</summary>
    Up,

    /// <summary>The next requests of one API fail with an error code.</summary>
    Errors,

    /// <summary>Injected request errors not yet returned are dropped.</summary>
    Clear,

    /// <summary>Every response of the brokers is delayed.</summary>
    Rtt,
}

/// <summary>
/// One control command of the dev broker, parsed from a line of its standard input (see <see cref="DevBrokerControl.Help"/>).
/// </summary>
/// <param name="Action">What to do.</param>
/// <param name="Broker">The broker id (1 to the broker count), or null for every broker.</param>
/// <param name="Api">The request type of <see cref="BrokerAction.Errors"/>, or of <see cref="BrokerAction.Clear"/> (null: all).</param>
/// <param name="Error">The error code returned by <see cref="BrokerAction.Errors"/>.</param>
/// <param name="Count">How many requests fail (<see cref="BrokerAction.Errors"/>).</param>
/// <param name="Delay">The added round-trip time (<see cref="BrokerAction.Rtt"/>).</param>
public sealed record BrokerCommand(BrokerAction Action, int? Broker = null, KafkaApiKey? Api = null, ErrorCode Error = ErrorCode.NoError, int Count = 0, TimeSpan Delay = default)
{
    /// <summary>The most errors one command pushes (the mock keeps them in memory until returned).</summary>
    public const int MaxErrors = 100_000;

    /// <summary>Parses one command line; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static BrokerCommand Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            throw new FormatException("empty command");
        }

        return words[0].ToUpperInvariant() switch
        {
            "DOWN" when words.Length <= 2 => new BrokerCommand(BrokerAction.Down, BrokerOf(words, 1)),
            "UP" when words.Length <= 2 => new BrokerCommand(BrokerAction.Up, BrokerOf(words, 1)),
            "ERRORS" when words.Length == 4 => new BrokerCommand(BrokerAction.Errors, Api: ApiOf(words[1]), Error: ErrorOf(words[2]), Count: CountOf(words[3])),
            "CLEAR" when words.Length <= 2 => new BrokerCommand(BrokerAction.Clear, Api: words.Length == 2 && !IsAll(words[1]) ? ApiOf(words[1]) : null),
            "RTT" when words.Length == 3 => new BrokerCommand(BrokerAction.Rtt, BrokerOf(words, 1), Delay: DelayOf(words[2])),
            _ => throw new FormatException($"unknown command or wrong number of arguments: '{line.Trim()}'"),
        };
    }

    private static bool IsAll(string word) => word.Equals("all", StringComparison.OrdinalIgnoreCase);

    private static int? BrokerOf(string[] words, int at)
    {
        if (words.Length <= at || IsAll(words[at]))
        {
            return null;
        }

        return int.TryParse(words[at], NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id >= 1
            ? id
            : throw new FormatException($"broker '{words[at]}' is not 'all' or a broker id (1, 2, …)");
    }

    private static KafkaApiKey ApiOf(string word) =>
        Enum.TryParse<KafkaApiKey>(word, ignoreCase: true, out var api) && Enum.IsDefined(api) && !int.TryParse(word, CultureInfo.InvariantCulture, out _)
            ? api
            : throw new FormatException($"api '{word}' is not one of {string.Join(", ", Enum.GetNames<KafkaApiKey>())}");

    private static ErrorCode ErrorOf(string word)
    {
        if (int.TryParse(word, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code))
        {
            return (ErrorCode)code;
        }

        return Enum.TryParse<ErrorCode>(word, ignoreCase: true, out var named) && Enum.IsDefined(named)
            ? named
            : throw new FormatException($"error '{word}' is not a Kafka error code (a number such as 7 or a name such as RequestTimedOut)");
    }

    private static int CountOf(string word) =>
        int.TryParse(word, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxErrors
            ? n
            : throw new FormatException($"count '{word}' is not between 1 and {MaxErrors}");

    private static TimeSpan DelayOf(string word) =>
        HoconDurationOf(word) is { } delay && delay >= TimeSpan.Zero && delay <= TimeSpan.FromMinutes(5)
            ? delay
            : throw new FormatException($"delay '{word}' is not a duration between 0ms and 5m (e.g. 200ms)");

    private static TimeSpan? HoconDurationOf(string word) =>
        Alerting.Configuration.HoconDuration.TryParse(word, out var d) ? d : null;

    /// <summary>Applies the command to <paramref name="cluster"/>; the mock's refusal surfaces as a <see cref="KafkaException"/>.</summary>
    public void Apply(EmbeddedKafkaCluster cluster)
    {
        ArgumentNullException.ThrowIfNull(cluster);
        if (Broker is { } b && b > cluster.BrokerCount)
        {
            throw new FormatException($"broker {b} does not exist (the cluster has {cluster.BrokerCount})");
        }

        var brokers = Broker is { } one ? [one] : Enumerable.Range(1, cluster.BrokerCount).ToArray();
        switch (Action)
        {
            case BrokerAction.Down:
                Array.ForEach(brokers, cluster.SetBrokerDown);
                break;
            case BrokerAction.Up:
                Array.ForEach(brokers, cluster.SetBrokerUp);
                break;
            case BrokerAction.Errors:
                cluster.PushRequestErrors(Api!.Value, Enumerable.Repeat(Error, Count).ToArray());
                break;
            case BrokerAction.Clear when Api is { } api:
                cluster.ClearRequestErrors(api);
                break;
            case BrokerAction.Clear:
                cluster.ClearAllRequestErrors();
                break;
            case BrokerAction.Rtt:
                Array.ForEach(brokers, id => cluster.SetBrokerRoundTripTime(id, Delay));
                break;
            default:
                throw new InvalidOperationException($"unknown action {Action}");
        }
    }
}

/// <summary>
/// The dev broker's control channel: one command a line on its standard input, so a test harness in another
/// process can inject faults into the running broker. Every line gets one answer line on standard output,
/// <c>#N ok LINE</c> or <c>#N error MESSAGE</c> (N counts the lines from 1); the end of the input ends the
/// channel, not the broker.
/// </summary>
public static class DevBrokerControl
{
    /// <summary>The commands, as printed by <c>--help</c>.</summary>
    public const string Help = """
        dev-broker commands (one a line on standard input; each answered "#N ok LINE" or "#N error MESSAGE"):
          down [all|ID]                 brokers refuse connections (all by default)
          up [all|ID]                   brokers serve again
          errors API CODE N             the next N requests of API (Produce, Fetch, OffsetCommit, …) fail with
                                        the Kafka error CODE (a number, e.g. 7, or a name, e.g. RequestTimedOut)
          clear [all|API]               drop injected errors not yet returned
          rtt all|ID DELAY              delay every response (e.g. 200ms; 0ms removes it)
        """;

    /// <summary>Reads commands from <paramref name="input"/> until its end or <paramref name="cancellationToken"/>, applying each to <paramref name="cluster"/>.</summary>
    public static async Task ServeAsync(EmbeddedKafkaCluster cluster, TextReader input, TextWriter output, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var n = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            string? line;
            try
            {
                line = await input.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (IOException ex)
            {
                HostLog.BrokerControlClosed(logger, ex);
                return;
            }

            if (line is null)
            {
                return;
            }

            if (line.Trim().Length == 0)
            {
                continue;
            }

            n++;
            string answer;
            try
            {
                BrokerCommand.Parse(line).Apply(cluster);
                HostLog.BrokerCommandApplied(logger, n, line.Trim());
                answer = $"#{n} ok {line.Trim()}";
            }
            catch (Exception ex) when (ex is FormatException or KafkaException or ObjectDisposedException or ArgumentException)
            {
                HostLog.BrokerCommandRefused(logger, n, line.Trim(), ex.Message);
                answer = $"#{n} error {ex.Message}";
            }

            await output.WriteLineAsync(answer.AsMemory(), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
