#!/usr/bin/env python3
"""The baseline of the handbook benchmark: the fraud-detection handbook's feature transformation,
written in pandas the way its notebooks do it (one groupby-apply per customer and per terminal,
each group rolled over its own time index).

    python3 bench/baselines/handbook_features.py transactions.csv [--out features.csv]

Reads a CSV in the handbook's format (TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID,
TX_AMOUNT, TX_FRAUD, ...), adds

- TX_DURING_WEEKEND, TX_DURING_NIGHT (hour <= 6);
- per customer, over the last 1, 7 and 30 days: number of transactions and average amount;
- per terminal, over 1, 7 and 30 days ending 7 days before each transaction (labels arrive a week
  late): number of transactions and risk (frauds / transactions, 0 when there were none);

and writes every input column plus the 15 features as CSV, in time order. CSV because it is the
text a notebook hands on to the next tool, as fraudmini's decisions are JSON Lines text: both jobs
end by encoding every row. `--out -` skips the write (features only).

Prints one JSON line on stdout: rows, seconds per step, and peak RSS (getrusage, KiB).
"""

import argparse
import json
import resource
import sys
import time

try:
    import numpy as np
    import pandas as pd
except ImportError as e:
    sys.exit(f'handbook_features.py needs pandas (Debian: apt-get install python3-pandas): {e}')

CUSTOMER_WINDOWS = [1, 7, 30]
TERMINAL_WINDOWS = [1, 7, 30]
DELAY_DAYS = 7


def is_weekend(tx_datetime):
    # Monday is 0: Saturday and Sunday are 5 and 6.
    return int(tx_datetime.weekday() >= 5)


def is_night(tx_datetime):
    return int(tx_datetime.hour <= 6)


def customer_spending(customer_tx, windows=CUSTOMER_WINDOWS):
    """Count and mean amount of one customer's transactions over each window, ending at each."""
    customer_tx = customer_tx.sort_values('TX_DATETIME')
    customer_tx.index = customer_tx.TX_DATETIME
    for days in windows:
        amount_sum = customer_tx['TX_AMOUNT'].rolling(f'{days}d').sum()
        count = customer_tx['TX_AMOUNT'].rolling(f'{days}d').count()
        customer_tx[f'CUSTOMER_ID_NB_TX_{days}DAY_WINDOW'] = list(count)
        customer_tx[f'CUSTOMER_ID_AVG_AMOUNT_{days}DAY_WINDOW'] = list(amount_sum / count)
    customer_tx.index = customer_tx.TRANSACTION_ID
    return customer_tx


def terminal_risk(terminal_tx, delay=DELAY_DAYS, windows=TERMINAL_WINDOWS, key='TERMINAL_ID'):
    """Count and fraud rate of one terminal's transactions in each window ending `delay` days ago.

    A window [t - delay - w, t - delay] is the rolling (delay + w) days minus the rolling delay
    days, as the handbook computes it.
    """
    terminal_tx = terminal_tx.sort_values('TX_DATETIME')
    terminal_tx.index = terminal_tx.TX_DATETIME
    frauds_delay = terminal_tx['TX_FRAUD'].rolling(f'{delay}d').sum()
    count_delay = terminal_tx['TX_FRAUD'].rolling(f'{delay}d').count()
    for days in windows:
        frauds_all = terminal_tx['TX_FRAUD'].rolling(f'{delay + days}d').sum()
        count_all = terminal_tx['TX_FRAUD'].rolling(f'{delay + days}d').count()
        frauds = frauds_all - frauds_delay
        count = count_all - count_delay
        terminal_tx[f'{key}_NB_TX_{days}DAY_WINDOW'] = list(count)
        terminal_tx[f'{key}_RISK_{days}DAY_WINDOW'] = list(frauds / count)
    terminal_tx.index = terminal_tx.TRANSACTION_ID
    # A window without transactions has no risk: 0, as the handbook fills it.
    terminal_tx.fillna(0, inplace=True)
    return terminal_tx


