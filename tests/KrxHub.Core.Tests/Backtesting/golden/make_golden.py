#!/usr/bin/env python3
"""Independent reference computation of the `sma-cross` backtest on 005930 (Samsung Electronics).

Written from the textual specification only (never from the C# engine), plain Python 3,
no third-party packages. Money uses decimal.Decimal (prec 28, no rounding of commission/tax);
statistics use float/math.

Regenerate:  python3 make_golden.py   (writes sma_cross_005930.json next to this file)
"""
import csv
import datetime as dt
import json
import math
import os
import sys
from decimal import Decimal, getcontext, localcontext, Inexact
from fractions import Fraction

getcontext().prec = 28

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))  # /work/main
BARS_CSV = os.environ.get(
    "GOLDEN_BARS_CSV",
    "/work/shared/reference/ohlcv/quantkang_stock_data/005930_D.csv")
CAL_CSV = os.environ.get(
    "GOLDEN_CAL_CSV",
    os.path.join(REPO, "data", "calendar", "xkrx-sessions-1986-2026.csv"))
OUT_JSON = os.path.join(HERE, "sma_cross_005930.json")

INITIAL_CASH = Decimal("100000000")
COMMISSION = Decimal("0.00015")
FROM = dt.date(2015, 1, 2)
TO = dt.date(2023, 12, 22)

# KOSPI sell (securities transaction) tax, keyed by settlement date (>= start applies).
KOSPI_TAX_TABLE = [
    (dt.date(1900, 1, 1), Decimal("0.0030")),
    (dt.date(2019, 6, 3), Decimal("0.0025")),
    (dt.date(2021, 1, 1), Decimal("0.0023")),
    (dt.date(2023, 1, 1), Decimal("0.0020")),
    (dt.date(2024, 1, 1), Decimal("0.0018")),
    (dt.date(2025, 1, 1), Decimal("0.0015")),
    (dt.date(2026, 1, 1), Decimal("0.0020")),
]
LIMIT_CHANGE = dt.date(2015, 6, 15)  # price limit 15% before, 30% from this date

VARIANTS = [
    # name, fast, slow, fill, tax ("dated" or flat Decimal)
    ("A", 5, 20, "close", "dated"),
    ("B", 5, 20, "close", Decimal("0.0018")),
    ("C", 5, 20, "next-open", "dated"),
    ("D", 10, 60, "close", "dated"),
]


def parse_ymd(s):
    return dt.date(int(s[0:4]), int(s[4:6]), int(s[6:8]))


