#!/usr/bin/env python3
"""The detection baselines of the handbook protocol: XGBoost and a random forest on the fraud-detection
handbook's 15 features, each tuned over a small grid, measured on the handbook's split.

    python3 bench/baselines/handbook_models.py transactions.csv [transactions2.csv ...] [--json]

Each file is in the handbook's format (fraudmini generate --style handbook). Per file:

- the 15 features of the handbook (handbook_features.py, vectorised): amount, weekend, night; per
  customer over 1, 7 and 30 days the number of transactions and mean amount; per terminal over 1,
  7 and 30 days ending 7 days before the transaction, the number of transactions and the risk;
- the handbook's split: train on the 7 days from 2018-07-25, a 7-day delay, test on the 7 days
  from 2018-08-08; a test day leaves out the customers with a fraud known by then (one on a
  training day or on a delay day more than 7 days before it);
- model selection as the handbook's chapter 5 does it, on time and respecting the delay: each grid
  point is trained on the same split shifted back by the delay and the test length (train from
  2018-07-11, test from 2018-07-25: the validation test week is the training week, whose labels
  are known), and the point with the best validation average precision is retrained on the
  training week;
- metrics on the test week: ROC AUC, average precision, card precision@100 (per day, the 100
  customers with the highest score, cards found removed from later days, averaged over days).

Prints one line per model and file, then mean ± sd over files; with --json one JSON object.
Needs scikit-learn and xgboost (Debian: apt-get install python3-sklearn python3-xgboost).
"""

import argparse
import datetime
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

try:
    import numpy as np
    import pandas as pd
    import sklearn.ensemble
    import sklearn.metrics
    import xgboost
except ImportError as e:
    sys.exit(f'handbook_models.py needs pandas, scikit-learn and xgboost '
             f'(Debian: apt-get install python3-pandas python3-sklearn python3-xgboost): {e}')

from handbook_features import vectorised  # noqa: E402  (after the path insert)

FEATURES = [
    'TX_AMOUNT', 'TX_DURING_WEEKEND', 'TX_DURING_NIGHT',
    'CUSTOMER_ID_NB_TX_1DAY_WINDOW', 'CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW',
    'CUSTOMER_ID_NB_TX_7DAY_WINDOW', 'CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW',
    'CUSTOMER_ID_NB_TX_30DAY_WINDOW', 'CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW',
    'TERMINAL_ID_NB_TX_1DAY_WINDOW', 'TERMINAL_ID_RISK_1DAY_WINDOW',
    'TERMINAL_ID_NB_TX_7DAY_WINDOW', 'TERMINAL_ID_RISK_7DAY_WINDOW',
    'TERMINAL_ID_NB_TX_30DAY_WINDOW', 'TERMINAL_ID_RISK_30DAY_WINDOW',
]
TRAIN_START = datetime.datetime(2018, 7, 25)
TRAIN_DAYS, DELAY_DAYS, TEST_DAYS = 7, 7, 7

# Small grids around the handbook's chapter 5 choices.
XGB_GRID = [dict(max_depth=d, n_estimators=n, learning_rate=lr)
            for d in (3, 6, 9) for n in (50, 100) for lr in (0.1, 0.3)]
RF_GRID = [dict(max_depth=d, n_estimators=n) for d in (10, 20, None) for n in (50, 100)]


def split(tx, start):
    """The handbook's get_train_test_set: training week, and test week without known-compromised customers."""
    day0 = (start - datetime.datetime(2018, 4, 1)).days
    train = tx[(tx.TX_TIME_DAYS >= day0) & (tx.TX_TIME_DAYS < day0 + TRAIN_DAYS)]
    known = set(train[train.TX_FRAUD == 1].CUSTOMER_ID)
    test = []
    for day in range(TEST_DAYS):
        test_day = tx[tx.TX_TIME_DAYS == day0 + TRAIN_DAYS + DELAY_DAYS + day]
        delay_day = tx[tx.TX_TIME_DAYS == day0 + TRAIN_DAYS + day - 1]
        known |= set(delay_day[delay_day.TX_FRAUD == 1].CUSTOMER_ID)
        test.append(test_day[~test_day.CUSTOMER_ID.isin(known)])
    return train, pd.concat(test)


