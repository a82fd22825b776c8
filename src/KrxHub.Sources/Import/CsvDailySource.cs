using System.Runtime.CompilerServices;
using System.Text;
using KrxHub.Core.Validation;

namespace KrxHub.Sources.Import;

/// <summary>Streams the data rows of a daily-bar CSV whose header has already been checked.</summary>
internal sealed class CsvDailySource(string path, Encoding encoding, DailyCsvLayout layout, string? fixedCode, string? fixedDate, string header)
{
    public string Header { get; } = header;

    public IEnumerable<RawDailyRow> Read()
    {
        using var csv = new CsvReader(ImportInput.OpenText(path, encoding));
        if (!Next(csv))
        {
            yield break;
        }

        while (Next(csv))
        {
            yield return layout.Build(csv, csv.RecordNumber - 1, fixedCode, fixedDate);
        }
    }

    public async IAsyncEnumerable<RawDailyRow> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var csv = new CsvReader(ImportInput.OpenText(path, encoding));
        if (!await NextAsync(csv, cancellationToken))
        {
            yield break;
        }

        while (await NextAsync(csv, cancellationToken))
        {
            yield return layout.Build(csv, csv.RecordNumber - 1, fixedCode, fixedDate);
        }
    }

    private bool Next(CsvReader csv)
    {
        try
        {
            return csv.Read();
        }
        catch (InvalidDataException e)
        {
            throw Truncated(csv, e);
        }
    }

    private async ValueTask<bool> NextAsync(CsvReader csv, CancellationToken cancellationToken)
    {
        try
        {
            return await csv.ReadAsync(cancellationToken);
        }
        catch (InvalidDataException e)
        {
            throw Truncated(csv, e);
        }
    }

    private ImportFormatException Truncated(CsvReader csv, InvalidDataException e) =>
        new($"file '{ImportInput.Display(path)}' is corrupt or truncated gzip data after data row {Math.Max(0, csv.RecordNumber - 1)}: {ImportInput.OneLine(e.Message)}", e);
}
