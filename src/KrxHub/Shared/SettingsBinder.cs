using System.ComponentModel;
using System.Globalization;
using System.Reflection;

namespace KrxHub.Shared;

/// <summary>
/// Binds one configuration section onto the settable properties of an options record, with errors that name the
/// environment variable (KRXHUB_KIWOOM__MOCK …) instead of an exception trace. Unknown keys are refused: a typo in a
/// key name would otherwise be silently ignored.
/// </summary>
internal static class SettingsBinder
{
    /// <summary>The environment variable that sets <paramref name="key"/> of <paramref name="section"/>.</summary>
    public static string EnvName(string section, string key) =>
        $"{HubSettings.EnvPrefix}{section.Replace(":", "__", StringComparison.Ordinal)}__{key}".ToUpperInvariant();

    /// <summary>
    /// Keys of <paramref name="section"/> with a non-empty value (an empty environment variable counts as unset).
    /// Throws when a key is not one of <paramref name="known"/>; <paramref name="subsections"/> are left to their own binding.
    /// </summary>
    public static Dictionary<string, string> Values(IConfiguration configuration, string section, IEnumerable<string> known, IReadOnlyCollection<string>? subsections = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var names = known.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var child in configuration.GetSection(section).GetChildren())
        {
            if (subsections?.Contains(child.Key, StringComparer.OrdinalIgnoreCase) == true)
            {
                continue;
            }

            // KRXHUB_KIWOOM__SECRETKEY_FILE=/run/secrets/kiwoom: the value is the file's content (container secrets).
            var key = child.Key;
            var fromFile = key.EndsWith(FileSuffix, StringComparison.OrdinalIgnoreCase) && names.Contains(key[..^FileSuffix.Length]);
            if (fromFile)
            {
                key = key[..^FileSuffix.Length];
            }

            if (!names.Contains(key))
            {
                throw new CliException(
                    $"{EnvName(section, child.Key)} is not a setting; known: {string.Join(", ", names.Order(StringComparer.Ordinal).Select(n => EnvName(section, n)))}", 2);
            }

            if (child.Value is null && child.GetChildren().Any())
            {
                throw new CliException($"{EnvName(section, child.Key)} must be a single value, not a section", 2);
            }

            var value = fromFile && !string.IsNullOrWhiteSpace(child.Value) ? ReadSecretFile(section, child.Key, child.Value.Trim()) : child.Value;
            if (!string.IsNullOrWhiteSpace(value))
            {
                values[key] = value.Trim();
            }
        }

        return values;
    }

    /// <summary>A key with this suffix names a file holding the value of the key without it.</summary>
    public const string FileSuffix = "_FILE";

    private static string ReadSecretFile(string section, string key, string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The path is named, never the content.
            throw new CliException($"{EnvName(section, key)}: cannot read '{path}' ({e.GetType().Name})", 2);
        }
    }

    /// <summary>The settable properties of <typeparamref name="T"/> that a plain value can set.</summary>
    public static IEnumerable<string> Keys<T>() => Settable(typeof(T)).Select(p => p.Name);

    /// <summary>
    /// A new <typeparamref name="T"/> with every property named in <paramref name="values"/> set from its text. Values that
    /// are not named keep the record's defaults.
    /// </summary>
    public static T Bind<T>(string section, IReadOnlyDictionary<string, string> values)
        where T : new()
    {
        ArgumentNullException.ThrowIfNull(values);
        var target = new T();
        foreach (var property in Settable(typeof(T)))
        {
            if (!values.TryGetValue(property.Name, out var text))
            {
                continue;
            }

            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            object? value;
            try
            {
                value = type == typeof(string) ? text : TypeDescriptor.GetConverter(type).ConvertFromInvariantString(text);
            }
            catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException)
            {
                throw new CliException($"{EnvName(section, property.Name)} '{text}' is not {Describe(type)}", 2);
            }

            property.SetValue(target, value);
        }

        return target;
    }

    private static IEnumerable<PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && IsPlain(Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType));

    private static bool IsPlain(Type type) =>
        type == typeof(string) || type == typeof(bool) || type == typeof(int) || type == typeof(double) || type == typeof(decimal) || type == typeof(TimeSpan);

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(bool) => "true or false",
        _ when type == typeof(int) => "a whole number",
        _ when type == typeof(double) || type == typeof(decimal) => "a number (use . for decimals)",
        _ when type == typeof(TimeSpan) => "a time span such as 00:00:10 or 18:00",
        _ => string.Create(CultureInfo.InvariantCulture, $"a {type.Name}"),
    };
}
