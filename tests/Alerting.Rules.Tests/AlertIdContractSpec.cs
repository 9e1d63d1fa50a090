using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

/// <summary>
/// Alert ids are a contract: replays and the dispatcher recognise alerts by them. These ids were computed by
/// the matcher before its state layout and id hashing were reworked; they must never change.
/// </summary>
public sealed class AlertIdContractSpec
{
    [Fact]
    public void AlertIds_must_stay_the_ids_computed_so_far()
    {
        Assert.Equal("b3116d7a253fa56b316be2163cc60dd0", AlertIds.Compute("pair-101-102", 1, "42", ["e1", "e2"]));
        Assert.Equal("6856046376841278445a76a42950e7e5", AlertIds.Compute("r/ü", 7, "dévice-ß", ["a", "日本", "c"]));
        Assert.Equal("48171f2958091d8bc592660bdb393b54", AlertIds.Compute("threshold-3", 12, "9", [.. Enumerable.Range(0, 40).Select(i => $"devices/3/{1_000_000 + i}")]));
    }

    [Fact]
    public void The_engine_must_raise_the_ids_it_raised_so_far()
    {
        var engine = new RuleEngine(Set(
            "match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m revoke when Run alert \"PAIR\" priority 2",
            "match seq(Fault(ErrCode = 103), Alarm) within 1m alert \"SEQ\" priority 3",
            "match count(Fault(ErrCode = 5)) >= 3 within 10m alert \"COUNT\" priority 4",
            "match absent(Run, Heartbeat) within 30s alert \"ABSENT\" priority 5"));
        var alerts = Run(engine, [
            Ev("Fault", 0, 101, device: "d1", id: "x1"),
            Ev("Fault", 10, 102, device: "d1", id: "x2"),
            Ev("Fault", 20, 103, device: "d2", id: "x3"),
            Ev("Alarm", 30, device: "d2", id: "x4"),
            Ev("Fault", 40, 5, device: "d3", id: "x5"),
            Ev("Fault", 50, 5, device: "d3", id: "x6"),
            Ev("Fault", 60, 5, device: "d3", id: "x7"),
            Ev("Run", 70, device: "d1", id: "x8"),
        ]);

        Assert.Equal(
            [
                "Generate:PAIR:835013b08e171c3fe2fa3914ea3dad44",
                "Generate:SEQ:f0fa8cc7efa26dda541216dc502e8ab8",
                "Generate:COUNT:e22e35ffaeb6bddd1d8628d37bb9be7c",
                "Revoke:PAIR:835013b08e171c3fe2fa3914ea3dad44",
                "Generate:ABSENT:8ab1521a934efe1116007c55a24f70e9"
            ],
            alerts.Select(a => $"{a.Kind}:{a.AlertType}:{a.AlertId}"));
    }
}
