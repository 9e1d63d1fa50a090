namespace Alerting.Configuration;

/// <summary>
/// An object of the tree: its members in the order their keys were first written. Look members up by key
/// (<see cref="TryGetMember"/>) or by path (<see cref="Find"/>, <see cref="Get"/>, and the typed getters such as
/// <see cref="GetDuration(string)"/>). A path crosses arrays by index: <c>rules.0.params.window</c>.
/// Getters without a default throw <see cref="HoconValueException"/> when the path is missing (at the position of
/// the deepest object found) or the value has the wrong type (at the value's position).
/// </summary>
public sealed class HoconObject : HoconValue
{
    private readonly Dictionary<string, HoconField> _byKey;

    internal HoconObject(HoconPosition position, string path, IReadOnlyList<HoconField> fields)
        : base(position, path)
    {
        Fields = fields;
        _byKey = new Dictionary<string, HoconField>(fields.Count, StringComparer.Ordinal);
        foreach (var field in fields)
        {
            _byKey[field.Key] = field;
        }
    }

    /// <inheritdoc />
    public override HoconValueKind Kind => HoconValueKind.Object;

    /// <summary>The members, in the order their keys were first written.</summary>
    public IReadOnlyList<HoconField> Fields { get; }

    /// <summary>The keys, in order.</summary>
    public IEnumerable<string> Keys => Fields.Select(f => f.Key);

    /// <summary>The number of members.</summary>
    public int Count => Fields.Count;

    /// <summary>Looks up a direct member by key (one element, not a path).</summary>
    public bool TryGetMember(string key, out HoconField field) => _byKey.TryGetValue(key, out field!);

    /// <summary>The value at <paramref name="path"/>, or null if some element of the path is missing.</summary>
    public HoconValue? Find(string path)
    {
        var (value, _, _) = Walk(path);
        return value;
    }

    /// <summary>True if a value exists at <paramref name="path"/>.</summary>
    public bool HasPath(string path) => Find(path) is not null;

    /// <summary>The value at <paramref name="path"/>; throws <see cref="HoconValueException"/> if it is missing.</summary>
    public HoconValue Get(string path)
    {
        var (value, deepest, missing) = Walk(path);
        return value ?? throw new HoconValueException(
            deepest.Position,
            deepest.Path,
            $"missing required key '{HoconPath.Append(deepest.Path, missing!)}'");
    }

    /// <summary>The object at <paramref name="path"/>.</summary>
    public HoconObject GetObject(string path) => Get(path).AsObject();

    /// <summary>The array at <paramref name="path"/>.</summary>
    public HoconArray GetArray(string path) => Get(path).AsArray();

    /// <summary>The scalar text at <paramref name="path"/>.</summary>
    public string GetString(string path) => Get(path).AsString();

    /// <summary>The scalar text at <paramref name="path"/>, or <paramref name="defaultValue"/> if the path is missing.</summary>
    public string GetString(string path, string defaultValue) => Find(path)?.AsString() ?? defaultValue;

    /// <summary>The integer at <paramref name="path"/>.</summary>
    public long GetLong(string path) => Get(path).AsLong();

    /// <summary>The integer at <paramref name="path"/>, or <paramref name="defaultValue"/> if missing.</summary>
    public long GetLong(string path, long defaultValue) => Find(path)?.AsLong() ?? defaultValue;

    /// <summary>The 32-bit integer at <paramref name="path"/>.</summary>
    public int GetInt(string path) => Get(path).AsInt();

    /// <summary>The 32-bit integer at <paramref name="path"/>, or <paramref name="defaultValue"/> if missing.</summary>
    public int GetInt(string path, int defaultValue) => Find(path)?.AsInt() ?? defaultValue;

    /// <summary>The number at <paramref name="path"/>.</summary>
    public double GetDouble(string path) => Get(path).AsDouble();

    /// <summary>The number at <paramref name="path"/>, or <paramref name="defaultValue"/> if missing.</summary>
    public double GetDouble(string path, double defaultValue) => Find(path)?.AsDouble() ?? defaultValue;

    /// <summary>The boolean at <paramref name="path"/>.</summary>
    public bool GetBool(string path) => Get(path).AsBool();

    /// <summary>The boolean at <paramref name="path"/>, or <paramref name="defaultValue"/> if missing.</summary>
    public bool GetBool(string path, bool defaultValue) => Find(path)?.AsBool() ?? defaultValue;

    /// <summary>The duration at <paramref name="path"/> (see <see cref="HoconDuration"/>).</summary>
    public TimeSpan GetDuration(string path) => Get(path).AsDuration();

    /// <summary>The duration at <paramref name="path"/>, or <paramref name="defaultValue"/> if missing.</summary>
    public TimeSpan GetDuration(string path, TimeSpan defaultValue) => Find(path)?.AsDuration() ?? defaultValue;

    /// <summary>The size in bytes at <paramref name="path"/> (see <see cref="HoconSize"/>).</summary>
    public long GetSize(string path) => Get(path).AsSize();

    /// <summary>The size in bytes at <paramref name="path"/>, or <paramref name="defaultValue"/> if missing.</summary>
    public long GetSize(string path, long defaultValue) => Find(path)?.AsSize() ?? defaultValue;

    /// <summary>
    /// Flattens the tree into Microsoft.Extensions.Configuration keys: <c>a.b.c</c> becomes <c>a:b:c</c>, array
    /// items <c>a:0</c>, <c>a:1</c>; scalars keep their text (a duration stays <c>5s</c>), null becomes a null value,
    /// and an empty object or array becomes a key with a null value. Keys compare case-insensitively.
    /// </summary>
    public IDictionary<string, string?> ToConfigurationData()
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Flatten(this, null, data);
        return data;
    }

    private protected override string Describe() => "an object";

    private static void Flatten(HoconValue value, string? key, Dictionary<string, string?> data)
    {
        switch (value)
        {
            case HoconObject obj:
                if (obj.Count == 0 && key is not null)
                {
                    data[key] = null;
                }

                foreach (var field in obj.Fields)
                {
                    Flatten(field.Value, key is null ? field.Key : $"{key}:{field.Key}", data);
                }

                break;
            case HoconArray array:
                if (array.Count == 0 && key is not null)
                {
                    data[key] = null;
                }

                for (var i = 0; i < array.Count; i++)
                {
                    Flatten(array[i], $"{key}:{i}", data);
                }

                break;
            case HoconScalar scalar when key is not null:
                data[key] = scalar.IsNull ? null : scalar.Text;
                break;
        }
    }

    private (HoconValue? Value, HoconValue Deepest, string? Missing) Walk(string path)
    {
        HoconValue current = this;
        foreach (var element in HoconPath.Split(path))
        {
            HoconValue? next = current switch
            {
                HoconObject obj when obj.TryGetMember(element, out var field) => field.Value,
                HoconArray array when int.TryParse(element, out var index) && index >= 0 && index < array.Count => array[index],
                _ => null,
            };
            if (next is null)
            {
                return (null, current, element);
            }

            current = next;
        }

        return (current, current, null);
    }
}
