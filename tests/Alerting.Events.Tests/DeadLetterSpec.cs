using System.Text;

namespace Alerting.Events.Tests;

public sealed class DeadLetterSpec
{
    [Fact]
    public void A_dead_letter_record_must_keep_the_original_bytes_and_carry_reason_message_and_origin_headers()
    {
        var value = Encoding.UTF8.GetBytes("""{"Message":"Fault","Param":{"ErrCode":101}}""");
        var key = Encoding.UTF8.GetBytes("42");
        var origin = new RecordOrigin("device-events", 7, 123456789012);
        var result = new EventDecoder(new SourceDefinition(), new ManualTimeProvider()).Decode(value, origin);
        var record = DeadLetterHeaders.ForDecodeFailure(key, value, origin, result);

        Assert.Same(key, record.Key);
        Assert.Equal(value, record.Value.ToArray());
        Assert.Equal("missing_device_id", record.Header(DeadLetterHeaders.Reason));
        Assert.Equal(result.Message, record.Header(DeadLetterHeaders.Message));
        Assert.Contains("DeviceNumber", record.Header(DeadLetterHeaders.Message), StringComparison.Ordinal);
        Assert.Equal("device-events", record.Header(DeadLetterHeaders.SourceTopic));
        Assert.Equal("7", record.Header(DeadLetterHeaders.SourcePartition));
        Assert.Equal("123456789012", record.Header(DeadLetterHeaders.SourceOffset));
        Assert.Null(record.Header(DeadLetterHeaders.Watermark));
        Assert.Equal(5, record.Headers.Count);
    }

    [Fact]
    public void A_value_too_big_to_forward_whole_must_be_cut_with_its_original_size_in_a_header()
    {
        var big = new byte[2 * 1024 * 1024 + 3];
        big.AsSpan().Fill((byte)'x');
        var origin = new RecordOrigin("device-events", 1, 2);

        var cut = DeadLetterHeaders.ForDecodeFailure(null, big, origin, DecodeError.TooLarge, "too large");
        var whole = DeadLetterHeaders.ForDecodeFailure(null, big.AsMemory(0, DeadLetterHeaders.MaxForwardedBytes), origin, DecodeError.TooLarge, "too large");
        var rejected = DeadLetterHeaders.ForRejected(null, big, origin, "malformed_alert", "too large");

        Assert.Equal(DeadLetterHeaders.MaxForwardedBytes, cut.Value.Length);
        Assert.Equal(big.AsSpan(0, DeadLetterHeaders.MaxForwardedBytes).ToArray(), cut.Value.ToArray());
        Assert.Equal("2097155", cut.Header(DeadLetterHeaders.OriginalSize));
        Assert.Equal("too_large", cut.Header(DeadLetterHeaders.Reason));
        Assert.Equal(DeadLetterHeaders.MaxForwardedBytes, whole.Value.Length);
        Assert.Null(whole.Header(DeadLetterHeaders.OriginalSize));
        Assert.Equal("2097155", rejected.Header(DeadLetterHeaders.OriginalSize));
        Assert.Equal(DeadLetterHeaders.MaxForwardedBytes, rejected.Value.Length);
    }

    [Fact]
    public void A_dead_letter_record_must_cut_long_messages_and_refuse_successful_results()
    {
        var record = DeadLetterHeaders.ForDecodeFailure(null, Array.Empty<byte>(), new RecordOrigin("t", 0, 1), DecodeError.NotJson, new string('x', 5000));
        Assert.Equal(DeadLetterHeaders.MaxMessageChars, record.Header(DeadLetterHeaders.Message)!.Length);
        Assert.Null(record.Key);

        var ok = new EventDecoder(new SourceDefinition(), new ManualTimeProvider())
            .Decode(new SeedEventGenerator(1, new SeedEventOptions { Start = DateTimeOffset.UnixEpoch }).Next().Value, new RecordOrigin("t", 0, 1));
        Assert.True(ok.IsOk);
        Assert.Throws<ArgumentException>(() => DeadLetterHeaders.ForDecodeFailure(null, Array.Empty<byte>(), new RecordOrigin("t", 0, 1), ok));
    }

    [Fact]
    public void A_late_record_must_be_keyed_by_device_and_carry_the_watermark()
    {
        var ev = new DeviceEvent
        {
            DeviceId = "42",
            Kind = "Fault",
            EventTime = 1000,
            EventId = "e",
            Fields = [],
            Payload = "{}"u8.ToArray(),
            Topic = "device-events",
            Partition = 2,
            Offset = 99,
        };
        var record = DeadLetterHeaders.ForTooLate(ev, 5000);
        Assert.Equal("42", Encoding.UTF8.GetString(record.Key!));
        Assert.Equal("{}", Encoding.UTF8.GetString(record.Value.Span));
        Assert.Equal("too_late", record.Header(DeadLetterHeaders.Reason));
        Assert.Equal("5000", record.Header(DeadLetterHeaders.Watermark));
        Assert.Equal("2", record.Header(DeadLetterHeaders.SourcePartition));
        Assert.Equal("99", record.Header(DeadLetterHeaders.SourceOffset));
        Assert.Contains("4000 ms behind", record.Header(DeadLetterHeaders.Message), StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_counters_must_count_per_reason_from_many_threads()
    {
        var counters = new DecodeCounters();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counters.Count(DecodeResult.Fail((DecodeError)(i % 3), "x"));
            }
        });
        counters.CountFailure(DecodeError.TooDeep);
        Assert.Equal(26_672, counters[DecodeError.NotJson]);
        Assert.Equal(26_664, counters[DecodeError.Truncated]);
        Assert.Equal(26_664, counters[DecodeError.Empty]);
        Assert.Equal(1, counters[DecodeError.TooDeep]);
        Assert.Equal(80_001, counters.Failed);
        var snapshot = counters.Snapshot();
        Assert.Equal(26_672, snapshot["not_json"]);
        Assert.Equal(0, snapshot["decoded"]);
        Assert.Equal(DecodeErrors.Count + 1, snapshot.Count);
    }

    [Fact]
    public void Decode_error_codes_must_be_stable_snake_case_and_round_trip()
    {
        Assert.Equal(
            ["not_json", "truncated", "empty", "invalid_utf8", "wrong_type", "missing_device_id", "missing_timestamp", "bad_timestamp",
             "bad_number", "too_deep", "too_large", "missing_kind", "unknown_kind", "future_timestamp",
             "device_id_too_long"],
            DecodeErrors.All.Select(r => r.Code()));
        foreach (var reason in DecodeErrors.All)
        {
            Assert.True(DecodeErrors.TryParse(reason.Code(), out var parsed));
            Assert.Equal(reason, parsed);
        }

        Assert.False(DecodeErrors.TryParse("NotJson", out _));
    }
}
