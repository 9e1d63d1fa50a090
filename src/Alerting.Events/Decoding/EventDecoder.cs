using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Alerting.Events;

/// <summary>
/// Decodes one record's UTF-8 JSON value into a <see cref="DeviceEvent"/> as a <see cref="SourceDefinition"/>
/// maps it. The mapped paths are compiled once into a trie of property names; decoding walks the JSON once
/// with a <see cref="Utf8JsonReader"/> over the record bytes, matching each property name against the trie
/// node of its enclosing object and writing matched values straight into the event's field slots. Kinds are
/// interned. Bad input gives a <see cref="DecodeResult"/> with a <see cref="DecodeError"/> reason instead of
/// throwing: size, emptiness, UTF-8 validity, truncation and depth are checked without exceptions; only a
/// syntax error inside the document is detected by the reader's own exception, caught here.
/// Thread-safe: one decoder can serve all partitions of a source.
/// </summary>
public sealed class EventDecoder
{
    /// <summary>
    /// The longest device key, in UTF-8 bytes (the dispatcher's <c>max-device-id-bytes</c> default): a longer one is a
    /// dead letter (<c>device_id_too_long</c>), never a device whose state and alert ids carry kilobytes of key.
    /// </summary>
    public const int MaxDeviceIdBytes = 256;

    private const int DeviceTarget = -1;
    private const int TimeTarget = -2;
    private const int KindTarget = -3;
    private const int IdTarget = -4;
    private const int DeviceNumberCache = 65536;
    private const int MaxDeviceNumberCache = 1 << 20;
    private static readonly JsonReaderOptions BaseOptions = new() { CommentHandling = JsonCommentHandling.Disallow };

    private readonly Node[] _nodes;
    private readonly int _fieldCount;
    private readonly FieldType[] _slotTypes;
    private readonly string[] _slotPaths;
    private readonly KindTable _kinds;
    private readonly TimeProvider _time;
    private readonly JsonReaderOptions _readerOptions;
    private readonly int _maxDepth;
    private readonly int _maxBytes;
    private readonly long _maxFutureSkewMs;
    private readonly TimestampFormat _timeFormat;
    private long _lastNowMs = long.MinValue / 2;
    private string?[] _deviceNumbers = new string?[DeviceNumberCache];

    /// <summary>
    /// Compiles a decoder for <paramref name="source"/>. <paramref name="schema"/> (default: the source's own)
    /// gives the slot of each mapped field; several sources of one pipeline share one schema
    /// (<see cref="SourceDefinition.SharedSchema"/>). <paramref name="time"/> is the wall clock for the
    /// max-future-skew check (default: the system clock).
    /// </summary>
    public EventDecoder(SourceDefinition source, TimeProvider? time = null, EventSchema? schema = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        source.Validate();
        Source = source;
        Schema = schema ?? source.Schema();
        _time = time ?? TimeProvider.System;
        _maxDepth = source.MaxDepth;
        _maxBytes = source.MaxRecordBytes;
        _maxFutureSkewMs = (long)source.MaxFutureSkew.TotalMilliseconds;
        _timeFormat = source.EventTimeFormat;
        _readerOptions = BaseOptions with { MaxDepth = source.MaxDepth + 1 };
        _kinds = new KindTable(source.Kinds);
        _fieldCount = Schema.Fields.Count;
        _slotTypes = Schema.Fields.Select(f => f.Type).ToArray();
        _slotPaths = Schema.Fields.Select(f => f.Path).ToArray();

        var builder = new TrieBuilder();
        builder.Add(source.DeviceKeyPath, DeviceTarget);
        builder.Add(source.EventTimePath, TimeTarget);
        builder.Add(source.KindPath, KindTarget);
        if (source.IdPath is not null)
        {
            builder.Add(source.IdPath, IdTarget);
        }

        foreach (var field in source.Fields)
        {
            var slot = Schema.SlotOf(field.Name);
            if (slot < 0 || Schema.Fields[slot].Type != field.Type)
            {
                throw new ArgumentException($"the schema does not map field '{field.Name}' as {field.Type}", nameof(schema));
            }

            _slotPaths[slot] = field.Path;
            builder.Add(field.Path, slot);
        }

        _nodes = builder.Build();
    }

    /// <summary>The source this decoder maps.</summary>
    public SourceDefinition Source { get; }

    /// <summary>The schema whose slots the decoded events fill.</summary>
    public EventSchema Schema { get; }

