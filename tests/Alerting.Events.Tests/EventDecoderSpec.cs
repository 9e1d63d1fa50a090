using System.Text;

namespace Alerting.Events.Tests;

public sealed class EventDecoderSpec
{
    private const string Seed =
        """{"Message":"Fault","Param":{"ErrCode":101,"Timestamp":"2026-11-22T08:00:00.000Z","ID":"e-1"},"DeviceNumber":42}""";

    private static readonly RecordOrigin Origin = new("device-events", 3, 1234);
    private readonly ManualTimeProvider _clock = new(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero));

    private static SourceDefinition Typed => new SourceDefinition() with
    {
        Fields =
        [
            new FieldDefinition("ErrCode", "Param.ErrCode", FieldType.Integer),
            new FieldDefinition("Temp", "Param.Temp", FieldType.Number),
            new FieldDefinition("Line", "Param.Line", FieldType.String),
            new FieldDefinition("Manual", "Param.Manual", FieldType.Boolean),
            new FieldDefinition("Since", "Param.Since", FieldType.Timestamp),
        ],
    };

    private DecodeResult Decode(string json, SourceDefinition? source = null) =>
        new EventDecoder(source ?? new SourceDefinition(), _clock).Decode(Encoding.UTF8.GetBytes(json), Origin);

    private DeviceEvent Ok(string json, SourceDefinition? source = null)
    {
        var result = Decode(json, source);
        Assert.True(result.IsOk, result.ToString());
        return result.Event!;
    }

    private void Rejects(DecodeError reason, string json, SourceDefinition? source = null) =>
        Rejects(reason, Encoding.UTF8.GetBytes(json), source);

    private void Rejects(DecodeError reason, byte[] bytes, SourceDefinition? source = null)
    {
        var result = new EventDecoder(source ?? new SourceDefinition(), _clock).Decode(bytes, Origin);
        Assert.False(result.IsOk, $"expected {reason.Code()} but decoded {result}");
        Assert.Equal(reason, result.Error);
        Assert.False(string.IsNullOrWhiteSpace(result.Message));
    }

    [Fact]
    public void A_decoder_must_give_every_event_of_a_numeric_device_the_same_key_instance_up_to_a_million_devices()
    {
        var decoder = new EventDecoder(new SourceDefinition(), _clock);
        string Key(string number) =>
            decoder.Decode(Encoding.UTF8.GetBytes(Seed.Replace(":42}", ":" + number + "}", StringComparison.Ordinal)), Origin).Event!.DeviceId;

        foreach (var number in new[] { "0", "42", "65535", "65536", "200000", "1048575" })
        {
            var first = Key(number);
            Assert.Equal(number, first);
            Assert.Same(first, Key(number));
        }

        // the small numbers cached before the cache grew are still the same instances
        Assert.Same(Key("42"), Key("42"));

        // beyond the cache: right text, a string of its own each time
        Assert.Equal("1048576", Key("1048576"));
        Assert.NotSame(Key("1048576"), Key("1048576"));
        Assert.Equal("-5", Key("-5"));
        Assert.Equal("12345678", Key("12345678"));
    }

    [Fact]
    public void A_decoder_must_map_the_seed_shape_with_the_default_source()
    {
        var ev = Ok(Seed);
        Assert.Equal("42", ev.DeviceId);
        Assert.Equal("Fault", ev.Kind);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 8, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), ev.EventTime);
        Assert.Equal("e-1", ev.EventId);
        Assert.Equal(FieldValue.FromInteger(101), ev.Field(0));
        Assert.Equal("device-events", ev.Topic);
        Assert.Equal(3, ev.Partition);
        Assert.Equal(1234, ev.Offset);
        Assert.Equal(Seed, Encoding.UTF8.GetString(ev.Payload.Span));
        Assert.False(ev.IsLate);
    }

    [Fact]
    public void A_decoder_must_read_every_mapped_type()
    {
        var ev = Ok("""
            {"DeviceNumber":"press-7","Message":"Alarm","Param":{"ErrCode":-9000000000,"Temp":21.5,"Line":"B\u00e9","Manual":true,
             "Since":"2026-11-21T23:00:00+01:00","Timestamp":1795334400123}}
            """, Typed);
        Assert.Equal("press-7", ev.DeviceId);
        Assert.Equal(-9_000_000_000L, ev.Fields[0].Long);
        Assert.Equal(FieldType.Integer, ev.Fields[0].Type);
        Assert.Equal(FieldValue.FromNumber(21.5), ev.Fields[1]);
        Assert.Equal(FieldType.Number, ev.Fields[1].Type);
        Assert.Equal("Bé", ev.Fields[2].String);
        Assert.Equal(FieldValue.FromBoolean(true), ev.Fields[3]);
        Assert.Equal(FieldType.Timestamp, ev.Fields[4].Type);
        Assert.Equal(new DateTimeOffset(2026, 11, 21, 22, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), ev.Fields[4].Long);
        Assert.Equal(1795334400123L, ev.EventTime);
        Assert.Equal("device-events/3/1234", ev.EventId);
    }

    [Fact]
    public void A_decoder_must_read_epoch_ms_timestamps_as_numbers_or_digit_strings_and_leave_absent_fields_missing()
    {
        var epochOnly = new SourceDefinition { EventTimeFormat = TimestampFormat.EpochMs };
        Assert.Equal(1795334400000L, Ok("""{"DeviceNumber":1,"Message":"Run","Param":{"Timestamp":1795334400000}}""", epochOnly).EventTime);
        Assert.Equal(1795334400000L, Ok("""{"DeviceNumber":1,"Message":"Run","Param":{"Timestamp":"1795334400000"}}""", epochOnly).EventTime);
        var ev = Ok("""{"DeviceNumber":1,"Message":"Run","Param":{"Timestamp":"2026-11-22T07:00:00Z","Since":null}}""", Typed);
        Assert.All(ev.Fields, f => Assert.True(f.IsMissing));
        Rejects(DecodeError.BadTimestamp, """{"DeviceNumber":1,"Message":"Run","Param":{"Timestamp":"2026-11-22T07:00:00Z"}}""", epochOnly);
        Rejects(DecodeError.BadTimestamp, """{"DeviceNumber":1,"Message":"Run","Param":{"Timestamp":1795334400000}}""",
            new SourceDefinition { EventTimeFormat = TimestampFormat.Iso8601 });
    }

    [Fact]
    public void A_decoder_must_ignore_unmapped_members_arrays_and_nesting_and_match_escaped_names()
    {
        var ev = Ok("""
            {"Extra":{"Param":{"ErrCode":5}},"List":[{"DeviceNumber":9},[1,2,{"a":null}]],"Message":"Fault",
             "P\u0061ram":{"Timestamp":"2026-11-22T07:00:00.000Z","ErrCode":7,"More":{"ErrCode":8}},"DeviceNumber":42}
            """);
        Assert.Equal("42", ev.DeviceId);
        Assert.Equal(7, ev.Fields[0].Long);
    }

    [Fact]
    public void A_decoder_must_fall_back_to_topic_partition_offset_when_the_id_is_absent_empty_or_null_and_read_numeric_ids()
    {
        Assert.Equal("device-events/3/1234", Ok(Seed.Replace("\"e-1\"", "\"\"", StringComparison.Ordinal)).EventId);
        Assert.Equal("device-events/3/1234", Ok(Seed.Replace("\"e-1\"", "null", StringComparison.Ordinal)).EventId);
        Assert.Equal("device-events/3/1234", Ok(Seed.Replace(",\"ID\":\"e-1\"", "", StringComparison.Ordinal)).EventId);
        Assert.Equal("9001", Ok(Seed.Replace("\"e-1\"", "9001", StringComparison.Ordinal)).EventId);
        Assert.Equal("device-events/3/1234", Ok(Seed, new SourceDefinition { IdPath = null }).EventId);
    }

    [Fact]
    public void A_decoder_must_intern_kinds()
    {
        var decoder = new EventDecoder(new SourceDefinition(), _clock);
        var a = decoder.Decode(Encoding.UTF8.GetBytes(Seed), Origin).Event!;
        var b = decoder.Decode(Encoding.UTF8.GetBytes(Seed.Replace("e-1", "e-2", StringComparison.Ordinal)), Origin).Event!;
        Assert.Same(a.Kind, b.Kind);
    }

    [Fact]
    public void A_decoder_must_reject_bad_input_with_the_right_reason()
    {
        Rejects(DecodeError.NotJson, "Fault 101 on device 42");
        Rejects(DecodeError.NotJson, "[1,2,3]");
        Rejects(DecodeError.NotJson, """{"DeviceNumber":42,"Message":"Fault" "Param":{}}""");
        Rejects(DecodeError.NotJson, Seed + "{}");
        Rejects(DecodeError.Truncated, Seed[..70]);
        Rejects(DecodeError.Truncated, "{");
        Rejects(DecodeError.Empty, "");
        Rejects(DecodeError.Empty, "  \r\n ");
        Rejects(DecodeError.InvalidUtf8, new byte[] { 0x7B, 0xFF, 0xFE, 0x00, 0x12, 0x80 });
        Rejects(DecodeError.WrongType, Seed.Replace("101", "\"E101\"", StringComparison.Ordinal));
        Rejects(DecodeError.WrongType, Seed.Replace("101", "101.5", StringComparison.Ordinal));
        Rejects(DecodeError.WrongType, Seed.Replace("101", "{\"x\":1}", StringComparison.Ordinal));
        Rejects(DecodeError.WrongType, Seed.Replace("\"Fault\"", "7", StringComparison.Ordinal));
        Rejects(DecodeError.WrongType, """{"DeviceNumber":[42],"Message":"Run","Param":{"Timestamp":"2026-11-22T07:00:00Z"}}""");
        Rejects(DecodeError.WrongType, """{"DeviceNumber":1,"Message":"Run","Param":{"Timestamp":"2026-11-22T07:00:00Z","Manual":"yes"}}""", Typed);
        Rejects(DecodeError.WrongType, """{"DeviceNumber":1,"Message":"Run","Param":{"Timestamp":"2026-11-22T07:00:00Z","Line":5}}""", Typed);
        Rejects(DecodeError.MissingDeviceId, Seed.Replace(",\"DeviceNumber\":42", "", StringComparison.Ordinal));
        Rejects(DecodeError.MissingDeviceId, Seed.Replace("42", "null", StringComparison.Ordinal));
        Rejects(DecodeError.MissingDeviceId, Seed.Replace("42", "\"\"", StringComparison.Ordinal));
        Rejects(DecodeError.MissingKind, Seed.Replace("\"Message\":\"Fault\",", "", StringComparison.Ordinal));
        Rejects(DecodeError.MissingTimestamp, Seed.Replace("\"Timestamp\":\"2026-11-22T08:00:00.000Z\",", "", StringComparison.Ordinal));
        Rejects(DecodeError.BadTimestamp, Seed.Replace("2026-11-22T08:00:00.000Z", "yesterday", StringComparison.Ordinal));
        Rejects(DecodeError.BadTimestamp, Seed.Replace("2026-11-22T08:00:00.000Z", "2026-13-45T99:00:00Z", StringComparison.Ordinal));
        Rejects(DecodeError.BadTimestamp, Seed.Replace("\"2026-11-22T08:00:00.000Z\"", "true", StringComparison.Ordinal));
        Rejects(DecodeError.BadNumber, Seed.Replace("101", "1e400", StringComparison.Ordinal));
        Rejects(DecodeError.BadNumber, Seed.Replace("101", "92233720368547758070", StringComparison.Ordinal));
        Rejects(DecodeError.BadNumber, Seed.Replace("101", "\"NaN\"", StringComparison.Ordinal));
        Rejects(DecodeError.BadNumber, """{"DeviceNumber":1,"Message":"Run","Param":{"Timestamp":"2026-11-22T07:00:00Z","Temp":-1e999}}""", Typed);
        Rejects(DecodeError.TooDeep, Seed.Replace("101", new string('[', 20) + new string(']', 20), StringComparison.Ordinal)
            .Replace("\"ErrCode\"", "\"Other\"", StringComparison.Ordinal));
        Rejects(DecodeError.TooDeep, "{\"a\":" + new string('[', 5000));
        Rejects(DecodeError.TooLarge, "{\"Extra\":\"" + new string('x', 70_000) + "\"}");
        Rejects(DecodeError.FutureTimestamp, Seed.Replace("08:00:00.000Z", "08:05:00.001Z", StringComparison.Ordinal));
        Rejects(DecodeError.UnknownKind, Seed, new SourceDefinition { Kinds = ["Run", "Alarm"] });
        Rejects(DecodeError.BadTimestamp, Seed.Replace("\"2026-11-22T08:00:00.000Z\"", "-1000", StringComparison.Ordinal));
        Rejects(DecodeError.BadTimestamp, Seed.Replace("2026-11-22T08:00:00.000Z", "1969-12-31T23:59:59.999Z", StringComparison.Ordinal));
        Rejects(DecodeError.DeviceIdTooLong, Seed.Replace("42", "\"" + new string('d', EventDecoder.MaxDeviceIdBytes + 1) + "\"", StringComparison.Ordinal));
        Rejects(DecodeError.DeviceIdTooLong, Seed.Replace("42", "\"" + new string('é', EventDecoder.MaxDeviceIdBytes / 2 + 1) + "\"", StringComparison.Ordinal));
    }

    [Fact]
    public void A_decoder_must_accept_events_up_to_max_future_skew_ahead_of_its_clock()
    {
        Assert.True(Decode(Seed.Replace("08:00:00.000Z", "08:05:00.000Z", StringComparison.Ordinal)).IsOk);
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True(Decode(Seed.Replace("08:00:00.000Z", "08:05:59.000Z", StringComparison.Ordinal)).IsOk);
    }

    [Fact]
    public void A_decoder_must_honour_a_configured_depth_and_size()
    {
        var shallow = new SourceDefinition { MaxDepth = 2 };
        Assert.True(Decode(Seed, shallow).IsOk);
        Rejects(DecodeError.TooDeep, Seed.Replace("101,", "101,\"x\":[],", StringComparison.Ordinal), shallow);
        Rejects(DecodeError.TooLarge, Seed, new SourceDefinition { MaxRecordBytes = Seed.Length - 1 });
        Assert.True(Decode(Seed, new SourceDefinition { MaxRecordBytes = Seed.Length }).IsOk);
    }

    [Fact]
    public void A_decoder_must_fill_shared_schema_slots_for_several_sources()
    {
        var a = new SourceDefinition { Name = "a", Topic = "a" };
        var b = new SourceDefinition
        {
            Name = "b",
            Topic = "b",
            Fields = [new FieldDefinition("Zone", "Where", FieldType.String), new FieldDefinition("ErrCode", "Code", FieldType.Integer)],
        };
        var schema = SourceDefinition.SharedSchema([a, b]);
        Assert.Equal(["ErrCode", "Zone"], schema.Fields.Select(f => f.Name));
        var ev = new EventDecoder(b, _clock, schema)
            .Decode(Encoding.UTF8.GetBytes("""{"DeviceNumber":3,"Message":"Run","Param":{"Timestamp":0},"Where":"north","Code":12}"""), Origin).Event!;
        Assert.Equal(12, ev.Field(schema.SlotOf("ErrCode")).Long);
        Assert.Equal("north", ev.Field(schema.SlotOf("Zone")).String);
        Assert.Throws<SourceConfigurationException>(() =>
            SourceDefinition.SharedSchema([a, b with { Fields = [new FieldDefinition("ErrCode", "Code", FieldType.String)] }]));
    }

    [Fact]
    public void A_decoder_must_copy_the_payload_when_decoding_a_borrowed_span()
    {
        var bytes = Encoding.UTF8.GetBytes(Seed);
        var ev = new EventDecoder(new SourceDefinition(), _clock).DecodeCopy(bytes, Origin).Event!;
        Array.Clear(bytes);
        Assert.Equal(Seed, Encoding.UTF8.GetString(ev.Payload.Span));
    }

    [Fact]
    public void A_decoder_must_agree_with_the_seed_generator_on_good_and_malformed_records()
    {
        var decoder = new EventDecoder(new SourceDefinition(), _clock);
        var generator = new SeedEventGenerator(7, new SeedEventOptions { MalformedShare = 0.3, Start = _clock.GetUtcNow().AddHours(-1) });
        var reasons = new HashSet<DecodeError>();
        foreach (var record in generator.Take(2000))
        {
            var result = decoder.Decode(record.Value, Origin);
            if (record.Malformation is { } reason)
            {
                Assert.Equal(reason, result.Error);
                Assert.False(result.IsOk);
                reasons.Add(reason);
            }
            else
            {
                Assert.True(result.IsOk, result.ToString());
                Assert.Equal(record.DeviceNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Event!.DeviceId);
                Assert.Equal(record.EventTime, result.Event.EventTime);
            }
        }

        Assert.Equal(10, reasons.Count);
    }

    [Fact]
    public void A_seed_generator_must_be_reproducible_from_its_seed()
    {
        var a = new SeedEventGenerator(11, new SeedEventOptions { MalformedShare = 0.1, MaxDisorder = TimeSpan.FromSeconds(2) }).Take(200).ToList();
        var b = new SeedEventGenerator(11, new SeedEventOptions { MalformedShare = 0.1, MaxDisorder = TimeSpan.FromSeconds(2) }).Take(200).ToList();
        var c = new SeedEventGenerator(12).Take(200).ToList();
        Assert.Equal(a.Select(r => Convert.ToBase64String(r.Value)), b.Select(r => Convert.ToBase64String(r.Value)));
        Assert.NotEqual(a.Select(r => Convert.ToBase64String(r.Value)), c.Select(r => Convert.ToBase64String(r.Value)));
        Assert.InRange(a.Where(r => r.Malformation is null).Average(r => r.Value.Length), 120, 170);
    }
}
