using System.Collections;

namespace Alerting.Configuration;

/// <summary>An array of the tree: its items in order, each carrying its own position and path (<c>rules.0</c>, <c>rules.1</c>...).</summary>
public sealed class HoconArray : HoconValue, IReadOnlyList<HoconValue>
{
    private readonly IReadOnlyList<HoconValue> _items;

    internal HoconArray(HoconPosition position, string path, IReadOnlyList<HoconValue> items)
        : base(position, path)
    {
        _items = items;
    }

    /// <inheritdoc />
    public override HoconValueKind Kind => HoconValueKind.Array;

    /// <summary>The number of items.</summary>
    public int Count => _items.Count;

    /// <summary>The item at <paramref name="index"/>.</summary>
    public HoconValue this[int index] => _items[index];

    /// <inheritdoc />
    public IEnumerator<HoconValue> GetEnumerator() => _items.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private protected override string Describe() => "an array";
}