def card_precision_at_k(test, scores, k=100):
    """Per day: the k customers with the highest score; found frauds leave the later days."""
    df = test[['TX_TIME_DAYS', 'CUSTOMER_ID', 'TX_FRAUD']].copy()
    df['score'] = scores
    detected = set()
    per_day = []
    for day in sorted(df.TX_TIME_DAYS.unique()):
        d = df[(df.TX_TIME_DAYS == day) & ~df.CUSTOMER_ID.isin(detected)]
        top = d.groupby('CUSTOMER_ID').max().sort_values('score', ascending=False).head(k)
        found = list(top[top.TX_FRAUD == 1].index)
        detected |= set(found)
        per_day.append(len(found) / k)
    return float(np.mean(per_day))


def metrics(test, scores):
    y = test.TX_FRAUD.to_numpy()
    return {
        'auc': float(sklearn.metrics.roc_auc_score(y, scores)),
        'ap': float(sklearn.metrics.average_precision_score(y, scores)),
        'cp100': card_precision_at_k(test, scores),
    }


def make(kind, params):
    if kind == 'xgboost':
        return xgboost.XGBClassifier(random_state=0, n_jobs=1, eval_metric='logloss', **params)
    return sklearn.ensemble.RandomForestClassifier(random_state=0, n_jobs=1, **params)


def fit_score(kind, params, train, test):
    model = make(kind, params)
    model.fit(train[FEATURES].to_numpy(), train.TX_FRAUD.to_numpy())
    return model.predict_proba(test[FEATURES].to_numpy())[:, 1]


def run_file(path):
    tx = pd.read_csv(path, parse_dates=['TX_DATETIME'])
    tx = vectorised(tx)
    train, test = split(tx, TRAIN_START)
    valid_train, valid_test = split(tx, TRAIN_START - datetime.timedelta(days=DELAY_DAYS + TEST_DAYS))
    out = {'file': path, 'train_rows': len(train), 'train_frauds': int(train.TX_FRAUD.sum()),
           'test_rows': len(test), 'test_frauds': int(test.TX_FRAUD.sum()), 'models': {}}
    for kind, grid in (('xgboost', XGB_GRID), ('random forest', RF_GRID)):
        t0 = time.perf_counter()
        best = max(grid, key=lambda p: sklearn.metrics.average_precision_score(
            valid_test.TX_FRAUD, fit_score(kind, p, valid_train, valid_test)))
        m = metrics(test, fit_score(kind, best, train, test))
        m['params'] = best
        m['seconds'] = round(time.perf_counter() - t0, 1)
        out['models'][kind] = m
    return out


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('inputs', nargs='+')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args(argv)
    runs = []
    for path in args.inputs:
        r = run_file(path)
        runs.append(r)
        if not args.json:
            for kind, m in r['models'].items():
                print(f"{path}  {kind:13s}  AUC {m['auc']:.3f}  AP {m['ap']:.3f}  CP@100 {m['cp100']:.3f}  {m['params']}  {m['seconds']} s",
                      flush=True)
    summary = {}
    for kind in ('xgboost', 'random forest'):
        summary[kind] = {}
        for metric in ('auc', 'ap', 'cp100'):
            xs = np.array([r['models'][kind][metric] for r in runs])
            summary[kind][metric] = {'mean': float(xs.mean()), 'sd': float(xs.std(ddof=1)) if len(xs) > 1 else 0.0}
    if args.json:
        print(json.dumps({'runs': runs, 'mean': summary, 'xgboost': xgboost.__version__, 'sklearn': sklearn.__version__}))
    else:
        for kind, s in summary.items():
            print(f"mean ± sd ({len(runs)})  {kind:13s}  " + '  '.join(
                f"{name} {s[metric]['mean']:.3f} ± {s[metric]['sd']:.3f}"
                for name, metric in (('AUC', 'auc'), ('AP', 'ap'), ('CP@100', 'cp100'))))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
