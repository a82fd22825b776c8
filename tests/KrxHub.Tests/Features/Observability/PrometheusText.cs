using System.Globalization;

namespace KrxHub.Tests.Observability;

/// <summary>Reads samples out of Prometheus text: the value of a series with a name and some of its labels.</summary>
internal static class PrometheusText
{
    /// <summary>The sum of the values of every series named <paramref name="name"/> that carries all of <paramref name="labels"/>; null when there is none.</summary>
    public static double? Value(string text, string name, params (string Key, string Value)[] labels)
    {
        double? sum = null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#') || !(line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal)))
            {
                continue;
            }

            var close = line.LastIndexOf('}');
            var labelText = close < 0 ? string.Empty : line[(name.Length + 1)..close];
            if (labels.All(l => labelText.Contains($"{l.Key}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                var valueText = line[((close < 0 ? name.Length : close + 1))..].Trim().Split(' ')[0];
                sum = (sum ?? 0) + double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }
}
