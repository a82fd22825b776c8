#!/usr/bin/env python3
"""Golden values for KrxHub.Core.Indicators, computed independently of the C# code.

Every indicator is written here from its textual definition (README "### Indicators"), in plain
Python with decimal.Decimal at 28 significant digits; no numpy/pandas. Where it was natural the
arithmetic differs on purpose from the C# (the SMA recomputes each window sum, the Bollinger
variance is the mean of squared deviations), so agreement is evidence, not a copy.

Input: the last ROWS daily bars of QuantKang/stock_data D/{code}_D.csv (adjusted prices; provenance in
../shared/reference/PROVENANCE.md, key QK). The slice is copied verbatim to {code}_D_last400.csv
here so the C# tests do not need ../shared at run time.
Output: {code}_indicators.csv, one row per input bar, empty cell = not defined (warm-up).

Run from anywhere:  python3 tests/KrxHub.Core.Tests/Indicators/golden/make_golden.py
"""
import csv
import os
import sys
from decimal import Decimal, getcontext

getcontext().prec = 28

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCE = os.path.normpath(os.path.join(HERE, "..", "..", "..", "..", "..", "shared", "reference",
                                          "ohlcv", "quantkang_stock_data"))
CODES = ["005930", "000660"]
ROWS = 400


def sma(values, period):
    out = [None] * len(values)
    for i in range(period - 1, len(values)):
        window = values[i - period + 1:i + 1]
        total = Decimal(0)
        for v in window:
            total += v
        out[i] = total / period
    return out


def ema(values, period):
    """Values may start with None (an undefined prefix, as for the MACD line)."""
    out = [None] * len(values)
    k = Decimal(2) / Decimal(period + 1)
    defined = [i for i, v in enumerate(values) if v is not None]
    if len(defined) < period:
        return out
    first = defined[0]
    seed_index = first + period - 1
    total = Decimal(0)
    for v in values[first:seed_index + 1]:
        total += v
    prev = total / period
    out[seed_index] = prev
    for i in range(seed_index + 1, len(values)):
        prev = prev + k * (values[i] - prev)
        out[i] = prev
    return out


def rsi(values, period):
    out = [None] * len(values)
    if len(values) <= period:
        return out
    gains = [None] + [max(values[i] - values[i - 1], Decimal(0)) for i in range(1, len(values))]
    losses = [None] + [max(values[i - 1] - values[i], Decimal(0)) for i in range(1, len(values))]
    avg_gain = sum(gains[1:period + 1], Decimal(0)) / period
    avg_loss = sum(losses[1:period + 1], Decimal(0)) / period
    for i in range(period, len(values)):
        if i > period:
            avg_gain = (avg_gain * (period - 1) + gains[i]) / period
            avg_loss = (avg_loss * (period - 1) + losses[i]) / period
        if avg_loss == 0:
            out[i] = Decimal(100) if avg_gain > 0 else Decimal(50)
        else:
            out[i] = Decimal(100) - Decimal(100) / (Decimal(1) + avg_gain / avg_loss)
    return out


def macd(values, fast, slow, signal):
    fast_ema = ema(values, fast)
    slow_ema = ema(values, slow)
    line = [None if (f is None or s is None) else f - s for f, s in zip(fast_ema, slow_ema)]
    sig = ema(line, signal)
    hist = [None if (m is None or s is None) else m - s for m, s in zip(line, sig)]
    return line, sig, hist


def bollinger(values, period, k):
    mid, up, low = [None] * len(values), [None] * len(values), [None] * len(values)
    for i in range(period - 1, len(values)):
        window = values[i - period + 1:i + 1]
        mean = sum(window, Decimal(0)) / period
        variance = sum(((x - mean) * (x - mean) for x in window), Decimal(0)) / period
        sd = variance.sqrt()
        mid[i], up[i], low[i] = mean, mean + k * sd, mean - k * sd
    return mid, up, low


def atr(high, low, close, period):
    out = [None] * len(close)
    tr = [None] + [max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1]))
                   for i in range(1, len(close))]
    if len(close) <= period:
        return out
    prev = sum(tr[1:period + 1], Decimal(0)) / period
    out[period] = prev
    for i in range(period + 1, len(close)):
        prev = (prev * (period - 1) + tr[i]) / period
        out[i] = prev
    return out


def fmt(d):
    return "" if d is None else format(d, "f")


def main():
    for code in CODES:
        with open(os.path.join(REFERENCE, f"{code}_D.csv"), encoding="utf-8", newline="") as f:
            lines = f.read().splitlines()
        header, body = lines[0], lines[1:]
        part = body[-ROWS:]
        with open(os.path.join(HERE, f"{code}_D_last{ROWS}.csv"), "w", encoding="utf-8", newline="") as f:
            f.write("\n".join([header] + part) + "\n")

        rows = list(csv.DictReader([header] + part))
        dates = [r["date"] for r in rows]
        high = [Decimal(r["high"]) for r in rows]
        low = [Decimal(r["low"]) for r in rows]
        close = [Decimal(r["close"]) for r in rows]

        columns = {
            "sma5": sma(close, 5),
            "sma20": sma(close, 20),
            "ema5": ema(close, 5),
            "ema20": ema(close, 20),
            "rsi14": rsi(close, 14),
            "rsi3": rsi(close, 3),
        }
        columns["macd"], columns["macd_signal"], columns["macd_hist"] = macd(close, 12, 26, 9)
        columns["bb20_mid"], columns["bb20_upper"], columns["bb20_lower"] = bollinger(close, 20, Decimal(2))
        columns["bb10_mid"], columns["bb10_upper"], columns["bb10_lower"] = bollinger(close, 10, Decimal("1.5"))
        columns["atr14"] = atr(high, low, close, 14)
        columns["atr5"] = atr(high, low, close, 5)

        with open(os.path.join(HERE, f"{code}_indicators.csv"), "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["date"] + list(columns))
            for i, d in enumerate(dates):
                w.writerow([d] + [fmt(columns[c][i]) for c in columns])
        print(f"{code}: {len(rows)} bars {dates[0]}..{dates[-1]}", file=sys.stderr)


if __name__ == "__main__":
    main()
