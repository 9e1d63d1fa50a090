using System.Text.Json;

namespace Alerting.Dispatch.Messages;

/// <summary>Reads and writes the dispatcher's topic messages as UTF-8 JSON (see <see cref="DispatchJsonContext"/>).</summary>
public static class DispatchJson
{
    /// <summary>Parses an alerts-topic record; null when it is not a valid alert message.</summary>
    public static AlertMessage? ParseAlert(string json) => Parse(json, DispatchJsonContext.Default.AlertMessage);

    /// <summary>Parses a work-order record; null when it is not a valid work-order message.</summary>
    public static WorkOrderMessage? ParseWorkOrder(string json) => Parse(json, DispatchJsonContext.Default.WorkOrderMessage);

    /// <summary>Parses a dispatch-topic record; null when it is not a valid dispatch message.</summary>
    public static DispatchMessage? ParseDispatch(string json) => Parse(json, DispatchJsonContext.Default.DispatchMessage);

    /// <summary>The JSON of an alert message.</summary>
    public static string Write(AlertMessage message) => JsonSerializer.Serialize(message, DispatchJsonContext.Default.AlertMessage);

    /// <summary>The JSON of a work-order message.</summary>
    public static string Write(WorkOrderMessage message) => JsonSerializer.Serialize(message, DispatchJsonContext.Default.WorkOrderMessage);

    /// <summary>The JSON of a dispatch message.</summary>
    public static string Write(DispatchMessage message) => JsonSerializer.Serialize(message, DispatchJsonContext.Default.DispatchMessage);

    private static T? Parse<T>(string json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) where T : class
    {
        if (string.IsNullOrEmpty(json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, info);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
