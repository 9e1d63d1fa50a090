using System.Globalization;
using Akka.Configuration;
using Alerting.Configuration;

namespace Alerting.Events;

/// <summary>How an event-time (or timestamp field) value is written in the record.</summary>
public enum TimestampFormat : byte
{
    /// <summary>A JSON number is epoch milliseconds, a JSON string is ISO-8601 (or digits: epoch milliseconds).</summary>
    Auto = 0,
    /// <summary>An ISO-8601 string, e.g. <c>2026-11-22T08:00:00.000Z</c>.</summary>
    Iso8601,
    /// <summary>Unix epoch milliseconds, as a JSON number or a string of digits.</summary>
    EpochMs,
}

/// <summary>
/// How one Kafka topic's records map onto <see cref="DeviceEvent"/>s — the equivalent of the seed's Flink DDL
/// (<c>ErrCode = Param.ErrCode</c>, event time = <c>Param.Timestamp</c>, watermark bounds) — bound from a
/// HOCON section such as <c>alerting.sources.devices</c> (<see cref="Create"/>). Immutable; copy with <c>with</c>.
/// Every property has the seed's default, so an empty section describes the seed's JSON shape:
/// <c>{"Message":"Fault","Param":{"ErrCode":101,"Timestamp":"2026-11-22T08:00:00.000Z","ID":"…"},"DeviceNumber":42}</c>.
/// </summary>
public sealed record SourceDefinition
{
    /// <summary>The HOCON path of the object that holds one section per source.</summary>
    public const string SourcesSection = "alerting.sources";

    /// <summary>Name of the source (its configuration key), e.g. <c>devices</c>.</summary>
    public string Name { get; init; } = "devices";

    /// <summary>Kafka topic the records come from (<c>topic</c>).</summary>
    public string Topic { get; init; } = "device-events";

    /// <summary>Path of the device key, a JSON number or string (<c>device-key</c>).</summary>
    public string DeviceKeyPath { get; init; } = "DeviceNumber";

    /// <summary>Path of the event time (<c>event-time.path</c>).</summary>
    public string EventTimePath { get; init; } = "Param.Timestamp";

    /// <summary>Format of the event time (<c>event-time.format</c>: iso8601, epoch-ms, auto).</summary>
    public TimestampFormat EventTimeFormat { get; init; } = TimestampFormat.Auto;

    /// <summary>Path of the event kind (<c>kind</c>).</summary>
    public string KindPath { get; init; } = "Message";

    /// <summary>Path of the event id (<c>id</c>); null when the records carry none (the id is then topic/partition/offset).</summary>
    public string? IdPath { get; init; } = "Param.ID";

    /// <summary>The mapped fields (<c>fields { Name { path, type } }</c>).</summary>
    public IReadOnlyList<FieldDefinition> Fields { get; init; } = [new FieldDefinition("ErrCode", "Param.ErrCode", FieldType.Integer)];

    /// <summary>The allowed kinds (<c>kinds = [...]</c>); empty accepts any kind.</summary>
    public IReadOnlyList<string> Kinds { get; init; } = [];

