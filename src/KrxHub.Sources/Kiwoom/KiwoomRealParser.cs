using System.Globalization;
using System.Text.Json;
using KrxHub.Core;
using KrxHub.Core.Live;

namespace KrxHub.Sources.Kiwoom;

/// <summary>
/// One entry of a REAL push's data array: the event it gave, or why it was skipped (<see cref="Error"/>), or neither
/// for a real type this client does not read (00 주문체결 arrives for the account whatever was registered).
/// </summary>
internal readonly record struct RealEntry(string? Type, string? Item, LiveEvent? Event, string? Error);

/// <summary>
/// Reads 0B (주식체결) and 0D (주식호가잔량) entries. Values are strings with a sign prefix that encodes the direction
/// against the previous close ("+70700", "-78800"): prices and counts are taken as absolute values, changes keep their
/// sign (or take it from FID 25). Parsing is exact (decimal). A missing required FID or any unreadable value skips
/// the whole entry: a half-read tick would be wrong in a way nobody downstream could see.
/// </summary>
internal static class KiwoomRealParser
{
    public const string TradeType = "0B";
    public const string BookType = "0D";
    public const string IndexType = "0J";
    public const int BookDepth = 10;

    /// <param name="indexItems">Kiwoom sector item → KRX index code: the 0J items to read (others are ignored).</param>
    public static RealEntry Parse(JsonElement entry, DateOnly kstDate, decimal accValueUnit, IReadOnlyDictionary<string, string>? indexItems = null)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return new RealEntry(null, null, null, $"entry is a JSON {entry.ValueKind}, not an object");
        }

        var type = Text(entry, "type");
        var item = Text(entry, "item");
        if (type == IndexType && item is not null && indexItems?.GetValueOrDefault(item.Trim()) is { } indexCode)
        {
            if (!entry.TryGetProperty("values", out var indexValues) || indexValues.ValueKind != JsonValueKind.Object)
            {
                return new RealEntry(type, item, null, "no 'values' object");
            }

            var f = new Fields(indexValues);
            var level = Index(f, indexCode, kstDate, accValueUnit);
            return f.Error is { } indexError ? new RealEntry(type, item, null, indexError) : new RealEntry(type, item, level, null);
        }

        if (type is not (TradeType or BookType))
        {
            return new RealEntry(type, item, null, null);
        }

        if (!StockCode.TryParse(item, out var code, out var codeError))
        {
            return new RealEntry(type, item, null, "item: " + codeError);
        }

        if (!entry.TryGetProperty("values", out var values) || values.ValueKind != JsonValueKind.Object)
        {
            return new RealEntry(type, item, null, "no 'values' object");
        }

        var fields = new Fields(values);
        LiveEvent? parsed = type == TradeType ? Trade(fields, code, kstDate, accValueUnit) : Book(fields, code, kstDate);
        return fields.Error is { } error ? new RealEntry(type, item, null, error) : new RealEntry(type, item, parsed, null);
    }

    private static LiveTick? Trade(Fields f, StockCode code, DateOnly date, decimal accValueUnit)
    {
        var time = f.Time("20", date);
        var price = f.Price("10");
        var change = f.Change("11");
        var changePct = f.Change("12");
        var volume = f.Count("15");
        var accVolume = f.Count("13");
        var accValue = f.Count("14");
        var open = f.Price("16");
        var high = f.Price("17");
        var low = f.Price("18");
        var bestAsk = f.OptionalPrice("27");
        var bestBid = f.OptionalPrice("28");
        var strength = f.OptionalSigned("228");
        var session = f.OptionalText("290");
        if (f.Error is null && price == 0m)
        {
            f.Fail("FID 10 (현재가) is zero: no trade price");
        }

        if (f.Error is null && volume > accVolume)
        {
            f.Fail($"FID 15 (거래량) {volume} exceeds FID 13 (누적거래량) {accVolume}");
        }

        return f.Error is not null ? null : new LiveTick(code, time, LiveSources.Kiwoom, price, change, changePct, volume, accVolume,
            accValue * accValueUnit, open, high, low)
        {
            BestAsk = bestAsk,
            BestBid = bestBid,
            Strength = strength,
            SessionCode = session,
        };
    }

    /// <summary>0J 업종지수: FIDs 20 time, 10 level, 11 change, 12 rate, 13 accumulated volume, 14 value, 16-18 open/high/low.</summary>
    private static Core.Indices.LiveIndexLevel? Index(Fields f, string indexCode, DateOnly date, decimal accValueUnit)
    {
        var time = f.Time("20", date);
        var level = f.Price("10");
        var change = f.Change("11");
        var changePct = f.Change("12");
        var accVolume = f.OptionalCount("13");
        var accValue = f.OptionalCount("14");
        var open = f.OptionalPrice("16");
        var high = f.OptionalPrice("17");
        var low = f.OptionalPrice("18");
        if (f.Error is null && level == 0m)
        {
            f.Fail("FID 10 (현재가) is zero: no index level");
        }

        return f.Error is not null ? null : new Core.Indices.LiveIndexLevel(indexCode, time, LiveSources.Kiwoom, level, change, changePct, open, high, low,
            accVolume, accValue * accValueUnit);
    }

    private static OrderBook? Book(Fields f, StockCode code, DateOnly date)
    {
        var time = f.Time("21", date);
        var asks = Levels(f, 41, 61);
        var bids = Levels(f, 51, 71);
        var totalAsk = f.Count("121");
        var totalBid = f.Count("125");
        return f.Error is not null ? null : new OrderBook(code, time, LiveSources.Kiwoom, asks, bids, totalAsk, totalBid);
    }

    /// <summary>Levels 1..10 best first. A level without a price or without quantity is empty and left out.</summary>
    private static List<BookLevel> Levels(Fields f, int firstPriceFid, int firstQtyFid)
    {
        var levels = new List<BookLevel>(BookDepth);
        for (var i = 0; i < BookDepth; i++)
        {
            var price = f.OptionalPrice(Fid(firstPriceFid + i)) ?? 0m;
            var qty = f.OptionalCount(Fid(firstQtyFid + i)) ?? 0L;
            if (price > 0m && qty > 0L)
            {
                levels.Add(new BookLevel(price, qty));
            }
        }

        return levels;
    }

    private static string Fid(int fid) => fid.ToString(CultureInfo.InvariantCulture);

    private static string? Text(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Reads FIDs and remembers the first problem; every reader returns a harmless default once it failed.</summary>
    private sealed class Fields(JsonElement values)
    {
        private const int ShownValueLength = 40;

        public string? Error { get; private set; }

        public void Fail(string reason) => Error ??= reason;

        public DateTimeOffset Time(string fid, DateOnly date)
        {
            var text = Required(fid);
            if (text is null)
            {
                return default;
            }

            if (!TimeOnly.TryParseExact(text.Trim(), "HHmmss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            {
                Invalid(fid, text, "not a time (HHMMSS)");
                return default;
            }

            return new DateTimeOffset(date.ToDateTime(time), KiwoomValue.Kst);
        }

        public decimal Price(string fid) => Required(fid) is { } text ? PriceOf(fid, text) : 0m;

        public decimal? OptionalPrice(string fid) => Optional(fid) is { } text ? PriceOf(fid, text) : null;

        public long Count(string fid) => Required(fid) is { } text ? CountOf(fid, text) : 0L;

        public long? OptionalCount(string fid) => Optional(fid) is { } text ? CountOf(fid, text) : null;

        public decimal? OptionalSigned(string fid)
        {
            if (Optional(fid) is not { } text)
            {
                return null;
            }

            if (KiwoomValue.TrySigned(text, out var value) != FieldStatus.Ok)
            {
                Invalid(fid, text, "not a number");
            }

            return value;
        }

        public string? OptionalText(string fid) => Optional(fid)?.Trim();

        /// <summary>A change against the previous close, signed by FID 25 (전일대비기호) when that is present.</summary>
        public decimal Change(string fid)
        {
            if (Required(fid) is not { } text)
            {
                return 0m;
            }

            var sign = Optional("25");
            if (sign is not null && KiwoomValue.Direction(sign) is null)
            {
                Invalid("25", sign, "not a direction code 1-5");
                return 0m;
            }

            if (KiwoomValue.TryChange(text, sign, out var change) != FieldStatus.Ok)
            {
                Invalid(fid, text, "not a number");
            }

            return change;
        }

        private decimal PriceOf(string fid, string text)
        {
            if (KiwoomValue.TryPrice(text, out var price) != FieldStatus.Ok)
            {
                Invalid(fid, text, "not a price");
            }

            return price;
        }

        private long CountOf(string fid, string text)
        {
            if (KiwoomValue.TryCount(text, out var count) != FieldStatus.Ok)
            {
                Invalid(fid, text, "not a whole number");
            }

            return count;
        }

        private string? Required(string fid)
        {
            var text = Optional(fid);
            if (text is null)
            {
                Fail($"FID {fid} is missing");
            }

            return text;
        }

        /// <summary>The value's text; null when absent, JSON null or blank. Numbers are accepted as their literal.</summary>
        private string? Optional(string fid)
        {
            if (Error is not null || !values.TryGetProperty(fid, out var v))
            {
                return null;
            }

            switch (v.ValueKind)
            {
                case JsonValueKind.String:
                    var s = v.GetString();
                    return string.IsNullOrWhiteSpace(s) ? null : s;
                case JsonValueKind.Number:
                    return v.GetRawText();
                case JsonValueKind.Null:
                    return null;
                default:
                    Fail($"FID {fid} is a JSON {v.ValueKind}, not a string");
                    return null;
            }
        }

        private void Invalid(string fid, string text, string what)
        {
            var shown = text.Length <= ShownValueLength ? text : text[..ShownValueLength] + "…";
            Fail($"FID {fid} '{shown}' is {what}");
        }
    }
}