    /// <summary>Decodes a record value; the event's <see cref="DeviceEvent.Payload"/> refers to <paramref name="value"/> (not copied).</summary>
    public DecodeResult Decode(ReadOnlyMemory<byte> value, RecordOrigin origin) => DecodeCore(value.Span, value, copy: false, origin);

    /// <summary>Decodes a record value held only for the call; the payload is copied when decoding succeeds.</summary>
    public DecodeResult DecodeCopy(ReadOnlySpan<byte> value, RecordOrigin origin) => DecodeCore(value, default, copy: true, origin);

    private DecodeResult DecodeCore(ReadOnlySpan<byte> data, ReadOnlyMemory<byte> payload, bool copy, in RecordOrigin origin)
    {
        if (data.Length > _maxBytes)
        {
            return DecodeResult.Fail(DecodeError.TooLarge, $"the record has {data.Length} bytes, more than max-record-bytes {_maxBytes}");
        }

        var start = data.IndexOfAnyExcept(" \t\r\n"u8);
        if (start < 0)
        {
            return DecodeResult.Fail(DecodeError.Empty, data.Length == 0 ? "the record is empty" : "the record holds only whitespace");
        }

        if (!Utf8.IsValid(data))
        {
            return DecodeResult.Fail(DecodeError.InvalidUtf8, "the record is not valid UTF-8");
        }

        if (data[start] != (byte)'{')
        {
            return DecodeResult.Fail(DecodeError.NotJson, "the record is not a JSON object");
        }

        var acc = new Accumulator { Fields = new FieldValue[_fieldCount] };
        try
        {
            if (!Walk(data, ref acc))
            {
                return DecodeResult.Fail(acc.Error, acc.Message!);
            }
        }
        catch (JsonException ex)
        {
            return DecodeResult.Fail(DecodeError.NotJson, ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return DecodeResult.Fail(DecodeError.NotJson, ex.Message);
        }

        if (acc.Device is null)
        {
            return DecodeResult.Fail(DecodeError.MissingDeviceId, $"no device key at {Source.DeviceKeyPath}");
        }

        if (acc.Device.Length > MaxDeviceIdBytes || Encoding.UTF8.GetByteCount(acc.Device) > MaxDeviceIdBytes)
        {
            return DecodeResult.Fail(DecodeError.DeviceIdTooLong,
                $"{Source.DeviceKeyPath}: device key of {Encoding.UTF8.GetByteCount(acc.Device)} bytes is longer than {MaxDeviceIdBytes}");
        }

        if (acc.Kind is null)
        {
            return DecodeResult.Fail(DecodeError.MissingKind, $"no kind at {Source.KindPath}");
        }

        if (!acc.HasTime)
        {
            return DecodeResult.Fail(DecodeError.MissingTimestamp, $"no event time at {Source.EventTimePath}");
        }

        if (TooFarAhead(acc.Time))
        {
            return DecodeResult.Fail(DecodeError.FutureTimestamp,
                $"event time {DateTimeOffset.FromUnixTimeMilliseconds(acc.Time):O} is more than max-future-skew {Source.MaxFutureSkew} ahead of now");
        }

        return DecodeResult.Ok(new DeviceEvent
        {
            DeviceId = acc.Device,
            Kind = acc.Kind,
            EventTime = acc.Time,
            EventId = acc.Id is { Length: > 0 } id ? id : origin.ToString(),
            Fields = acc.Fields,
            Payload = copy ? data.ToArray() : payload,
            Topic = origin.Topic,
            Partition = origin.Partition,
            Offset = origin.Offset,
        });
    }

    /// <summary>
    /// The max-future-skew check. The clock only moves forward, so an older reading is the stricter one: the
    /// clock is read again only when the event would be rejected against the last reading.
    /// </summary>
    private bool TooFarAhead(long eventTime)
    {
        if (eventTime - Volatile.Read(ref _lastNowMs) <= _maxFutureSkewMs)
        {
            return false;
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        Volatile.Write(ref _lastNowMs, now);
        return eventTime - now > _maxFutureSkewMs;
    }

    private bool Walk(ReadOnlySpan<byte> data, ref Accumulator acc)
    {
        var reader = new Utf8JsonReader(data, isFinalBlock: false, new JsonReaderState(_readerOptions));
        Span<int> containers = _maxDepth <= 128 ? stackalloc int[_maxDepth + 1] : new int[_maxDepth + 1];
        reader.Read(); // the root '{', checked by the caller
        containers[0] = 0;
        var pending = -1;
        while (true)
        {
            if (!reader.Read())
            {
                return acc.Fail(DecodeError.Truncated, $"the JSON ends after {data.Length} bytes, inside the document");
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    var parent = containers[reader.CurrentDepth - 1];
                    pending = parent < 0 ? -1 : Match(_nodes[parent], ref reader);
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    var depth = reader.CurrentDepth;
                    if (depth + 1 > _maxDepth)
                    {
                        return acc.Fail(DecodeError.TooDeep, $"objects and arrays nest deeper than max-depth {_maxDepth}");
                    }

                    var node = -1;
                    if (pending >= 0)
                    {
                        if (_nodes[pending].Targets.Length > 0)
                        {
                            return WrongJsonType(ref acc, _nodes[pending].Targets[0], reader.TokenType);
                        }

                        node = reader.TokenType == JsonTokenType.StartObject ? pending : -1;
                    }

                    containers[depth] = node;
                    pending = -1;
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    if (reader.CurrentDepth == 0)
                    {
                        return data[(int)reader.BytesConsumed..].IndexOfAnyExcept(" \t\r\n"u8) < 0
                            || acc.Fail(DecodeError.NotJson, "content follows the JSON object");
                    }

                    break;
                default:
                    if (pending >= 0)
                    {
                        foreach (var target in _nodes[pending].Targets)
                        {
                            if (!Assign(ref reader, target, ref acc))
                            {
                                return false;
                            }
                        }

                        pending = -1;
                    }

                    break;
            }
        }
    }

    private static int Match(Node node, ref Utf8JsonReader reader)
    {
        var names = node.ChildNames;
        if (!reader.ValueIsEscaped)
        {
            var span = reader.ValueSpan;
            for (var i = 0; i < names.Length; i++)
            {
                if (span.SequenceEqual(names[i]))
                {
                    return node.ChildIds[i];
                }
            }

            return -1;
        }

        for (var i = 0; i < names.Length; i++)
        {
            if (reader.ValueTextEquals(names[i]))
            {
                return node.ChildIds[i];
            }
        }

        return -1;
    }

    private bool Assign(ref Utf8JsonReader reader, int target, ref Accumulator acc)
    {
        var token = reader.TokenType;
        switch (target)
        {
            case DeviceTarget:
                if (token == JsonTokenType.Null)
                {
                    return true;
                }

                if (token is not (JsonTokenType.Number or JsonTokenType.String))
                {
                    return WrongJsonType(ref acc, target, token);
                }

                var device = token == JsonTokenType.Number ? DeviceNumber(reader.ValueSpan) : reader.GetString()!;
                acc.Device = device.Length == 0 ? null : device;
                return true;
            case TimeTarget:
                if (token == JsonTokenType.Null)
                {
                    return true;
                }

                if (!TryTimestamp(ref reader, _timeFormat, out acc.Time))
                {
                    return acc.Fail(DecodeError.BadTimestamp, $"{Source.EventTimePath}: {Describe(ref reader)} is not a {FormatName(_timeFormat)} timestamp");
                }

                if (acc.Time < 0)
                {
                    // No device clock predates 1970: a negative event time is garbage, not a very late event.
                    return acc.Fail(DecodeError.BadTimestamp, $"{Source.EventTimePath}: {Describe(ref reader)} is before 1970-01-01");
                }

                acc.HasTime = true;
                return true;
            case KindTarget:
                if (token == JsonTokenType.Null)
                {
                    return true;
                }

                if (token != JsonTokenType.String)
                {
                    return WrongJsonType(ref acc, target, token);
                }

                var kind = _kinds.Intern(ref reader);
                if (kind is null)
                {
                    return acc.Fail(DecodeError.UnknownKind, $"{Source.KindPath}: kind {Describe(ref reader)} is not one of {string.Join(", ", Source.Kinds)}");
                }

                acc.Kind = kind.Length == 0 ? null : kind;
                return true;
            case IdTarget:
                if (token == JsonTokenType.Null)
                {
                    return true;
                }

                if (token is not (JsonTokenType.Number or JsonTokenType.String))
                {
                    return WrongJsonType(ref acc, target, token);
                }

                acc.Id = token == JsonTokenType.Number ? Encoding.UTF8.GetString(reader.ValueSpan) : reader.GetString();
                return true;
            default:
                return AssignField(ref reader, target, ref acc);
        }
    }

    /// <summary>
    /// The text of a numeric device key. Non-negative integers below 2^20 come from a cache filled on first use
    /// (it starts at 65,536 entries and doubles up to 2^20 as larger numbers come), so an event of a known device
    /// allocates no key and every event of a device carries the same string instance. A race between threads
    /// costs at most a string made twice, or the entries one grower added that the other's copy lacks.
    /// </summary>
    private string DeviceNumber(ReadOnlySpan<byte> digits)
    {
        if (digits.Length <= 7 && digits[0] != (byte)'-' && Utf8Parser.TryParse(digits, out int n, out var consumed) && consumed == digits.Length
            && (uint)n < MaxDeviceNumberCache)
        {
            var cache = Volatile.Read(ref _deviceNumbers);
            if ((uint)n >= (uint)cache.Length)
            {
                var larger = new string?[Math.Min(MaxDeviceNumberCache, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)n + 1))];
                cache.CopyTo(larger, 0);
                Volatile.Write(ref _deviceNumbers, larger);
                cache = larger;
            }

            return cache[n] ??= Encoding.UTF8.GetString(digits);
        }

        return Encoding.UTF8.GetString(digits);
    }