def load_bars(path):
    bars = []
    with open(path, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            bars.append({
                "date": parse_ymd(r["date"]),
                "open": Decimal(r["open"]),
                "high": Decimal(r["high"]),
                "low": Decimal(r["low"]),
                "close": Decimal(r["close"]),
                "volume": int(r["volume"]),
            })
    for a, b in zip(bars, bars[1:]):
        assert a["date"] < b["date"], "bars must be strictly date-ordered"
    return bars


def load_sessions(path):
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        rd = csv.reader(f)
        next(rd)  # header
        for row in rd:
            if not row or not row[0]:
                continue
            out.append(dt.date.fromisoformat(row[0][:10]))
    for a, b in zip(out, out[1:]):
        assert a < b
    return out


class Calendar:
    def __init__(self, sessions):
        self.sessions = sessions
        self.index = {d: i for i, d in enumerate(sessions)}

    def next_session_after(self, d, n=1):
        """n-th session strictly after date d."""
        # find first session > d
        lo, hi = 0, len(self.sessions)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.sessions[mid] <= d:
                lo = mid + 1
            else:
                hi = mid
        k = lo + n - 1
        if k >= len(self.sessions):
            raise ValueError("calendar exhausted after %s" % d)
        return self.sessions[k]


def dated_tax(settlement):
    rate = None
    for start, r in KOSPI_TAX_TABLE:
        if settlement >= start:
            rate = r
    return rate


def sma_series(closes, w):
    """SMA_w[i] as Decimal (prec 28) and as exact Fraction (for exact comparisons)."""
    dec, frac = [None] * len(closes), [None] * len(closes)
    s = Decimal(0)
    for i, c in enumerate(closes):
        s += c
        if i >= w:
            s -= closes[i - w]
        if i >= w - 1:
            dec[i] = s / Decimal(w)
            frac[i] = Fraction(int(s), w)  # closes are integers
    return dec, frac


def limit_locked(bars, j, side):
    """Bar j is a locked-limit bar against `side` (buy: locked up, sell: locked down)."""
    b = bars[j]
    if j == 0:
        return False
    if not (b["open"] == b["high"] == b["low"] == b["close"]):
        return False
    prev = bars[j - 1]["close"]
    limit = Decimal("0.15") if b["date"] < LIMIT_CHANGE else Decimal("0.30")
    chg = b["close"] / prev - 1
    if side == "buy":
        return chg >= Decimal("0.98") * limit
    return chg <= -Decimal("0.98") * limit


def exact_money():
    """Context that raises if any money arithmetic would need rounding."""
    ctx = getcontext().copy()
    ctx.traps[Inexact] = True
    return localcontext(ctx)


def run_variant(bars, cal, fast, slow, fill, tax):
    closes = [b["close"] for b in bars]
    f_dec, f_fr = sma_series(closes, fast)
    s_dec, s_fr = sma_series(closes, slow)
    by_date = {b["date"]: i for i, b in enumerate(bars)}

    cash = INITIAL_CASH
    qty = 0
    trades = []
    cancelled = []
    qty_after_bar = {}  # bar index -> qty held at that bar's close
    pending = None  # (side, fill_bar_index, decision_date) for next-open

    def try_fill(side, j, decision_date):
        nonlocal cash, qty
        b = bars[j]
        if b["volume"] == 0:
            cancelled.append({"decisionDate": decision_date.isoformat(), "side": side,
                              "fillDate": b["date"].isoformat(), "reason": "no-trade bar"})
            return
        if limit_locked(bars, j, side):
            cancelled.append({"decisionDate": decision_date.isoformat(), "side": side,
                              "fillDate": b["date"].isoformat(), "reason": "limit lock"})
            return
        price = b["open"] if fill == "next-open" else b["close"]
        # approximate quotient (rounded division is fine: corrected exactly below)
        approx_q = int(cash / (price * (1 + COMMISSION))) if price > 0 else 0
        with exact_money():
            if side == "buy":
                unit = price * (1 + COMMISSION)
                q = approx_q
                # exact floor correction (guard against division rounding)
                while q > 0 and q * unit > cash:
                    q -= 1
                while (q + 1) * unit <= cash:
                    q += 1
                if q == 0:
                    cancelled.append({"decisionDate": decision_date.isoformat(), "side": side,
                                      "fillDate": b["date"].isoformat(), "reason": "qty 0"})
                    return
                notional = price * q
                comm = notional * COMMISSION
                t = Decimal(0)
                cash = cash - notional - comm
                qty = q
                assert cash >= 0
                trades.append({"date": b["date"], "side": "buy", "price": price,
                               "quantity": q, "commission": comm, "tax": t,
                               "taxRate": None, "settlement": None})
            else:
                q = qty
                notional = price * q
                comm = notional * COMMISSION
                settlement = cal.next_session_after(b["date"], 2)
                rate = dated_tax(settlement) if tax == "dated" else tax
                t = notional * rate
                cash = cash + notional - comm - t
                qty = 0
                trades.append({"date": b["date"], "side": "sell", "price": price,
                               "quantity": q, "commission": comm, "tax": t,
                               "taxRate": rate, "settlement": settlement})

    for i, b in enumerate(bars):
        # 1) pending next-open order fills at this bar's open
        if pending is not None and pending[1] == i:
            side, _, ddate = pending
            pending = None
            try_fill(side, i, ddate)
        # 2) decision at this bar's close
        d = b["date"]
        if FROM <= d <= TO and i >= 1 and f_fr[i - 1] is not None and s_fr[i - 1] is not None:
            f0, f1, s0, s1 = f_fr[i - 1], f_fr[i], s_fr[i - 1], s_fr[i]
            cross_up = f1 > s1 and f0 <= s0
            cross_down = f1 < s1 and f0 >= s0
            # Decimal comparison must agree with exact comparison
            fd0, fd1, sd0, sd1 = f_dec[i - 1], f_dec[i], s_dec[i - 1], s_dec[i]
            assert cross_up == (fd1 > sd1 and fd0 <= sd0)
            assert cross_down == (fd1 < sd1 and fd0 >= sd0)
            side = None
            if qty == 0 and cross_up:
                side = "buy"
            elif qty > 0 and cross_down:
                side = "sell"
            if side is not None:
                if fill == "close":
                    try_fill(side, i, d)
                else:
                    nxt = cal.next_session_after(d, 1)
                    if nxt > TO:
                        cancelled.append({"decisionDate": d.isoformat(), "side": side,
                                          "fillDate": nxt.isoformat(), "reason": "next session after `to`"})
                    elif nxt not in by_date:
                        cancelled.append({"decisionDate": d.isoformat(), "side": side,
                                          "fillDate": nxt.isoformat(), "reason": "no bar on next session"})
                    else:
                        pending = (side, by_date[nxt], d)
        qty_after_bar[i] = (qty, cash)
    assert pending is None or bars[pending[1]]["date"] > TO

    # Equity curve over KRX sessions in [FROM, TO]
    curve = []
    bi = -1
    for s in cal.sessions:
        if s < FROM or s > TO:
            continue
        while bi + 1 < len(bars) and bars[bi + 1]["date"] <= s:
            bi += 1
        assert bi >= 0
        q, c = qty_after_bar[bi]
        with exact_money():
            eq = c + q * bars[bi]["close"]
        curve.append({"date": s, "equity": eq, "cash": c, "qty": q})

    return trades, cancelled, curve


def metrics(trades, curve):
    E = [p["equity"] for p in curve]
    final = E[-1]
    n = len(E)
    total_return = float(final / INITIAL_CASH - 1)
    days = (curve[-1]["date"] - curve[0]["date"]).days
    cagr = float(final / INITIAL_CASH) ** (365.25 / days) - 1

    rets = []
    prev = INITIAL_CASH
    for e in E:
        rets.append(float(e / prev - 1))  # ratio in Decimal, then float
        prev = e
    mean = sum(rets) / n
    var = sum((r - mean) ** 2 for r in rets) / (n - 1)
    sd = math.sqrt(var)
    vol = sd * math.sqrt(252)
    sharpe = mean / sd * math.sqrt(252) if sd > 0 else None
    dd = math.sqrt(sum(min(r, 0.0) ** 2 for r in rets) / n)
    sortino = mean / dd * math.sqrt(252) if dd > 0 else None

    max_dd = 0.0
    peak_val, peak_date = E[0], curve[0]["date"]
    mdd_peak, mdd_trough = curve[0]["date"], curve[0]["date"]
    for p in curve:
        if p["equity"] > peak_val:
            peak_val, peak_date = p["equity"], p["date"]
        ddk = float(1 - p["equity"] / peak_val)
        if ddk > max_dd:
            max_dd, mdd_peak, mdd_trough = ddk, peak_date, p["date"]

    round_trips = 0
    wins = 0
    open_buy = None
    for t in trades:
        if t["side"] == "buy":
            open_buy = t
        else:
            round_trips += 1
            cost = open_buy["price"] * open_buy["quantity"] + open_buy["commission"]
            proceeds = t["price"] * t["quantity"] - t["commission"] - t["tax"]
            if proceeds > cost:
                wins += 1
            open_buy = None
    win_rate = wins / round_trips if round_trips else None

    traded = sum((t["price"] * t["quantity"] for t in trades), Decimal(0))
    mean_eq = sum(E, Decimal(0)) / n
    turnover = float(traded / 2 / mean_eq)
    exposure = sum(1 for p in curve if p["qty"] > 0) / n

    return {
        "finalEquity": str(final),
        "totalReturn": total_return,
        "cagr": cagr,
        "cagrDays": days,
        "volatility": vol,
        "sharpe": sharpe,
        "sortino": sortino,
        "maxDrawdown": max_dd,
        "maxDrawdownPeakDate": mdd_peak.isoformat(),
        "maxDrawdownTroughDate": mdd_trough.isoformat(),
        "trades": len(trades),
        "roundTrips": round_trips,
        "wins": wins,
        "winRate": win_rate,
        "turnover": turnover,
        "exposure": exposure,
        "curvePoints": n,
        "meanEquity": str(mean_eq),
        "sumTradedNotional": str(traded),
        "meanDailyReturn": mean,
        "stdevDailyReturn": sd,
    }


def main():
    bars = load_bars(BARS_CSV)
    cal = Calendar(load_sessions(CAL_CSV))
    out = {
        "generator": "make_golden.py (independent reference; see README.md)",
        "symbol": "005930",
        "market": "KOSPI",
        "strategy": "sma-cross",
        "from": FROM.isoformat(),
        "to": TO.isoformat(),
        "initialCash": str(INITIAL_CASH),
        "commission": str(COMMISSION),
        "variants": [],
    }
    for name, fast, slow, fill, tax in VARIANTS:
        trades, cancelled, curve = run_variant(bars, cal, fast, slow, fill, tax)
        m = metrics(trades, curve)

        def pt(p):
            return {"date": p["date"].isoformat(), "equity": str(p["equity"]),
                    "cash": str(p["cash"]), "quantity": p["qty"]}

        out["variants"].append({
            "name": name,
            "params": {"fast": fast, "slow": slow, "fill": fill,
                       "sellTax": "dated-kospi" if tax == "dated" else str(tax),
                       "from": FROM.isoformat(), "to": TO.isoformat(),
                       "initialCash": str(INITIAL_CASH), "commission": str(COMMISSION)},
            "metrics": m,
            "trades": [{
                "date": t["date"].isoformat(), "side": t["side"], "price": str(t["price"]),
                "quantity": t["quantity"], "commission": str(t["commission"]),
                "tax": str(t["tax"]),
                "taxRate": None if t["taxRate"] is None else str(t["taxRate"]),
                "settlementDate": None if t["settlement"] is None else t["settlement"].isoformat(),
            } for t in trades],
            "cancelledOrders": cancelled,
            "equityFirst5": [pt(p) for p in curve[:5]],
            "equityLast5": [pt(p) for p in curve[-5:]],
        })
    with open(OUT_JSON, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, ensure_ascii=False)
        f.write("\n")
    print("wrote", OUT_JSON)
    if "-v" in sys.argv or "--verbose" in sys.argv:
        for v in out["variants"]:
            print("\n== variant", v["name"], v["params"])
            for t in v["trades"]:
                print("  ", t["date"], t["side"], t["price"], t["quantity"], t["commission"], t["tax"],
                      t["taxRate"], t["settlementDate"])
            for c in v["cancelledOrders"]:
                print("   CANCELLED", c)
            print("  ", json.dumps(v["metrics"]))
    else:
        for v in out["variants"]:
            m = v["metrics"]
            print(v["name"], m["finalEquity"], "trades", m["trades"], "mdd", m["maxDrawdown"],
                  "sharpe", m["sharpe"])


if __name__ == "__main__":
    main()
