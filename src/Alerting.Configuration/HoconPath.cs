using System.Text;

namespace Alerting.Configuration;

/// <summary>
/// HOCON path expressions: <c>a.b.c</c>, with quoted elements for keys that contain dots or spaces
/// (<c>a."b.c"</c>). Array items are addressed by their index as an element (<c>rules.0.id</c>).
/// </summary>
public static class HoconPath
{
    /// <summary>Splits a path expression into its elements; throws <see cref="FormatException"/> if it is malformed.</summary>
    public static IReadOnlyList<string> Split(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var elements = new List<string>();
        var current = new StringBuilder();
        var hasContent = false;
        for (var i = 0; i < path.Length; i++)
        {
            var c = path[i];
            if (c == '"')
            {
                var end = path.IndexOf('"', i + 1);
                if (end < 0)
                {
                    throw new FormatException($"path '{path}' has an unterminated quoted element");
                }

                current.Append(path, i + 1, end - i - 1);
                hasContent = true;
                i = end;
            }
            else if (c == '.')
            {
                if (!hasContent)
                {
                    throw new FormatException($"path '{path}' has an empty element");
                }

                elements.Add(current.ToString());
                current.Clear();
                hasContent = false;
            }
            else
            {
                current.Append(c);
                hasContent = true;
            }
        }

        if (!hasContent)
        {
            throw new FormatException($"path '{path}' has an empty element");
        }

        elements.Add(current.ToString());
        return elements;
    }

    /// <summary>Joins elements into a path expression, quoting the elements that need it.</summary>
    public static string Join(IEnumerable<string> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        var result = string.Empty;
        foreach (var element in elements)
        {
            result = Append(result, element);
        }

        return result;
    }

    /// <summary>Appends one element (quoted if it needs to be) to a path expression; the empty path is the root.</summary>
    public static string Append(string path, string element)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(element);
        var rendered = NeedsQuotes(element) ? $"\"{element}\"" : element;
        return path.Length == 0 ? rendered : $"{path}.{rendered}";
    }

    private static bool NeedsQuotes(string element)
    {
        if (element.Length == 0)
        {
            return true;
        }

        foreach (var c in element)
        {
            if (c == '.' || c == '"' || char.IsWhiteSpace(c) || "${}[]:=,+#`^?!@*&\\".Contains(c, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