    /// <summary>Bounded disorder: a partition's watermark is its max event time minus this (<c>max-out-of-orderness</c>).</summary>
    public TimeSpan MaxOutOfOrderness { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Events up to this far behind the watermark are still processed, flagged late (<c>allowed-lateness</c>).</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.Zero;

    /// <summary>Events more than this ahead of the wall clock are dead-lettered (<c>max-future-skew</c>).</summary>
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>A partition without events for this long stops holding the watermark back; zero disables (<c>idle-timeout</c>).</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Larger records are dead-lettered as too_large (<c>max-record-bytes</c>).</summary>
    public int MaxRecordBytes { get; init; } = 65536;

    /// <summary>Deeper nesting of objects and arrays is dead-lettered as too_deep; the root object is depth 1 (<c>max-depth</c>).</summary>
    public int MaxDepth { get; init; } = 16;

    /// <summary>The schema of this source alone: its fields, in order.</summary>
    public EventSchema Schema() => new(Fields);

    /// <summary>
    /// Creates every source under <paramref name="sectionPath"/> of <paramref name="config"/> (one object per
    /// source). When there is none, returns the seed's default source. Throws
    /// <see cref="SourceConfigurationException"/> naming the path of the first invalid value.
    /// </summary>
    public static IReadOnlyList<SourceDefinition> CreateAll(Config config, string sectionPath = SourcesSection)
    {
        ArgumentNullException.ThrowIfNull(config);
        var section = Raw(config, sectionPath);
        if (section is not null && !section.IsObject())
        {
            throw new SourceConfigurationException(sectionPath, "must be an object with one section per source");
        }

        var names = section is null ? [] : section.GetObject().Items.Keys.ToList();
        var sources = names.Select(name => Create(config, $"{sectionPath}.{name}")).ToList();
        if (sources.Count == 0)
        {
            return [new SourceDefinition()];
        }

        var topics = sources.GroupBy(s => s.Topic, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (topics is not null)
        {
            throw new SourceConfigurationException(
                $"{sectionPath}.{topics.Skip(1).First().Name}.topic",
                $"topic '{topics.Key}' is already read by source '{topics.First().Name}'");
        }

        _ = SharedSchema(sources);
        return sources;
    }

    /// <summary>Creates one source from the section at <paramref name="path"/> (e.g. <c>alerting.sources.devices</c>); missing keys keep the defaults.</summary>
    public static SourceDefinition Create(Config config, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(path);
        var d = new SourceDefinition { Name = path[(path.LastIndexOf('.') + 1)..] };
        string? Text(string key) => Scalar(config, $"{path}.{key}");
        var eventTime = Raw(config, $"{path}.event-time");
        var eventTimePath = eventTime is { } et && !et.IsObject() ? Text("event-time") : Text("event-time.path");
        var fields = Raw(config, $"{path}.fields") is { } f
            ? f.IsObject() ? f.GetObject().Items.Keys.ToList() : throw new SourceConfigurationException($"{path}.fields", "must be an object { Name { path, type } }")
            : [];
        var kinds = Raw(config, $"{path}.kinds") is { } k
            ? k.IsArray() ? k.GetArray().Select(item => item.IsString() ? item.GetString() ?? "" : "").ToList() : throw new SourceConfigurationException($"{path}.kinds", "must be an array of kinds")
            : [];

        d = d with
        {
            Topic = Text("topic") ?? d.Topic,
            DeviceKeyPath = Text("device-key") ?? d.DeviceKeyPath,
            EventTimePath = eventTimePath ?? d.EventTimePath,
            EventTimeFormat = eventTime is { } e && e.IsObject() && Text("event-time.format") is { } fmt ? ParseFormat(fmt, $"{path}.event-time.format") : d.EventTimeFormat,
            KindPath = Text("kind") ?? d.KindPath,
            IdPath = Text("id") is { } id ? (id.Length == 0 || id == "none" ? null : id) : d.IdPath,
            Fields = fields.Count == 0 ? d.Fields : fields.Select(name => CreateField(config, $"{path}.fields.{name}", name)).ToArray(),
            Kinds = kinds.Count == 0 ? d.Kinds : kinds,
            MaxOutOfOrderness = Duration(config, $"{path}.max-out-of-orderness", d.MaxOutOfOrderness),
            AllowedLateness = Duration(config, $"{path}.allowed-lateness", d.AllowedLateness),
            MaxFutureSkew = Duration(config, $"{path}.max-future-skew", d.MaxFutureSkew),
            IdleTimeout = Duration(config, $"{path}.idle-timeout", d.IdleTimeout),
            MaxRecordBytes = Integer(config, $"{path}.max-record-bytes", d.MaxRecordBytes),
            MaxDepth = Integer(config, $"{path}.max-depth", d.MaxDepth),
        };
        d.Validate(path);
        return d;
    }

    /// <summary>
    /// Checks every value; throws <see cref="SourceConfigurationException"/> naming the key (under
    /// <paramref name="sectionPath"/>) of the first invalid one.
    /// </summary>
    public void Validate(string? sectionPath = null)
    {
        var prefix = string.IsNullOrEmpty(sectionPath) ? $"{SourcesSection}.{Name}" : sectionPath;
        string Key(string k) => $"{prefix}.{k}";

        if (string.IsNullOrWhiteSpace(Topic))
        {
            throw new SourceConfigurationException(Key("topic"), "topic must not be empty");
        }

        var deepest = 0;
        void CheckPath(string key, string? path)
        {
            if (path is null)
            {
                return;
            }

            if (!JsonPath.TryCompile(path, out var compiled, out var error))
            {
                throw new SourceConfigurationException(Key(key), $"'{path}' is not a valid path: {error}");
            }

            if (!compiled.IsMembersOnly)
            {
                throw new SourceConfigurationException(Key(key), $"'{path}': a mapped path is made of member names only (use a JSON path in the rule for indexes)");
            }

            deepest = Math.Max(deepest, compiled.Depth);
        }

        CheckPath("device-key", DeviceKeyPath);
        CheckPath("event-time.path", EventTimePath);
        CheckPath("kind", KindPath);
        CheckPath("id", IdPath);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in Fields)
        {
            if (string.IsNullOrWhiteSpace(field.Name) || !names.Add(field.Name))
            {
                throw new SourceConfigurationException(Key($"fields.{field.Name}"), $"field name '{field.Name}' is empty or mapped twice");
            }

            if (field.Type == FieldType.Missing || !Enum.IsDefined(field.Type))
            {
                throw new SourceConfigurationException(Key($"fields.{field.Name}.type"), $"field '{field.Name}' has no type");
            }

            CheckPath($"fields.{field.Name}.path", field.Path);
        }

        if (Kinds.Any(string.IsNullOrWhiteSpace))
        {
            throw new SourceConfigurationException(Key("kinds"), "a kind must not be empty");
        }

        CheckNonNegative(Key("max-out-of-orderness"), MaxOutOfOrderness);
        CheckNonNegative(Key("allowed-lateness"), AllowedLateness);
        CheckNonNegative(Key("idle-timeout"), IdleTimeout);
        if (MaxFutureSkew <= TimeSpan.Zero)
        {
            throw new SourceConfigurationException(Key("max-future-skew"), $"max-future-skew must be positive, not {MaxFutureSkew}");
        }

        if (MaxRecordBytes is < 16 or > 64 * 1024 * 1024)
        {
            throw new SourceConfigurationException(Key("max-record-bytes"), $"max-record-bytes must be between 16 and 67108864, not {MaxRecordBytes}");
        }

        if (MaxDepth is < 1 or > 1000)
        {
            throw new SourceConfigurationException(Key("max-depth"), $"max-depth must be between 1 and 1000, not {MaxDepth}");
        }

        if (deepest > MaxDepth)
        {
            throw new SourceConfigurationException(Key("max-depth"), $"max-depth {MaxDepth} is shallower than a mapped path ({deepest} levels)");
        }
    }

    /// <summary>
    /// The schema shared by several sources feeding one pipeline: the union of their fields, in order of first
    /// appearance. A field mapped by several sources must have the same type in each.
    /// </summary>
    public static EventSchema SharedSchema(IEnumerable<SourceDefinition> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var fields = new List<FieldDefinition>();
        var byName = new Dictionary<string, (FieldDefinition Field, string Source)>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            foreach (var field in source.Fields)
            {
                if (byName.TryGetValue(field.Name, out var seen))
                {
                    if (seen.Field.Type != field.Type)
                    {
                        throw new SourceConfigurationException(
                            $"{SourcesSection}.{source.Name}.fields.{field.Name}.type",
                            $"field '{field.Name}' is {field.Type} here but {seen.Field.Type} in source '{seen.Source}'");
                    }

                    continue;
                }

                byName.Add(field.Name, (field, source.Name));
                fields.Add(field);
            }
        }

        return new EventSchema(fields);
    }

