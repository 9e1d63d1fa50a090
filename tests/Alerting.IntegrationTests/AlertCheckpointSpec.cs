using Alerting.Service.Pipeline;

namespace Alerting.IntegrationTests;

public sealed class AlertCheckpointSpec
{
    [Fact]
    public void A_checkpoint_must_read_back_what_it_wrote()
    {
        var checkpoint = new AlertCheckpoint(Resume: 40, Position: 57, ReleasedUpTo: 1_700_000_000_123, EngineState: [1, 2, 3, 4]);

        var read = AlertCheckpoint.FromBytes(checkpoint.ToBytes());

        Assert.Equal((checkpoint.Resume, checkpoint.Position, checkpoint.ReleasedUpTo), (read.Resume, read.Position, read.ReleasedUpTo));
        Assert.Equal(checkpoint.EngineState, read.EngineState);
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

        Assert.Throws<InvalidDataException>(() => AlertCheckpoint.FromBytes(bytes[..20]));
        var backwards = new AlertCheckpoint(9, 5, 0, []).ToBytes();
        Assert.Throws<InvalidDataException>(() => AlertCheckpoint.FromBytes(backwards));
    }
}
