#!/usr/bin/python3
"""bench/clv_scipy.py: BG/NBD fit in the database against SciPy, and scoring
throughput against a plain scan.  Run by bench/clv.sh, which starts the
cluster, loads the tables and sets PGHOST/PGPORT/PGUSER.

The SciPy side is what an analyst writes: read (frequency, recency, T)
through psycopg2, the BG/NBD log-likelihood in NumPy (the Python package
lifetimes' formula), scipy.optimize.minimize (BFGS, numerical gradient,
default tolerances) on the log-parameters from (1, 1, 1, 1).  Times are
wall-clock, end to end (reading included), best of `repeats` runs.
"""
import sys
import time

import numpy as np
import psycopg2
from scipy.optimize import minimize
from scipy.special import gammaln

DB = "dbname=profile_bench"


def timed(fn, repeats):
    best, out = None, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        elapsed = time.perf_counter() - start
        best = elapsed if best is None or elapsed < best else best
    return best, out


def db_fit(conn, table, path):
    with conn.cursor() as cur:
        if path == "aggregate":
            cur.execute(f"SELECT (f).r, (f).alpha, (f).a, (f).b, (f).loglik, (f).converged "
                        f"FROM (SELECT profile.clv_bgnbd(frequency, recency, t) AS f FROM {table}) s")
        else:
            cur.execute(f"SELECT r, alpha, a, b, loglik, converged FROM profile.clv_bgnbd_fit_scan("
                        f"'SELECT customer_id, frequency, recency, t FROM {table}')")
        return cur.fetchone()


def negll(log_params, x, tx, T):
    r, alpha, a, b = np.exp(log_params)
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx)
    ll = A1 + A2 + np.logaddexp(A3, np.where(x > 0, A4, -np.inf))
    return -ll.mean()


def scipy_fit(conn, table):
    with conn.cursor() as cur:
        cur.execute(f"SELECT frequency, recency, t FROM {table}")
        data = np.array(cur.fetchall(), dtype=float)
    x, tx, T = data[:, 0], data[:, 1], data[:, 2]
    res = minimize(negll, np.zeros(4), args=(x, tx, T))
    r, alpha, a, b = np.exp(res.x)
    return r, alpha, a, b, -res.fun * len(x), res.success


def sig4(u, v):
    return all(float(f"{p:.4g}") == float(f"{q:.4g}") for p, q in zip(u, v))


def main():
    conn = psycopg2.connect(DB)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SET client_min_messages = error")
    print("BG/NBD fit: seconds (best of runs), in-database vs SciPy, end to end")
    print(f"{'data':<26} {'customers':>9} {'aggregate':>9} {'scan':>8} {'scipy':>8} "
          f"{'scipy/agg':>9} {'scipy/scan':>10} {'same 4 sig. digits':>18}")
    for table, label, repeats in [("cdnow", "CDNOW sample", 3), ("cdnow10", "CDNOW sample x 10", 3),
                                  ("sim1m", "simulated", 1)]:
        with conn.cursor() as cur:
            cur.execute(f"SELECT count(*) FROM {table}")
            n = cur.fetchone()[0]
        t_agg, fit_agg = timed(lambda: db_fit(conn, table, "aggregate"), repeats)
        t_scan, fit_scan = timed(lambda: db_fit(conn, table, "scan"), repeats)
        t_py, fit_py = timed(lambda: scipy_fit(conn, table), 1 if n > 100000 else repeats)
        same = sig4(fit_agg[:4], fit_py[:4])
        print(f"{label:<26} {n:>9} {t_agg:>9.3f} {t_scan:>8.3f} {t_py:>8.3f} "
              f"{t_py / t_agg:>9.1f} {t_py / t_scan:>10.1f} {str(same):>18}")
        for name, f in [("aggregate", fit_agg), ("scan", fit_scan), ("scipy", fit_py)]:
            print(f"    {name:<9} r={f[0]:.6g} alpha={f[1]:.6g} a={f[2]:.6g} b={f[3]:.6g} "
                  f"loglik={f[4]:.8g} converged={f[5]}")
        sys.stdout.flush()

    print()
    print("Scoring 1,000,000 customers: seconds (best of 3) vs a plain scan of the same rows")
    plain = "SELECT sum(frequency + recency + t) FROM sim1m"
    cases = [
        ("plain scan: sum(frequency + recency + t)", plain),
        ("clv_p_alive (by name)", "SELECT sum(profile.clv_p_alive('bench_clv', frequency, recency, t)) FROM sim1m"),
        ("clv_p_alive (model value)", "SELECT sum(profile.clv_p_alive(m, frequency, recency, t)) FROM sim1m, "
                                      "(SELECT profile.clv_bgnbd(frequency, recency, t) AS m FROM cdnow) f"),
        ("clv_expected_purchases, 52 weeks", "SELECT sum(profile.clv_expected_purchases('bench_clv', frequency, recency, t, 52)) FROM sim1m"),
        ("clv_value, 12 months", "SELECT sum(profile.clv_value('bench_clv', frequency, recency, t, monetary)) FROM sim1m"),
        ("clv_score (all columns)", "SELECT sum(clv) FROM profile.clv_score('bench_clv', 'SELECT customer_id, frequency, recency, t, monetary FROM sim1m')"),
    ]
    base = None
    for label, sql in cases:
        def run():
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchone()
        t, _ = timed(run, 3)
        base = base or t
        print(f"  {label:<42} {t:>7.3f} s  {t / base:>6.1f}x the plain scan  {1e6 / t / 1e6:>6.2f} M customers/s")


if __name__ == "__main__":
    main()