    private static FieldDefinition CreateField(Config config, string path, string name)
    {
        var typeText = Scalar(config, $"{path}.type") ?? throw new SourceConfigurationException($"{path}.type", $"field '{name}' needs a type (integer, number, string, boolean, timestamp)");
        var type = typeText.Trim().ToLowerInvariant() switch
        {
            "integer" or "int" or "long" => FieldType.Integer,
            "number" or "double" => FieldType.Number,
            "string" => FieldType.String,
            "boolean" or "bool" => FieldType.Boolean,
            "timestamp" => FieldType.Timestamp,
            _ => throw new SourceConfigurationException($"{path}.type", $"'{typeText}' is not a field type (integer, number, string, boolean, timestamp)"),
        };
        return new FieldDefinition(name, Scalar(config, $"{path}.path") ?? name, type);
    }

    private static TimestampFormat ParseFormat(string text, string key) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => TimestampFormat.Auto,
        "iso8601" or "iso-8601" or "iso" => TimestampFormat.Iso8601,
        "epoch-ms" or "epoch-millis" or "epochms" => TimestampFormat.EpochMs,
        _ => throw new SourceConfigurationException(key, $"'{text}' is not a timestamp format (iso8601, epoch-ms, auto)"),
    };

    private static Akka.Configuration.Hocon.HoconValue? Raw(Config config, string path)
    {
        try
        {
            return ConfigValues.Value(config, path);
        }
        catch (ConfigurationValueException ex)
        {
            throw new SourceConfigurationException(path, ex.Expected);
        }
    }

    /// <summary>The text at <paramref name="path"/> (possibly empty), null if absent; an object or array there is an error.</summary>
    private static string? Scalar(Config config, string path) => Raw(config, path) switch
    {
        null => null,
        { } v when v.IsString() => v.GetString() ?? "",
        _ => throw new SourceConfigurationException(path, "must be a single value, not an object or array"),
    };

    private static TimeSpan Duration(Config config, string path, TimeSpan fallback)
    {
        var text = Scalar(config, path);
        if (text is null)
        {
            return fallback;
        }

        return Durations.TryParse(text, out var value)
            ? value
            : throw new SourceConfigurationException(path, $"'{text}' is not a duration (e.g. 500ms, 5s, 1m)");
    }

    private static int Integer(Config config, string path, int fallback)
    {
        var text = Scalar(config, path);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new SourceConfigurationException(path, $"'{text}' is not an integer");
    }

    private static void CheckNonNegative(string key, TimeSpan value)
    {
        if (value < TimeSpan.Zero)
        {
            throw new SourceConfigurationException(key, $"must not be negative, not {value}");
        }
    }
}

/// <summary>A source definition holds an invalid value; <see cref="Key"/> names the configuration key.</summary>
public sealed class SourceConfigurationException : Exception
{
    public SourceConfigurationException(string key, string message)
        : base($"{key}: {message}")
    {
        Key = key;
    }

    public SourceConfigurationException()
    {
        Key = "";
    }

    public SourceConfigurationException(string message)
        : base(message)
    {
        Key = "";
    }

    public SourceConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Key = "";
    }

    /// <summary>The full HOCON path of the invalid value, e.g. <c>alerting.sources.devices.max-depth</c>.</summary>
    public string Key { get; }
}
