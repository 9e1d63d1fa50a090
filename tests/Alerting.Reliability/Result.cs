namespace Alerting.Reliability;

/// <summary>
/// One row of results.json: the scenario's figures under the suite's stable keys, its status (<c>passed</c>,
/// <c>failed</c>, <c>not run</c>), and what failed or why it did not run. Keys of figures a scenario does not
/// have are left out, never filled with a made-up value.
/// </summary>
public sealed class Result(int number, string name)
{
    public int Number { get; } = number;

    public string Name { get; } = name;

    public string Status { get; set; } = "passed";

    public List<string> Failures { get; } = [];

    public SortedDictionary<string, object?> Figures { get; } = new(StringComparer.Ordinal);

    public string? Reason { get; set; }

    public void Check(bool holds, string what)
    {
        if (!holds)
        {
            Failures.Add(what);
            Status = "failed";
        }
    }

    public static Result NotRun(int number, string name, string reason) => new(number, name) { Status = "not run", Reason = reason };

    /// <summary>Records <paramref name="counts"/> under the alert keys and the dispatch_ keys; lost and changed content fail the scenario.</summary>
    public void Record(Counts counts)
    {
        Side("", counts.Alerts);
        Side("dispatch_", counts.Dispatches);
    }

    private void Side(string prefix, SideCounts side)
    {
        Figures[prefix + "expected"] = side.Expected;
        Figures[prefix + "distinct_delivered"] = side.DistinctDelivered;
        Figures[prefix + "lost"] = side.Lost;
        Figures[prefix + "raw_duplicates"] = side.RawDuplicates;
        Figures[prefix + "duplicate_ids_with_different_content"] = side.DuplicateIdsWithDifferentContent;
        Figures[prefix + "unexpected"] = side.Unexpected;
        if (side.Lost > 0)
        {
            Figures[prefix + "lost_sample"] = string.Join(' ', side.LostSample);
        }

        var what = prefix.Length == 0 ? "alerts" : "dispatches";
        Check(side.Lost == 0, $"{side.Lost} {what} lost");
        Check(side.DuplicateIdsWithDifferentContent == 0, $"{side.DuplicateIdsWithDifferentContent} {what} ids with different content");
        Check(side.Unexpected == 0, $"{side.Unexpected} devices with {what} nobody expected");
    }
}
