namespace KrxHub.Core;

/// <summary>Text without a string of its own: a slice of a longer string (a row's payload), a whole string, or none (null).</summary>
public readonly struct TextSlice
{
    private readonly string? _source;
    private readonly int _start;
    private readonly int _length;

    /// <summary>The characters [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>) of <paramref name="source"/>.</summary>
    public TextSlice(string source, int start, int length)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(start + length, source.Length, nameof(length));
        (_source, _start, _length) = (source, start, length);
    }

    /// <summary>The whole of <paramref name="text"/>, or no text when it is null.</summary>
    public static TextSlice Of(string? text) => text is null ? default : new TextSlice(text, 0, text.Length);

    public bool IsNull => _source is null;

    public ReadOnlySpan<char> Span => _source.AsSpan(_start, _length);

    /// <summary>The text as a string (the source itself when the slice is all of it), or null.</summary>
    public override string? ToString() =>
        _source is null ? null : _start == 0 && _length == _source.Length ? _source : _source.Substring(_start, _length);
}
