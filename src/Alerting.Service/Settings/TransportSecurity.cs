using Alerting.Configuration;
using Npgsql;

namespace Alerting.Service.Settings;

/// <summary>
/// The transport-security checks of <c>alerting.profile</c>: Kafka must be reached over TLS
/// (<c>security.protocol</c> SSL or SASL_SSL) and PostgreSQL with <c>SSL Mode=VerifyFull</c>. Under the production
/// profile a weaker setting stops start-up naming it; under the development profile each is a warning.
/// Values shown are the setting's mode only, never a connection string or a password.
/// </summary>
public static class TransportSecurity
{
    /// <summary>The profile that refuses to start on a weak transport setting.</summary>
    public const string Production = "production";

    /// <summary>The default profile: weak transport settings are logged as warnings.</summary>
    public const string Development = "development";

    private static readonly string[] SecureKafkaProtocols = ["SSL", "SASL_SSL"];

    /// <summary>
    /// Every transport setting of <paramref name="settings"/> weaker than production needs, each as the error that
    /// names it; empty when Kafka is the embedded broker (no bootstrap servers) and nothing else is weak.
    /// </summary>
    public static IReadOnlyList<ConfigurationValueException> Findings(AlertingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var findings = new List<ConfigurationValueException>();
        if (settings.Kafka.BootstrapServers.Length > 0)
        {
            const string key = "alerting.kafka.properties.security.protocol";
            settings.Kafka.Properties.TryGetValue("security.protocol", out var protocol);
            if (protocol is null || !SecureKafkaProtocols.Contains(protocol, StringComparer.OrdinalIgnoreCase))
            {
                findings.Add(new ConfigurationValueException(key, protocol, "SASL_SSL or SSL under alerting.profile = production"));
            }
        }

        if (settings.Persistence.Provider == "postgres")
        {
            const string key = "alerting.persistence.connection-string (SSL Mode)";
            SslMode mode;
            try
            {
                mode = new NpgsqlConnectionStringBuilder(settings.Persistence.ConnectionString).SslMode;
            }
            catch (ArgumentException)
            {
                // The connection string itself is never shown: it may hold a password.
                throw new ConfigurationValueException("alerting.persistence.connection-string", null, "a valid Npgsql connection string");
            }

            if (mode != SslMode.VerifyFull)
            {
                findings.Add(new ConfigurationValueException(key, mode.ToString(), "VerifyFull under alerting.profile = production"));
            }
        }

        return findings;
    }

    /// <summary>Throws the first finding when <paramref name="settings"/> run the production profile; returns the findings otherwise.</summary>
    public static IReadOnlyList<ConfigurationValueException> Enforce(AlertingSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var findings = Findings(settings);
        if (settings.Profile == Production && findings.Count > 0)
        {
            throw findings[0];
        }

        return findings;
    }
}
