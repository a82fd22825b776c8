namespace KrxHub.Core.Validation;

/// <summary>
/// One daily-bar row as a source delivered it, before validation: every field is still text, so that a
/// missing or non-numeric value can be reported instead of failing the whole file.
/// </summary>
/// <remarks>
/// The numeric fields can be slices of <see cref="Payload"/> (<see cref="TextSlice"/>) instead of strings of their own:
/// the CSV reader hands them out that way, saving six strings per row (a fifth of what a million-row import allocated).
/// Their string properties make the string when asked.
/// </remarks>
public sealed class RawDailyRow
{
    private TextSlice _open;
    private TextSlice _high;
    private TextSlice _low;
    private TextSlice _close;
    private TextSlice _volume;
    private TextSlice _tradingValue;
    private TextSlice _marketCap;
    private TextSlice _listedShares;
    private TextSlice _change;

    /// <summary>Where the row came from (1-based line or record number within the file or response).</summary>
    public long Line { get; init; }

    /// <summary>The original row text, stored verbatim in quarantine.</summary>
    public required string Payload { get; init; }

    public string? Code { get; set; }
    public string? Date { get; set; }
    public string? Open { get => _open.ToString(); set => _open = TextSlice.Of(value); }
    public string? High { get => _high.ToString(); set => _high = TextSlice.Of(value); }
    public string? Low { get => _low.ToString(); set => _low = TextSlice.Of(value); }
    public string? Close { get => _close.ToString(); set => _close = TextSlice.Of(value); }
    public string? Volume { get => _volume.ToString(); set => _volume = TextSlice.Of(value); }
    public string? TradingValue { get => _tradingValue.ToString(); set => _tradingValue = TextSlice.Of(value); }
    public string? MarketCap { get => _marketCap.ToString(); set => _marketCap = TextSlice.Of(value); }
    public string? ListedShares { get => _listedShares.ToString(); set => _listedShares = TextSlice.Of(value); }

    /// <summary>Change against the base price, as KRX reports it (CMPPREVDD_PRC); gives the exact base for the limit check.</summary>
    public string? Change { get => _change.ToString(); set => _change = TextSlice.Of(value); }

    public TextSlice OpenText { get => _open; set => _open = value; }
    public TextSlice HighText { get => _high; set => _high = value; }
    public TextSlice LowText { get => _low; set => _low = value; }
    public TextSlice CloseText { get => _close; set => _close = value; }
    public TextSlice VolumeText { get => _volume; set => _volume = value; }
    public TextSlice TradingValueText { get => _tradingValue; set => _tradingValue = value; }
    public TextSlice MarketCapText { get => _marketCap; set => _marketCap = value; }
    public TextSlice ListedSharesText { get => _listedShares; set => _listedShares = value; }
    public TextSlice ChangeText { get => _change; set => _change = value; }

    /// <summary>KRX FLUC_TP_CD: 1 up, 2 down, 3 unchanged, 0 no trade, 4 limit-up, 5 limit-down.</summary>
    public string? ChangeCode { get; set; }

    /// <summary>Name and market when the source carries them (KRX JSON, marcap); used to update the master.</summary>
    public string? Name { get; set; }
    public string? Market { get; set; }
}
