"""bench/kmeans_sklearn.py: what a user does instead of profile.kmeans_fit.

Run by bench/kmeans.sh with Debian's /usr/bin/python3 (python3-sklearn,
python3-numpy, python3-psycopg2) and OMP_NUM_THREADS=1
OPENBLAS_NUM_THREADS=1 (single thread).  It reads the table with psycopg2
into a NumPy matrix, then runs scikit-learn's KMeans (Lloyd) from the given
initial centroids for a fixed number of iterations:

    KMeans(k, init=INIT, n_init=1, max_iter=N, tol=0, algorithm='lloyd')

Times (time.perf_counter, seconds): read (execute + fetchall + np.array),
fit (KMeans(...).fit(X) with max_iter N), total = read + fit.  With
--per-iteration it also fits with max_iter 1 and N + 1 on the same matrix,
for scikit-learn's per-iteration time (t(N + 1) - t(1)) / N.

Usage: kmeans_sklearn.py --dsn CONNINFO --table SCHEMA.pts --k 8 --iter N
                         --init '{{...},...}' [--per-iteration]
The connection takes PGHOST, PGPORT, PGUSER from the environment as libpq
does.  Prints one JSON object.
"""

import argparse
import json
import time

import numpy as np
import psycopg2
from sklearn.cluster import KMeans


def pg_array(text):
    """'{{1,2},{3,4}}' (PostgreSQL's text of a float8[][]) -> ndarray"""
    return np.array(json.loads(text.replace("{", "[").replace("}", "]")), dtype=np.float64)


def fit(X, init, k, max_iter):
    km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=max_iter, tol=0,
                algorithm="lloyd")
    start = time.perf_counter()
    km.fit(X)
    return time.perf_counter() - start, km


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", required=True)
    ap.add_argument("--table", required=True)
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--iter", type=int, required=True)
    ap.add_argument("--init", required=True)
    ap.add_argument("--per-iteration", action="store_true")
    args = ap.parse_args()
    init = pg_array(args.init)

    threads = {}
    try:
        from threadpoolctl import threadpool_info
        for lib in threadpool_info():
            threads[lib.get("internal_api", "?")] = lib.get("num_threads")
    except ImportError:
        pass

    conn = psycopg2.connect(args.dsn)
    start = time.perf_counter()
    with conn.cursor() as cur:
        cur.execute("SELECT features FROM %s" % args.table)
        rows = cur.fetchall()
    X = np.array([r[0] for r in rows], dtype=np.float64)
    read_s = time.perf_counter() - start
    del rows
    conn.close()

    fit_s, km = fit(X, init, args.k, args.iter)
    out = {
        "rows": int(X.shape[0]), "d": int(X.shape[1]),
        "read_s": read_s, "fit_s": fit_s, "total_s": read_s + fit_s,
        "inertia": float(km.inertia_), "n_iter": int(km.n_iter_),
        "sizes": np.bincount(km.labels_, minlength=args.k).tolist(),
        "threads": threads,
    }
    if args.per_iteration:
        t1, km1 = fit(X, init, args.k, 1)
        tn1, kmn1 = fit(X, init, args.k, args.iter + 1)
        out.update({"fit1_s": t1, "fit_n1_s": tn1, "n_iter_1": int(km1.n_iter_),
                    "n_iter_n1": int(kmn1.n_iter_)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
