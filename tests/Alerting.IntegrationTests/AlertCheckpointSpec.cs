using Alerting.Service.Pipeline;

namespace Alerting.IntegrationTests;

public sealed class AlertCheckpointSpec
{
    [Fact]
    public void A_checkpoint_must_read_back_what_it_wrote()
    {
        var checkpoint = new AlertCheckpoint(Resume: 40, Position: 57, ReleasedUpTo: 1_700_000_000_123, EngineState: [1, 2, 3, 4]) { RulesVersion = 12 };

        var read = AlertCheckpoint.FromBytes(checkpoint.ToBytes());

        Assert.Equal((checkpoint.Resume, checkpoint.Position, checkpoint.ReleasedUpTo, 12L), (read.Resume, read.Position, read.ReleasedUpTo, read.RulesVersion));
        Assert.Equal(checkpoint.EngineState, read.EngineState);
    }

    [Fact]
    public void A_checkpoint_of_the_first_format_must_read_as_taken_under_the_base_rule_set()
    {
        byte[] v1 = [0, 0, 0, 0, 0, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 57, 0, 0, 0, 0, 0, 0, 3, 232, 9, 8];

        var read = AlertCheckpoint.FromBytes(v1, AlertCheckpoint.ManifestV1);

        Assert.Equal((40L, 57L, 1_000L, 0L), (read.Resume, read.Position, read.ReleasedUpTo, read.RulesVersion));
        Assert.Equal([9, 8], read.EngineState);
    }

    [Fact]
    public void A_checkpoint_must_cover_exactly_the_records_it_took_in_before_its_position()
    {
        var checkpoint = new AlertCheckpoint(Resume: 10, Position: 20, ReleasedUpTo: 1_000, EngineState: []);

        Assert.True(checkpoint.Covers(15, 1_000));   // matched before the checkpoint
        Assert.True(checkpoint.Covers(15, null));    // dead-lettered before the checkpoint
        Assert.False(checkpoint.Covers(15, 1_001));  // was waiting for the watermark: read into the matcher again
        Assert.False(checkpoint.Covers(20, 500));    // read after the checkpoint: new
        Assert.False(checkpoint.Covers(20, null));
    }

    [Fact]
    public void A_checkpoint_that_is_cut_short_or_inconsistent_must_be_refused()
    {
        var bytes = new AlertCheckpoint(5, 9, 0, [7]).ToBytes();

        Assert.Throws<InvalidDataException>(() => AlertCheckpoint.FromBytes(bytes[..28]));
        var backwards = new AlertCheckpoint(9, 5, 0, []).ToBytes();
        Assert.Throws<InvalidDataException>(() => AlertCheckpoint.FromBytes(backwards));
    }
}