def vectorised(tx):
    """The same features without a Python call per group: `groupby(...).rolling(...)` over frames
    sorted by entity and time, whose results come back in the frame's order. What a notebook
    written for speed does; the ratio is taken against the faster of the two."""
    tx['TX_DURING_WEEKEND'] = (tx.TX_DATETIME.dt.weekday >= 5).astype(int)
    tx['TX_DURING_NIGHT'] = (tx.TX_DATETIME.dt.hour <= 6).astype(int)
    tx = tx.sort_values(['CUSTOMER_ID', 'TX_DATETIME'], kind='stable').reset_index(drop=True)
    by_customer = tx.groupby('CUSTOMER_ID', sort=False)
    for days in CUSTOMER_WINDOWS:
        rolled = by_customer.rolling(f'{days}d', on='TX_DATETIME')['TX_AMOUNT']
        amount_sum = rolled.sum().to_numpy()
        count = rolled.count().to_numpy()
        tx[f'CUSTOMER_ID_NB_TX_{days}DAY_WINDOW'] = count
        tx[f'CUSTOMER_ID_AVG_AMOUNT_{days}DAY_WINDOW'] = amount_sum / count
    tx = tx.sort_values(['TERMINAL_ID', 'TX_DATETIME'], kind='stable').reset_index(drop=True)
    by_terminal = tx.groupby('TERMINAL_ID', sort=False)

    def rolled(days, how):
        r = by_terminal.rolling(f'{days}d', on='TX_DATETIME')['TX_FRAUD']
        return (r.sum() if how == 'sum' else r.count()).to_numpy()

    frauds_delay = rolled(DELAY_DAYS, 'sum')
    count_delay = rolled(DELAY_DAYS, 'count')
    for days in TERMINAL_WINDOWS:
        frauds = rolled(DELAY_DAYS + days, 'sum') - frauds_delay
        count = rolled(DELAY_DAYS + days, 'count') - count_delay
        tx[f'TERMINAL_ID_NB_TX_{days}DAY_WINDOW'] = count
        # A window without transactions has no risk: 0, as the handbook fills it.
        tx[f'TERMINAL_ID_RISK_{days}DAY_WINDOW'] = frauds / np.where(count > 0, count, 1)
    return tx.sort_values('TX_DATETIME', kind='stable').reset_index(drop=True)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('input')
    parser.add_argument('--out', help='features CSV (default: <input>.features.csv; - for no output)')
    parser.add_argument('--method', choices=['apply', 'vectorised'], default='apply',
                        help='apply: the handbook notebooks\' groupby-apply (default); vectorised: groupby-rolling')
    args = parser.parse_args(argv)
    out = args.out if args.out is not None else f'{args.input}.features.csv'

    steps = {}
    t0 = time.perf_counter()
    tx = pd.read_csv(args.input, parse_dates=['TX_DATETIME'])
    steps['read'] = time.perf_counter() - t0

    if args.method == 'vectorised':
        t = time.perf_counter()
        tx = vectorised(tx)
        steps['features'] = time.perf_counter() - t
        return finish(tx, out, steps, t0, args.method)

    t = time.perf_counter()
    tx['TX_DURING_WEEKEND'] = tx.TX_DATETIME.apply(is_weekend)
    tx['TX_DURING_NIGHT'] = tx.TX_DATETIME.apply(is_night)
    steps['weekend_night'] = time.perf_counter() - t

    t = time.perf_counter()
    tx = tx.groupby('CUSTOMER_ID', group_keys=False).apply(customer_spending)
    tx = tx.sort_values('TX_DATETIME').reset_index(drop=True)
    steps['customer'] = time.perf_counter() - t

    t = time.perf_counter()
    tx = tx.groupby('TERMINAL_ID', group_keys=False).apply(terminal_risk)
    tx = tx.sort_values('TX_DATETIME').reset_index(drop=True)
    steps['terminal'] = time.perf_counter() - t

    return finish(tx, out, steps, t0, args.method)


def finish(tx, out, steps, t0, method):
    t = time.perf_counter()
    if out != '-':
        tx.to_csv(out, index=False)
    steps['write'] = time.perf_counter() - t

    steps['total'] = time.perf_counter() - t0
    # Linux reports ru_maxrss in KiB.
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        'rows': int(len(tx)),
        'features': 2 + 2 * len(CUSTOMER_WINDOWS) + 2 * len(TERMINAL_WINDOWS),
        'seconds': {k: round(v, 3) for k, v in steps.items()},
        'maxrss_kib': peak_kib,
        'pandas': pd.__version__,
        'method': method,
        'out': None if out == '-' else out,
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
