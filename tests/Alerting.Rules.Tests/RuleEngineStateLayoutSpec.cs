using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

/// <summary>
/// How the matcher keeps a device's state compact: open alerts hold their id as 16 bytes and give the same text
/// back, and a device's slot array fits the rule states it holds rather than every rule an event could start.
/// </summary>
public sealed class RuleEngineStateLayoutSpec
{
    [Fact]
    public void An_alert_id_must_read_back_as_the_text_it_was_computed_as()
    {
        var value = AlertIds.ComputeValue("pair-101-102", 1, "42", ["e1", "e2"]);
        Assert.Equal("b3116d7a253fa56b316be2163cc60dd0", AlertIds.Format(value));
        Assert.True(AlertIds.TryParse("b3116d7a253fa56b316be2163cc60dd0", out var parsed));
        Assert.Equal(value, parsed);
        Assert.Equal("b3116d7a253fa56b316be2163cc60dd0", new OpenAlert(value, 1, 2).AlertId);
    }

    [Theory]
    [InlineData("B3116D7A253FA56B316BE2163CC60DD0")] // upper case would not read back the same
    [InlineData("b3116d7a253fa56b316be2163cc60dd")]
    [InlineData("b3116d7a253fa56b316be2163cc60dd0a")]
    [InlineData("alert-7")]
    [InlineData("")]
    public void An_open_alert_id_that_is_not_lowercase_hex_of_16_bytes_must_be_kept_as_given(string text)
    {
        Assert.False(AlertIds.TryParse(text, out _));
        var open = OpenAlert.FromText(text, 1, 2);
        Assert.Equal(text, open.AlertId);
        Assert.Equal(1, open.FaultTime);
        Assert.Equal(2, open.AlertTime);
    }

    [Fact]
    public void A_revoke_must_carry_the_id_of_the_alert_it_withdraws()
    {
        var alerts = Run(
            "match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m revoke when Run alert \"PAIR\" priority 2",
            Ev("Fault", 0, 101, id: "a"), Ev("Fault", 10, 102, id: "b"), Ev("Run", 20, id: "c"));

        Assert.Equal([AlertKind.Generate, AlertKind.Revoke], alerts.Select(a => a.Kind));
        Assert.Equal(alerts[0].AlertId, alerts[1].AlertId);
        Assert.Equal(AlertIds.Compute("r0", 1, "42", ["a", "b"]), alerts[1].AlertId);
    }

    [Fact]
    public void An_event_offered_many_rules_must_not_give_its_device_room_for_all_of_them()
    {
        // twelve count rules take every fault of code 7: the first fault starts one state in each of them, a
        // heartbeat afterwards starts one more state in the one absence rule
        var rules = Enumerable.Range(0, 12).Select(i => $"match count(Fault(ErrCode = 7)) >= {i + 50} within 1m alert \"C{i}\" priority 1")
            .Append("match absent(Heartbeat, Run) within 1h alert \"A\" priority 1").ToArray();
        var engine = new RuleEngine(Set(rules));
        var output = new List<AlertEvent>();
        engine.OnEvent(Ev("Heartbeat", 0, device: "d"), output);
        engine.OnWatermark(T0, output);
        var one = engine.EstimateStateBytes("d");

        engine.OnEvent(Ev("Fault", 1, 7, device: "d"), output);
        engine.OnWatermark(T0 + 1, output);
        var thirteen = engine.EstimateStateBytes("d");

        // the window passes: the twelve partial counts go, the absence timer stays; the slots shrink to fit it
        engine.OnWatermark(T0 + 120_000, output);
        var back = engine.EstimateStateBytes("d");

        Assert.Empty(output);
        Assert.True(thirteen - one < 13 * 2 * 32 + 12 * 64, $"{one} B with one state, {thirteen} B with thirteen");
        Assert.Equal(one, back);
    }
}
