namespace Alerting.Configuration;

/// <summary>One member of a <see cref="HoconObject"/>: its key, where the key was last written, and its value.</summary>
public sealed class HoconField
{
    internal HoconField(string key, HoconPosition keyPosition, HoconValue value)
    {
        Key = key;
        KeyPosition = keyPosition;
        Value = value;
    }

    /// <summary>The key (one path element, never dotted).</summary>
    public string Key { get; }

    /// <summary>Where the key that set this member was written.</summary>
    public HoconPosition KeyPosition { get; }

    /// <summary>The member's value.</summary>
    public HoconValue Value { get; }
}
