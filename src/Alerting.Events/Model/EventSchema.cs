namespace Alerting.Events;

/// <summary>A mapped field: its name as rules see it, the JSON path it is read from, and its type.</summary>
/// <param name="Name">Field name used by rules, e.g. <c>ErrCode</c>.</param>
/// <param name="Path">Dotted path into the record's JSON, e.g. <c>Param.ErrCode</c>.</param>
/// <param name="Type">Declared type; a value of another type is bad input.</param>
public sealed record FieldDefinition(string Name, string Path, FieldType Type);

/// <summary>
/// The mapped fields every decoded <see cref="DeviceEvent"/> carries, resolved once at start-up to slot
/// indexes so that decoding and rule evaluation index an array instead of looking up names.
/// </summary>
public sealed class EventSchema
{
    private readonly Dictionary<string, int> _slots;

    public EventSchema(IEnumerable<FieldDefinition> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        Fields = fields.ToArray();
        _slots = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Fields.Count; i++)
        {
            if (!_slots.TryAdd(Fields[i].Name, i))
            {
                throw new ArgumentException($"field '{Fields[i].Name}' is mapped twice", nameof(fields));
            }
        }
    }

    public IReadOnlyList<FieldDefinition> Fields { get; }

    /// <summary>The slot index of a field, or -1 when the schema does not map it.</summary>
    public int SlotOf(string name) => _slots.TryGetValue(name, out var i) ? i : -1;
}
