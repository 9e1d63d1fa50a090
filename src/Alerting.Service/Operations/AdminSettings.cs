using System.Net;
using Akka.Configuration;
using Alerting.Configuration;

namespace Alerting.Service.Operations;

/// <summary>
/// The node's admin HTTP endpoint and its status line (<c>alerting.admin</c>, <c>alerting.status-interval</c>,
/// <c>alerting.log-format</c>), bound once from the merged configuration.
/// </summary>
/// <param name="Enabled">Whether the endpoint runs at all.</param>
/// <param name="Bind">The address it listens on (loopback by default).</param>
/// <param name="Port">Its port; 0 picks a free one (logged).</param>
/// <param name="Token">The bearer token, from <c>token-file</c> or the environment variable named by <c>token-env</c>; null when neither is set.</param>
/// <param name="AnonymousHealth">Whether <c>/health/*</c> answers without a token on a non-loopback address (for kubelet probes).</param>
/// <param name="LagTimeout">Longest wait for Kafka when the lag is read (metrics, <c>alertctl lag</c>).</param>
/// <param name="StatusInterval">Interval of <c>run</c>'s status line on stdout; zero when off.</param>
/// <param name="JsonLogs">Whether logs are written as JSON lines.</param>
public sealed record AdminSettings(
    bool Enabled,
    IPAddress Bind,
    int Port,
    string? Token,
    bool AnonymousHealth,
    TimeSpan LagTimeout,
    TimeSpan StatusInterval,
    bool JsonLogs)
{
    /// <summary>True when the endpoint listens on a loopback address only.</summary>
    public bool IsLoopback => IPAddress.IsLoopback(Bind);

    /// <summary>The settings of <paramref name="config"/>; <paramref name="environment"/> reads environment variables (the process's when null).</summary>
    public static AdminSettings Create(Config config, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        environment ??= Environment.GetEnvironmentVariable;
        var bindText = config.ReadString("alerting.admin.bind", "127.0.0.1");
        var bind = bindText switch
        {
            "localhost" => IPAddress.Loopback,
            "*" or "0.0.0.0" => IPAddress.Any,
            "::" => IPAddress.IPv6Any,
            _ => IPAddress.TryParse(bindText, out var parsed)
                ? parsed
                : throw new ConfigurationValueException("alerting.admin.bind", bindText, "an IP address, localhost, or * for every interface"),
        };

        var format = config.ReadString("alerting.log-format", "text");
        if (format is not ("text" or "json"))
        {
            throw new ConfigurationValueException("alerting.log-format", format, "text or json");
        }

        var json = format == "json";
        var token = ReadToken(config, environment);
        if (!IPAddress.IsLoopback(bind) && token is null)
        {
            throw new ConfigurationValueException("alerting.admin.bind", bindText,
                "a loopback address while no admin token is set (alerting.admin.token-file, or the variable named by alerting.admin.token-env)");
        }

        var status = config.ReadDuration("alerting.status-interval", TimeSpan.FromSeconds(10));
        return new AdminSettings(
            ReadSwitch(config, "alerting.admin.enabled", true),
            bind,
            config.ReadInt("alerting.admin.port", 8558, 0, 65535),
            token,
            ReadSwitch(config, "alerting.admin.anonymous-health", false),
            config.ReadDuration("alerting.admin.lag-timeout", TimeSpan.FromSeconds(5)),
            json ? TimeSpan.Zero : status,
            json);
    }

    /// <summary>The token never shows in logs.</summary>
    public override string ToString() =>
        $"AdminSettings {{ Enabled = {Enabled}, Bind = {Bind}, Port = {Port}, Token = {(Token is null ? "none" : "set")}, AnonymousHealth = {AnonymousHealth}, StatusInterval = {StatusInterval}, JsonLogs = {JsonLogs} }}";

    private static string? ReadToken(Config config, Func<string, string?> environment)
    {
        var file = config.ReadString("alerting.admin.token-file", "");
        if (file.Length > 0)
        {
            if (!File.Exists(file))
            {
                throw new ConfigurationValueException("alerting.admin.token-file", file, "an existing file holding the bearer token");
            }

            var fromFile = File.ReadAllText(file).Trim();
            return fromFile.Length > 0
                ? fromFile
                : throw new ConfigurationValueException("alerting.admin.token-file", file, "a file holding a non-empty bearer token");
        }

        var variable = config.ReadString("alerting.admin.token-env", "ALERTING_ADMIN_TOKEN");
        var fromEnvironment = variable.Length > 0 ? environment(variable)?.Trim() : null;
        return string.IsNullOrEmpty(fromEnvironment) ? null : fromEnvironment;
    }

    private static bool ReadSwitch(Config config, string path, bool defaultValue)
    {
        var text = config.ReadString(path, defaultValue ? "on" : "off");
        return text switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new ConfigurationValueException(path, text, "on or off"),
        };
    }
}