    private bool AssignField(ref Utf8JsonReader reader, int slot, ref Accumulator acc)
    {
        var token = reader.TokenType;
        if (token == JsonTokenType.Null)
        {
            return true;
        }

        switch (_slotTypes[slot])
        {
            case FieldType.Integer when token == JsonTokenType.Number:
                if (reader.TryGetInt64(out var l))
                {
                    acc.Fields[slot] = FieldValue.FromInteger(l);
                    return true;
                }

                if (reader.TryGetDouble(out var whole) && double.IsFinite(whole) && Math.Floor(whole) == whole)
                {
                    if (Math.Abs(whole) < 9.2e18)
                    {
                        acc.Fields[slot] = FieldValue.FromInteger((long)whole);
                        return true;
                    }

                    return acc.Fail(DecodeError.BadNumber, $"{_slotPaths[slot]}: {Describe(ref reader)} overflows a 64-bit integer");
                }

                return reader.TryGetDouble(out var fraction) && double.IsFinite(fraction)
                    ? acc.Fail(DecodeError.WrongType, $"{_slotPaths[slot]}: {Describe(ref reader)} is not an integer")
                    : acc.Fail(DecodeError.BadNumber, $"{_slotPaths[slot]}: {Describe(ref reader)} overflows a 64-bit integer");
            case FieldType.Number when token == JsonTokenType.Number:
                if (reader.TryGetDouble(out var d) && double.IsFinite(d))
                {
                    acc.Fields[slot] = FieldValue.FromNumber(d);
                    return true;
                }

                return acc.Fail(DecodeError.BadNumber, $"{_slotPaths[slot]}: {Describe(ref reader)} is not a finite number");
            case FieldType.Integer or FieldType.Number when token == JsonTokenType.String && IsNonFiniteName(ref reader):
                return acc.Fail(DecodeError.BadNumber, $"{_slotPaths[slot]}: {Describe(ref reader)} is not a finite number");
            case FieldType.String when token == JsonTokenType.String:
                acc.Fields[slot] = FieldValue.FromString(reader.GetString()!);
                return true;
            case FieldType.Boolean when token is JsonTokenType.True or JsonTokenType.False:
                acc.Fields[slot] = FieldValue.FromBoolean(token == JsonTokenType.True);
                return true;
            case FieldType.Timestamp when token is JsonTokenType.Number or JsonTokenType.String:
                if (TryTimestamp(ref reader, TimestampFormat.Auto, out var ms))
                {
                    acc.Fields[slot] = FieldValue.FromTimestamp(ms);
                    return true;
                }

                return acc.Fail(DecodeError.BadTimestamp, $"{_slotPaths[slot]}: {Describe(ref reader)} is not a timestamp");
            default:
                return WrongJsonType(ref acc, slot, token);
        }
    }

