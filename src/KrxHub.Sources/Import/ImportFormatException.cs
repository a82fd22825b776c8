namespace KrxHub.Sources.Import;

/// <summary>
/// The file is unreadable, is not of the stated format, or needs an option that was not given.
/// The message is one line naming the problem, fit to print as the CLI's error. Nothing has been
/// imported when this is thrown before the first row; a mid-stream throw (truncated gzip) means the
/// caller must discard what it staged.
/// </summary>
public sealed class ImportFormatException : Exception
{
    public ImportFormatException()
    {
    }

    public ImportFormatException(string message)
        : base(message)
    {
    }

    public ImportFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
