using System.Buffers.Binary;
using System.Runtime.InteropServices;
using KrxHub.Core;
using KrxHub.Core.Backtesting;

namespace KrxHub.Storage;

/// <summary>
/// The blob format of the SQLite bar-series cache: one stock's whole history on one basis, column by column, so a
/// read is a few block copies instead of a million row steps. Layout (little-endian): format byte, bar count n
/// (int32), a flags byte (bit k set: price column k = open, high, low, close is stored as int64 because every value
/// is a whole number, else as the 16 raw bytes of each decimal), then n day numbers (int32), n volumes (int64,
/// 0 on no-trade days) and the four price columns. Values round-trip exactly.
/// </summary>
internal static class BarSeriesCodec
{
    private const byte Format = 1;
    private const int HeaderBytes = 6;

    /// <summary>The cache relies on the in-memory layout of int, long and decimal; other machines read the rows instead.</summary>
    public static bool IsSupported => BitConverter.IsLittleEndian;

    public static byte[] Encode(BarSeries series)
    {
        var n = series.Count;
        decimal[][] prices = [series.OpenColumn.ToArray(), series.HighColumn.ToArray(), series.LowColumn.ToArray(), series.CloseColumn.ToArray()];
        byte flags = 0;
        var size = HeaderBytes + (n * (sizeof(int) + sizeof(long)));
        for (var k = 0; k < prices.Length; k++)
        {
            if (AllWhole(prices[k]))
            {
                flags |= (byte)(1 << k);
                size += n * sizeof(long);
            }
            else
            {
                size += n * sizeof(decimal);
            }
        }

        var blob = new byte[size];
        blob[0] = Format;
        BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(1), n);
        blob[5] = flags;
        var at = HeaderBytes;
        for (var i = 0; i < n; i++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(blob.AsSpan(at + (i * sizeof(int))), series.DateColumn[i].DayNumber);
        }

        at += n * sizeof(int);
        MemoryMarshal.AsBytes(series.VolumeColumn).CopyTo(blob.AsSpan(at));
        at += n * sizeof(long);
        for (var k = 0; k < prices.Length; k++)
        {
            if ((flags & (1 << k)) != 0)
            {
                var whole = MemoryMarshal.Cast<byte, long>(blob.AsSpan(at, n * sizeof(long)));
                for (var i = 0; i < n; i++)
                {
                    whole[i] = (long)prices[k][i];
                }

                at += n * sizeof(long);
            }
            else
            {
                MemoryMarshal.AsBytes(prices[k].AsSpan()).CopyTo(blob.AsSpan(at));
                at += n * sizeof(decimal);
            }
        }

        return blob;
    }

    /// <summary>The bars in [from, to], or null when the stock has none there.</summary>
    public static BarSeries? Decode(ReadOnlySpan<byte> blob, StockCode code, PriceBasis basis, DateOnly from, DateOnly to)
    {
        if (blob.Length < HeaderBytes || blob[0] != Format)
        {
            throw new InvalidDataException($"{code}: the cached series has an unknown format");
        }

        var n = BinaryPrimitives.ReadInt32LittleEndian(blob[1..]);
        var flags = blob[5];
        var days = MemoryMarshal.Cast<byte, int>(blob.Slice(HeaderBytes, n * sizeof(int)));
        var start = LowerBound(days, from.DayNumber);
        var end = LowerBound(days, to.DayNumber + 1);
        var length = end - start;
        if (length <= 0)
        {
            return null;
        }

        var dates = new DateOnly[length];
        for (var i = 0; i < length; i++)
        {
            dates[i] = DateOnly.FromDayNumber(days[start + i]);
        }

        var at = HeaderBytes + (n * sizeof(int));
        var volume = MemoryMarshal.Cast<byte, long>(blob.Slice(at, n * sizeof(long))).Slice(start, length).ToArray();
        at += n * sizeof(long);
        var prices = new decimal[4][];
        for (var k = 0; k < prices.Length; k++)
        {
            var column = new decimal[length];
            if ((flags & (1 << k)) != 0)
            {
                var whole = MemoryMarshal.Cast<byte, long>(blob.Slice(at, n * sizeof(long))).Slice(start, length);
                for (var i = 0; i < length; i++)
                {
                    column[i] = whole[i];
                }

                at += n * sizeof(long);
            }
            else
            {
                MemoryMarshal.Cast<byte, decimal>(blob.Slice(at, n * sizeof(decimal))).Slice(start, length).CopyTo(column);
                at += n * sizeof(decimal);
            }

            prices[k] = column;
        }

        return new BarSeries(code, basis, dates, prices[0], prices[1], prices[2], prices[3], volume);
    }

    private static bool AllWhole(decimal[] values)
    {
        foreach (var v in values)
        {
            if (!decimal.IsInteger(v) || v < long.MinValue || v > long.MaxValue)
            {
                return false;
            }
        }

        return true;
    }

    private static int LowerBound(ReadOnlySpan<int> sorted, int value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