    private bool WrongJsonType(ref Accumulator acc, int target, JsonTokenType token)
    {
        var (path, expected) = target switch
        {
            DeviceTarget => (Source.DeviceKeyPath, "a number or string"),
            TimeTarget => (Source.EventTimePath, "a timestamp"),
            KindTarget => (Source.KindPath, "a string"),
            IdTarget => (Source.IdPath!, "a number or string"),
            _ => (_slotPaths[target], "a " + _slotTypes[target].ToString().ToLowerInvariant()),
        };
        return target == TimeTarget
            ? acc.Fail(DecodeError.BadTimestamp, $"{path}: expected {expected}, found {TokenName(token)}")
            : acc.Fail(DecodeError.WrongType, $"{path}: expected {expected}, found {TokenName(token)}");
    }

    private static bool TryTimestamp(ref Utf8JsonReader reader, TimestampFormat format, out long ms)
    {
        ms = 0;
        if (reader.TokenType == JsonTokenType.Number)
        {
            return format != TimestampFormat.Iso8601 && reader.TryGetInt64(out ms) && InRange(ms);
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            return false;
        }

        if (format != TimestampFormat.Iso8601 && !reader.ValueIsEscaped && reader.ValueSpan.Length > 0
            && reader.ValueSpan.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0)
        {
            return Utf8Parser.TryParse(reader.ValueSpan, out ms, out var consumed) && consumed == reader.ValueSpan.Length && InRange(ms);
        }

        if (format == TimestampFormat.EpochMs)
        {
            return false;
        }

        if (!reader.ValueIsEscaped && Iso8601.TryParseUtc(reader.ValueSpan, out ms))
        {
            return true;
        }

        if (!reader.TryGetDateTime(out var dt))
        {
            return false;
        }

        if (dt.Kind == DateTimeKind.Local)
        {
            // The text carried an offset; read it again keeping the offset rather than the local zone.
            if (!reader.TryGetDateTimeOffset(out var dto))
            {
                return false;
            }

            ms = dto.ToUnixTimeMilliseconds();
            return true;
        }

        // 'Z' or no offset at all: UTC.
        ms = (dt.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
        return true;
    }

    private static bool InRange(long ms) => ms is >= -62_135_596_800_000L and <= 253_402_300_799_999L;

    private static bool IsNonFiniteName(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("NaN"u8) || reader.ValueTextEquals("Infinity"u8) || reader.ValueTextEquals("-Infinity"u8);

    private static string Describe(ref Utf8JsonReader reader)
    {
        var span = reader.ValueSpan; // the reader runs over one contiguous span, never a sequence
        var text = Encoding.UTF8.GetString(span.Length > 64 ? span[..64] : span);
        return reader.TokenType == JsonTokenType.String ? $"\"{text}\"" : text;
    }

    private static string FormatName(TimestampFormat format) => format switch
    {
        TimestampFormat.Iso8601 => "ISO-8601",
        TimestampFormat.EpochMs => "epoch-ms",
        _ => "ISO-8601 or epoch-ms",
    };

    private static string TokenName(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private struct Accumulator
    {
        public string? Device;
        public string? Kind;
        public string? Id;
        public long Time;
        public bool HasTime;
        public FieldValue[] Fields;
        public DecodeError Error;
        public string? Message;

        public bool Fail(DecodeError error, string message)
        {
            Error = error;
            Message = message;
            return false;
        }
    }

    /// <summary>A trie node: the property names below it and the targets (device, time, kind, id, field slots) it feeds.</summary>
    private sealed class Node(byte[][] childNames, int[] childIds, int[] targets)
    {
        public byte[][] ChildNames { get; } = childNames;
        public int[] ChildIds { get; } = childIds;
        public int[] Targets { get; } = targets;
    }

    private sealed class TrieBuilder
    {
        private readonly List<(Dictionary<string, int> Children, List<int> Targets)> _nodes = [(new(StringComparer.Ordinal), [])];

        public void Add(string path, int target)
        {
            var node = 0;
            foreach (var name in JsonPath.Compile(path).MemberNames)
            {
                if (!_nodes[node].Children.TryGetValue(name, out var child))
                {
                    child = _nodes.Count;
                    _nodes.Add((new(StringComparer.Ordinal), []));
                    _nodes[node].Children.Add(name, child);
                }

                node = child;
            }

            _nodes[node].Targets.Add(target);
        }

        public Node[] Build() => _nodes
            .Select(n => new Node(
                n.Children.Keys.Select(k => Encoding.UTF8.GetBytes(k)).ToArray(),
                n.Children.Values.ToArray(),
                n.Targets.ToArray()))
            .ToArray();
    }
}
