using System.Globalization;
using System.IO.Compression;
using KrxHub.Core;
using KrxHub.Testing;

namespace KrxHub.Storage.Tests;

/// <summary>Reads bars from the bundled raw KRX history (marcap layout) for volume tests.</summary>
internal static class RealBars
{
    public static List<DailyBar> Load(int count)
    {
        var path = TestPaths.Data("history", "krx-daily-raw-all-stocks-2024-01-02_2024-02-13.csv.gz");
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        var header = Fields(reader.ReadLine()!);
        int Column(string name) => header.IndexOf(name);
        int code = Column("Code"), close = Column("Close"), volume = Column("Volume"), amount = Column("Amount"), open = Column("Open"),
            high = Column("High"), low = Column("Low"), marcap = Column("Marcap"), stocks = Column("Stocks"), date = Column("Date");
        var fetchedAt = new DateTimeOffset(2024, 2, 14, 9, 0, 0, TimeSpan.Zero).AddTicks(3);
        var bars = new List<DailyBar>(count);
        while (bars.Count < count && reader.ReadLine() is { } line)
        {
            var f = Fields(line);
            var c = decimal.Parse(f[close], CultureInfo.InvariantCulture);
            var v = (long)decimal.Parse(f[volume], CultureInfo.InvariantCulture);
            var noTrade = v == 0;
            bars.Add(new DailyBar(
                StockCode.Parse(f[code]),
                DateOnly.ParseExact(f[date], "yyyy-MM-dd", CultureInfo.InvariantCulture),
                noTrade ? c : decimal.Parse(f[open], CultureInfo.InvariantCulture),
                noTrade ? c : decimal.Parse(f[high], CultureInfo.InvariantCulture),
                noTrade ? c : decimal.Parse(f[low], CultureInfo.InvariantCulture),
                c,
                v,
                decimal.Parse(f[amount], CultureInfo.InvariantCulture),
                decimal.Parse(f[marcap], CultureInfo.InvariantCulture),
                long.Parse(f[stocks], CultureInfo.InvariantCulture),
                PriceBasis.Raw,
                Samples.RawSource,
                fetchedAt,
                noTrade));
        }

        return bars;
    }

    private static List<string> Fields(string line)
    {
        var fields = new List<string>();
        var i = 0;
        while (i <= line.Length)
        {
            if (i < line.Length && line[i] == '"')
            {
                var end = line.IndexOf('"', i + 1);
                fields.Add(line[(i + 1)..end]);
                i = end + 2;
            }
            else
            {
                var end = line.IndexOf(',', i);
                end = end < 0 ? line.Length : end;
                fields.Add(line[i..end]);
                i = end + 1;
            }
        }

        return fields;
    }
}
