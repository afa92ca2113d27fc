#!/usr/bin/env python3
"""scripts/report.py: one self-contained HTML report of profile's models.

Runs SQL against a database where the extension is installed (the
dashboard functions and views of schema profile) and writes one HTML file
with inline CSS and SVG: no script, no network, no external font, so it
opens anywhere and can be mailed.  The charts, each a
<figure class="chart" id="..."> with a title, axis labels and a one-line
caption:

  segments       RFM segment sizes and revenue share (profile.rfm_segment_summary)
  rf-heatmap     customers per R x F score cell, segments outlined (profile.rfm)
  pca-scatter    customers on the first two principal components of the
                 log features, coloured by k-means cluster (profile.pca,
                 profile.pca_project, profile.kmeans_assign)
  clv-histogram  the distribution of customer lifetime value (profile.clv_score)
  rules-lift     the top association rules by lift (view profile.rules), and
  rules-table    the same rules as a table
  migration      customers moving between the segments of two snapshots
                 (profile.segment_migration)

A chart whose input is not given, or whose function the installed
extension lacks, is drawn as a note saying so.  Privacy floor: groups of
customers smaller than the larger of --min-group-size and the setting
profile.min_group_size are shown grey as "suppressed", without figures (a
segment, a score cell, a histogram bin, a migration cell; a cluster's
points are not drawn).

Usage:
  scripts/report.py --db CONNINFO [--out FILE] [--title TEXT]
      [--orders QUERY [--rfm-model NAME | --as-of TS --bins N --segment-map MAP]]
      [--kmeans-model NAME --features QUERY [--feature-names a,b,c] [--max-points N]]
      [--rules-model NAME [--items QUERY] [--top-rules N] [--rules-max-items N]]
      [--clv-model NAME --clv-customers QUERY [--clv-months N]]
      [--migration FROM_SNAPSHOT TO_SNAPSHOT] [--min-group-size N]

  --orders QUERY          (customer_id, ordered_at, amount [, order_id]) rows,
                          as profile.rfm reads them
  --rfm-model NAME        take as_of, bins and segment map from a stored RFM model
  --features QUERY        (customer_id, features float8[]) rows, as the k-means
                          model was fitted on; the scatter projects log(1 + x)
                          of each feature (negative values as 0)
  --items QUERY           (item, name) rows naming the rules' items
  --rules-max-items N     only rules of at most N items (antecedent + consequent)
  --clv-customers QUERY   (customer_id, frequency, recency, t, monetary) rows
  --migration FROM TO     two snapshot names of profile.segment_snapshot

Prints the report's path and size.  Needs Python 3 and psycopg2 (Debian:
python3-psycopg2).  Runs in one read-only, repeatable-read transaction.
"""

import argparse
import html
import math
import os
import sys

try:
    import psycopg2
    import psycopg2.errors
except ImportError:
    sys.exit("report.py needs psycopg2 (Debian: apt-get install python3-psycopg2)")

# Tableau 10: distinct, readable for most colour-blind readers
PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
           "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
CUSTOMERS_COLOUR = "#4e79a7"
REVENUE_COLOUR = "#f28e2b"
SUPPRESSED_COLOUR = "#cfd4da"
# sequential blues for heat maps, light to dark
BLUES = ["#eef4fb", "#d3e3f3", "#b0cde9", "#86b2dc", "#5c95cc", "#3a78b8", "#225b9a", "#10407a"]

CSS = """
:root { --ink: #1f2933; --muted: #5f6b7a; --line: #dde2e8; --bg: #f3f5f8; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
       font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; }
header, main, footer { max-width: 1240px; margin: 0 auto; padding: 0 20px; }
h1 { font-size: 26px; margin: 22px 0 2px; }
.sub { color: var(--muted); margin: 0 0 14px; }
.kpis { display: grid; grid-template-columns: repeat(6, 1fr); gap: 12px; margin: 0 0 20px; }
.kpi { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; }
.kpi .v { display: block; font-size: 21px; font-weight: bold; }
.kpi .k { color: var(--muted); font-size: 12px; }
main { display: grid; grid-template-columns: 1fr 1fr; gap: 20px; }
figure.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px;
               padding: 14px 18px 12px; min-width: 0; }
figure.chart.wide { grid-column: 1 / -1; }
figure.chart h2 { font-size: 17px; margin: 0 0 2px; }
figure.chart .caption { color: var(--muted); font-size: 13px; margin: 0 0 8px; }
figure.chart svg { display: block; width: 100%; height: auto; }
figure.chart .note { color: #8a4b08; background: #fff7e6; border: 1px dashed #e0b15c;
                     border-radius: 6px; padding: 18px; margin: 8px 0; text-align: center; }
svg text { fill: var(--ink); font-size: 12px; }
svg .muted { fill: var(--muted); }
svg .small { font-size: 10px; }
svg .axis { stroke: #9aa5b1; stroke-width: 1; }
svg .grid { stroke: #edf0f3; stroke-width: 1; }
svg .on-dark { fill: #fff; }
svg .title { font-weight: bold; }
svg .pts circle { r: 2.3px; fill-opacity: 0.62; }
table.rules { width: 100%; border-collapse: collapse; font-size: 12.5px; }
table.rules th { text-align: left; color: var(--muted); font-weight: normal; border-bottom: 2px solid var(--line);
                 padding: 4px 6px; }
table.rules td { border-bottom: 1px solid var(--line); padding: 4px 6px; }
table.rules td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.rules tr.rule:nth-child(even) td { background: #f8fafc; }
footer { color: var(--muted); font-size: 12px; padding-top: 16px; padding-bottom: 24px; }
"""


# ---------------------------------------------------------------- formatting

def esc(s):
    return html.escape(str(s), quote=True)


def num(x):
    """A coordinate: one decimal, no trailing .0"""
    s = "%.1f" % x
    return s[:-2] if s.endswith(".0") else s


def fmt_int(n):
    return "{:,}".format(int(round(n)))


def fmt_short(x):
    """22.8M, 8.84M, 52.6k, 950"""
    a = abs(x)
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            v = x / div
            return ("%.3g" % v) + suffix
    return ("%.3g" % x) if a < 100 and x != int(x) else fmt_int(x)


def fmt_pct(x, digits=0):
    if x is None:
        return ""
    v = 100.0 * x
    if digits == 0 and 0 < v < 0.5:
        return "<1%"
    return ("%." + str(digits) + "f%%") % v


def fmt_edge(x):
    """a histogram edge: 0, 2, 50, 1k, 20k, 1M"""
    if x >= 1e6:
        return "%gM" % (x / 1e6)
    if x >= 1e3:
        return "%gk" % (x / 1e3)
    return "%g" % x


def nice_step(span, n):
    """a 1-2-5 step giving about n intervals over span"""
    if span <= 0:
        return 1.0
    raw = span / n
    p = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * p:
            return m * p
    return 10 * p


def ticks(lo, hi, n=5):
    step = nice_step(hi - lo, n)
    t = math.ceil(lo / step - 1e-9) * step
    out = []
    while t <= hi + 1e-9 * step:
        out.append(0.0 if abs(t) < 1e-12 else t)
        t += step
    return out


def fmt_tick(t, step):
    if step >= 1:
        return fmt_int(t)
    digits = max(0, -int(math.floor(math.log10(step))))
    return ("%." + str(digits) + "f") % t


def truncate(s, n):
    return s if len(s) <= n else s[:n - 1] + "\u2026"


class Svg:
    """An inline SVG element built from parts (no xmlns: inline in HTML)"""

    def __init__(self, width, height, label):
        self.width, self.height, self.label = width, height, label
        self.parts = []

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, cls=None, anchor=None, extra=""):
        attrs = ' x="%s" y="%s"' % (num(x), num(y))
        if cls:
            attrs += ' class="%s"' % cls
        if anchor:
            attrs += ' text-anchor="%s"' % anchor
        self.parts.append("<text%s%s>%s</text>" % (attrs, extra, esc(s)))

    def line(self, x1, y1, x2, y2, cls="axis", extra=""):
        self.parts.append('<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"%s/>'
                          % (num(x1), num(y1), num(x2), num(y2), cls, extra))

    def rect(self, x, y, w, h, fill, cls=None, extra="", title=None):
        c = ' class="%s"' % cls if cls else ""
        body = "<title>%s</title>" % esc(title) if title else ""
        end = ">%s</rect>" % body if body else "/>"
        self.parts.append('<rect x="%s" y="%s" width="%s" height="%s" fill="%s"%s%s%s'
                          % (num(x), num(y), num(max(w, 0)), num(max(h, 0)), fill, c, extra, end))

    def __str__(self):
        return ('<svg viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">%s</svg>'
                % (self.width, self.height, self.width, self.height, esc(self.label), "".join(self.parts)))


def figure(chart_id, title, caption, body, wide=False, extra_class=""):
    cls = "chart" + (" wide" if wide else "") + (" " + extra_class if extra_class else "")
    return ('<figure class="%s" id="%s">\n<h2>%s</h2>\n<p class="caption">%s</p>\n%s\n</figure>'
            % (cls, chart_id, esc(title), esc(caption), body))


def unavailable(chart_id, title, message, wide=False):
    return figure(chart_id, title, "not shown", '<p class="note">%s</p>' % esc(message), wide, "unavailable")


def ramp(v, vmax, colours=BLUES):
    """the colour of v in [0, vmax] on a sequential ramp of len(colours) equal steps"""
    if vmax <= 0 or v <= 0:
        return colours[0]
    return colours[min(int(v / vmax * len(colours)), len(colours) - 1)]


def dark(colour):
    return colour in BLUES[4:]


def two_lines(s, width):
    """s split at a space into at most two lines of about width characters"""
    if len(s) <= width or " " not in s:
        return [truncate(s, width)]
    cuts = [i for i, ch in enumerate(s) if ch == " "]
    i = min(cuts, key=lambda i: max(i, len(s) - i - 1))
    return [truncate(s[:i], width), truncate(s[i + 1:], width)]


def ramp_legend(svg, x, y, label, values):
    """a horizontal legend of BLUES: one swatch per step, labelled with its lower end"""
    svg.text(x, y + 12, label, "small muted", "end")
    for i, c in enumerate(BLUES):
        svg.rect(x + 8 + i * 46, y, 44, 16, c, "legend")
        svg.text(x + 8 + i * 46 + 22, y + 28, values[i], "small muted", "middle")


# ---------------------------------------------------------------- database

class Db:
    def __init__(self, conninfo):
        self.conn = psycopg2.connect(conninfo)
        self.conn.set_session(isolation_level="REPEATABLE READ", readonly=True)
        self.cur = self.conn.cursor()

    def rows(self, sql, params=None):
        self.cur.execute(sql, params)
        return self.cur.fetchall()

    def one(self, sql, params=None):
        self.cur.execute(sql, params)
        return self.cur.fetchone()

    def has_function(self, signature):
        return self.one("SELECT pg_catalog.to_regprocedure(%s) IS NOT NULL", (signature,))[0]


# ---------------------------------------------------------------- charts

def rfm_settings(db, args):
    as_of, bins, segment_map = args.as_of, args.bins, args.segment_map
    if args.rfm_model:
        row = db.one("SELECT params FROM profile.models WHERE name = %s AND kind = 'rfm'", (args.rfm_model,))
        if row is None:
            sys.exit("report.py: no RFM model named %s" % args.rfm_model)
        params = row[0]
        as_of = params.get("as_of", as_of)
        bins = params.get("bins", bins)
        segment_map = params.get("segment_map", segment_map)
    return as_of, bins, segment_map


def segments_chart(db, args, floor, rfm):
    as_of, bins, segment_map = rfm
    columns = """segment, customers, customer_share, revenue, revenue_share,
                 avg_recency_days, avg_frequency, avg_monetary"""
    if db.has_function("profile.rfm_segment_summary(text, timestamptz, integer, text, integer)"):
        # 1.1: the function applies the privacy floor itself
        rows = db.rows("SELECT %s, suppressed FROM profile.rfm_segment_summary(%%s, %%s, %%s, %%s, %%s)" % columns,
                       (args.orders, as_of, bins, segment_map, args.min_group_size))
    else:
        rows = db.rows("SELECT %s, customers < %%s FROM profile.rfm_segment_summary(%%s, %%s, %%s, %%s)" % columns,
                       (floor, args.orders, as_of, bins, segment_map))
    if not rows:
        return unavailable("segments", "Segments", "segments: the orders query returned no customers"), []
    # the suppressed last, without their figures
    rows = [r if not r[8] and r[1] is not None else (r[0], None, None, None, None, None, None, None, True)
            for r in rows]
    rows.sort(key=lambda r: (r[8], -(r[1] or 0), r[0] or ""))
    names = [r[0] for r in rows]
    shown = [r for r in rows if not r[8]]
    label_w, bar_w, row_h, top = 150, 310, 36, 44
    vmax = max([r[2] for r in shown] + [r[4] or 0 for r in shown] + [0.1])
    step = nice_step(vmax, 4)
    xmax = math.ceil(vmax / step - 1e-9) * step
    width, height = label_w + bar_w + 90, top + row_h * len(rows) + 44
    svg = Svg(width, height, "segment sizes and revenue share")
    x0 = label_w
    sx = lambda v: x0 + bar_w * v / xmax
    # legend
    svg.rect(x0, 8, 12, 12, CUSTOMERS_COLOUR)
    svg.text(x0 + 17, 18, "share of customers")
    svg.rect(x0 + 160, 8, 12, 12, REVENUE_COLOUR)
    svg.text(x0 + 177, 18, "share of revenue")
    t = 0.0
    while t <= xmax + 1e-9:
        svg.line(sx(t), top - 6, sx(t), top + row_h * len(rows), "grid")
        svg.text(sx(t), top + row_h * len(rows) + 16, fmt_pct(t), "small muted", "middle")
        t += step
    svg.line(x0, top - 6, x0, top + row_h * len(rows))
    svg.text(x0 + bar_w / 2, height - 6, "share of all customers and of all revenue (%)", "muted", "middle")
    for i, (seg, customers, cshare, revenue, rshare, rec, freq, mon, suppressed) in enumerate(rows):
        y = top + i * row_h
        svg.add('<g class="segment" data-segment="%s">' % esc(seg))
        svg.text(label_w - 8, y + row_h / 2 + 4, truncate(seg, 22), None, "end")
        if suppressed:
            svg.rect(x0, y + 6, bar_w * 0.12, row_h - 12, SUPPRESSED_COLOUR, "bar suppressed",
                     ' data-segment="%s" data-suppressed="true"' % esc(seg))
            svg.text(x0 + bar_w * 0.12 + 6, y + row_h / 2 + 4, "suppressed", "muted")
        else:
            bh = (row_h - 10) / 2
            svg.rect(x0, y + 5, sx(cshare) - x0, bh, CUSTOMERS_COLOUR, "bar customers",
                     ' data-segment="%s" data-customers="%d" data-share="%.6f"' % (esc(seg), customers, cshare),
                     "%s: %s customers (%s), avg %.0f days since last order, %.1f orders, spend %s"
                     % (seg, fmt_int(customers), fmt_pct(cshare, 1), rec, freq, fmt_int(mon)))
            svg.text(sx(cshare) + 4, y + 5 + bh - 3, "%s (%s)" % (fmt_pct(cshare), fmt_int(customers)), "small")
            svg.rect(x0, y + 5 + bh, sx(rshare or 0) - x0, bh, REVENUE_COLOUR, "bar revenue",
                     ' data-segment="%s" data-revenue="%.2f" data-share="%.6f"' % (esc(seg), revenue or 0, rshare or 0),
                     "%s: revenue %s (%s)" % (seg, fmt_int(revenue or 0), fmt_pct(rshare, 1)))
            svg.text(sx(rshare or 0) + 4, y + 5 + 2 * bh - 3, fmt_pct(rshare), "small")
        svg.add("</g>")
    top_rev = max(shown, key=lambda r: r[4] or 0, default=None)
    caption = "%d RFM segments (%s map, as of %s)" % (len(rows), segment_map, str(as_of)[:10] if as_of else "the latest order")
    if top_rev:
        caption += "; %s hold %s of the customers and %s of the revenue." % (
            top_rev[0], fmt_pct(top_rev[2]), fmt_pct(top_rev[4]))
    return figure("segments", "Segments: size and revenue share", caption, str(svg)), names


def heatmap_chart(db, args, floor, rfm):
    as_of, bins, segment_map = rfm
    rows = db.rows("""SELECT r_score, f_score, count(*), sum(frequency), sum(monetary)
                      FROM profile.rfm(%s, %s, %s, %s) GROUP BY 1, 2""",
                   (args.orders, as_of, bins, segment_map))
    counts = {(r, f): n for r, f, n, _, _ in rows}
    customers = sum(counts.values())
    orders = sum(r[3] for r in rows)
    revenue = sum(r[4] for r in rows)
    # the segment of each cell: the map's, when every M score gives the same
    labels = {}
    if segment_map:
        for r, f, segs in db.rows("""SELECT r, f, array_agg(DISTINCT profile.rfm_segment(%s, r, f, m))
                                     FROM generate_series(1, %s) r, generate_series(1, %s) f, generate_series(1, %s) m
                                     GROUP BY r, f""", (segment_map, bins, bins, bins)):
            labels[(r, f)] = segs[0] if len(segs) == 1 else "mixed"
    cell_w, cell_h, left, top = 480 // bins, 320 // bins, 66, 6
    width, height = 552, top + bins * cell_h + 92
    svg = Svg(width, height, "customers per recency and frequency score")
    vmax = max([n for n in counts.values() if n >= floor] or [1])
    for ri in range(bins):
        r = bins - ri            # R = bins at the top
        for f in range(1, bins + 1):
            n = counts.get((r, f), 0)
            x, y = left + (f - 1) * cell_w, top + ri * cell_h
            seg = labels.get((r, f), "")
            supp = 0 < n < floor
            fill = SUPPRESSED_COLOUR if supp else ramp(n, vmax)
            svg.rect(x + 1, y + 1, cell_w - 2, cell_h - 2, fill, "cell" + (" suppressed" if supp else ""),
                     ' data-r="%d" data-f="%d" data-customers="%s" data-segment="%s"'
                     % (r, f, "" if supp else n, esc(seg)),
                     "R %d, F %d (%s): %s" % (r, f, seg, "suppressed" if supp else fmt_int(n) + " customers"))
            tc = "on-dark" if (not supp and dark(fill)) else None
            svg.text(x + cell_w / 2, y + cell_h / 2 + 1, "suppressed" if supp else fmt_int(n),
                     ("title " + tc) if tc else "title", "middle")
            if seg:
                svg.text(x + cell_w / 2, y + cell_h / 2 + 16, truncate(seg, 20),
                         "small " + (tc or "muted"), "middle")
    # segment borders: where neighbouring cells belong to different segments
    for ri in range(bins):
        r = bins - ri
        for f in range(1, bins + 1):
            x, y = left + (f - 1) * cell_w, top + ri * cell_h
            if f < bins and labels.get((r, f)) != labels.get((r, f + 1)):
                svg.line(x + cell_w, y, x + cell_w, y + cell_h, "seg", ' stroke="#1f2933" stroke-width="2.5"')
            if ri < bins - 1 and labels.get((r, f)) != labels.get((r - 1, f)):
                svg.line(x, y + cell_h, x + cell_w, y + cell_h, "seg", ' stroke="#1f2933" stroke-width="2.5"')
    svg.add('<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#1f2933" stroke-width="2.5"/>'
            % (left, top, bins * cell_w, bins * cell_h))
    for i in range(bins):
        svg.text(left + i * cell_w + cell_w / 2, top + bins * cell_h + 16, "F %d" % (i + 1), "muted", "middle")
        svg.text(left - 8, top + i * cell_h + cell_h / 2 + 4, "R %d" % (bins - i), "muted", "end")
    svg.text(left + bins * cell_w / 2, top + bins * cell_h + 36, "frequency score F (1 = fewest orders, %d = most)" % bins,
             "muted", "middle")
    svg.text(14, top + bins * cell_h / 2, "recency score R (%d = most recent)" % bins, "muted", "middle",
             ' transform="rotate(-90 14 %s)"' % num(top + bins * cell_h / 2))
    # legend: the ramp
    ly = top + bins * cell_h + 52
    ramp_legend(svg, left + 60, ly, "customers",
                [fmt_int(vmax * i / len(BLUES)) + "+" if i else "0+" for i in range(len(BLUES))])
    if floor > 1:
        svg.rect(left + 68 + len(BLUES) * 46, ly, 16, 16, SUPPRESSED_COLOUR, "legend")
        svg.text(left + 68 + len(BLUES) * 46 + 20, ly + 12, "< %d" % floor, "small muted")
    best = max(counts.items(), key=lambda kv: kv[1], default=None)
    caption = "%s customers by recency and frequency score, segments outlined" % fmt_int(customers)
    if best:
        caption += "; the largest cell is R %d, F %d (%s customers)." % (best[0][0], best[0][1], fmt_int(best[1]))
    kpi = {"customers": customers, "orders": orders, "revenue": revenue}
    return figure("rf-heatmap", "Recency \u00d7 frequency score grid", caption, str(svg)), kpi


def scatter_chart(db, args, floor):
    model = args.kmeans_model
    base = """WITH f AS MATERIALIZED (
                  SELECT q.customer_id::text AS customer_id,
                         profile.kmeans_assign(%(model)s, q.features::float8[]) AS cluster,
                         (SELECT array_agg(ln(1 + greatest(v, 0)) ORDER BY i)
                          FROM unnest(q.features::float8[]) WITH ORDINALITY AS u(v, i)) AS z
                  FROM ({query}) AS q(customer_id, features)),
              p AS (SELECT profile.pca(z, 2) AS pca FROM f) """.format(query=args.features.replace("%", "%%"))
    params = {"model": model, "n": args.max_points}
    pca = db.one(base + "SELECT (pca).n, (pca).explained_variance_ratio, (pca).components FROM p", params)
    if pca is None or pca[0] is None or len(pca[1]) < 2:
        return unavailable("pca-scatter", "Customers and clusters", "scatter: fewer than two customers or features"), {}
    n_total, ratio, comps = pca
    sizes = dict(db.rows(base + "SELECT cluster, count(*) FROM f GROUP BY cluster", params))
    labels = dict(db.rows("SELECT cluster, label FROM profile.kmeans_centroids WHERE model = %s", (model,)))
    shown = {c for c, n in sizes.items() if c is not None and n >= floor}
    points = db.rows(base + """SELECT f.cluster, profile.pca_project(f.z, p.pca)
                               FROM f, p WHERE f.cluster = ANY (%(shown)s)
                               ORDER BY md5(f.customer_id) LIMIT %(n)s""",
                     dict(params, shown=sorted(shown)))
    plot_w, plot_h, left, top = 474, 330, 58, 10
    clusters = sorted(c for c in sizes if c is not None)
    legend_rows = (len(clusters) + 1) // 2
    width, height = 552, top + plot_h + 66 + legend_rows * 18 + 6
    svg = Svg(width, height, "customers on the first two principal components by cluster")
    xs = [p[1][0] for p in points] or [0.0]
    ys = [p[1][1] for p in points] or [0.0]
    xlo, xhi = min(xs), max(xs)
    ylo, yhi = min(ys), max(ys)
    padx, pady = (xhi - xlo) * 0.04 or 1, (yhi - ylo) * 0.04 or 1
    xlo, xhi, ylo, yhi = xlo - padx, xhi + padx, ylo - pady, yhi + pady
    sx = lambda v: left + plot_w * (v - xlo) / (xhi - xlo)
    sy = lambda v: top + plot_h * (1 - (v - ylo) / (yhi - ylo))
    xstep, ystep = nice_step(xhi - xlo, 6), nice_step(yhi - ylo, 5)
    for t in ticks(xlo, xhi, 6):
        svg.line(sx(t), top, sx(t), top + plot_h, "grid")
        svg.text(sx(t), top + plot_h + 14, fmt_tick(t, xstep), "small muted", "middle")
    for t in ticks(ylo, yhi, 5):
        svg.line(left, sy(t), left + plot_w, sy(t), "grid")
        svg.text(left - 5, sy(t) + 3, fmt_tick(t, ystep), "small muted", "end")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h)
    svg.line(left, top, left, top + plot_h)
    colour = {c: PALETTE[(c - 1) % len(PALETTE)] for c in clusters}
    for c in clusters:
        if c not in shown:
            continue
        svg.add('<g class="pts k%d" fill="%s" data-cluster="%d">' % (c, colour[c], c))
        svg.add("".join('<circle cx="%s" cy="%s"/>' % (num(sx(p[1][0])), num(sy(p[1][1])))
                        for p in points if p[0] == c))
        svg.add("</g>")
    names = args.feature_names.split(",") if args.feature_names else None

    def loadings(k):
        if not names or len(names) != len(comps[k]):
            return ""
        terms = sorted(zip(comps[k], names), key=lambda t: -abs(t[0]))
        return " ".join("%s%.2f %s" % ("+" if w >= 0 else "\u2212", abs(w), nm) for w, nm in terms)
    svg.text(left + plot_w / 2, top + plot_h + 30, "PC1 (%s of the variance)" % fmt_pct(ratio[0]), "muted", "middle")
    svg.text(left + plot_w / 2, top + plot_h + 44, loadings(0), "small muted", "middle")
    svg.text(14, top + plot_h / 2, "PC2 (%s of the variance)" % fmt_pct(ratio[1]), "muted", "middle",
             ' transform="rotate(-90 14 %s)"' % num(top + plot_h / 2))
    svg.text(27, top + plot_h / 2, loadings(1), "small muted", "middle",
             ' transform="rotate(-90 27 %s)"' % num(top + plot_h / 2))
    ly = top + plot_h + 62
    for i, c in enumerate(clusters):
        x = left + (i % 2) * (plot_w / 2)
        y = ly + (i // 2) * 18
        supp = c not in shown
        svg.add('<circle cx="%s" cy="%s" r="5" fill="%s" class="legend"/>'
                % (num(x + 5), num(y + 6), SUPPRESSED_COLOUR if supp else colour[c]))
        name = "%d \u00b7 %s" % (c, truncate(labels[c], 36)) if labels.get(c) else "cluster %d" % c
        svg.text(x + 15, y + 10, "%s (%s)" % (name, "suppressed" if supp else fmt_int(sizes[c])),
                 "small", None, ' data-cluster="%d" data-customers="%s"' % (c, "" if supp else sizes[c]))
    caption = ("%s customers, k-means model %s (%d clusters)"
               % (fmt_int(n_total), model, len(clusters)))
    if len(points) < sum(sizes[c] for c in shown):
        caption += ", %s of them drawn (a fixed sample)" % fmt_int(len(points))
    caption += "; the plane keeps %s of the variance of log(1 + feature)." % fmt_pct(ratio[0] + ratio[1])
    return figure("pca-scatter", "Customers and their clusters", caption, str(svg)), {"clusters": len(clusters)}


def rules_charts(db, args):
    model = args.rules_model
    total = db.one("SELECT count(*) FROM profile.rules WHERE model = %s", (model,))[0]
    rows = db.rows("""SELECT antecedent, consequent, support, confidence, lift, count
                      FROM profile.rules
                      WHERE model = %s
                        AND (%s::int IS NULL OR cardinality(antecedent) + cardinality(consequent) <= %s::int)
                      ORDER BY lift DESC, confidence DESC, support DESC, rule
                      LIMIT %s""", (model, args.rules_max_items, args.rules_max_items, args.top_rules))
    if not rows:
        msg = "rules: model %s has no rules" % model
        return unavailable("rules-lift", "Top rules by lift", msg), unavailable("rules-table", "Top rules", msg), total
    names = {}
    if args.items:
        items = sorted({i for r in rows for i in r[0] + r[1]})
        names = dict(db.rows("SELECT q.item::text, q.name::text FROM (%s) AS q(item, name) WHERE q.item::text = ANY (%%s)"
                             % args.items.replace("%", "%%"), (items,)))

    def side(items):
        return ", ".join(names.get(i, i) for i in items)
    # chart: horizontal bars, longest first
    label_w, bar_w, row_h, top = 226, 270, 24, 30
    width, height = 552, top + row_h * len(rows) + 40
    svg = Svg(width, height, "top rules by lift")
    lmax = max(r[4] for r in rows)
    lmin = min(r[4] for r in rows)
    log_scale = lmin > 0 and lmax / lmin > 30
    if log_scale:
        lo, hi = math.floor(math.log10(min(lmin, 1))), math.ceil(math.log10(lmax))
        sx = lambda v: label_w + bar_w * (math.log10(max(v, 10 ** lo)) - lo) / (hi - lo)
        tick_values = [10 ** e for e in range(lo, hi + 1)]
    else:
        step = nice_step(lmax, 5)
        xmax = math.ceil(lmax / step - 1e-9) * step
        sx = lambda v: label_w + bar_w * v / xmax
        tick_values = ticks(0, xmax, 5)
    for t in tick_values:
        svg.line(sx(t), top - 4, sx(t), top + row_h * len(rows), "grid")
        svg.text(sx(t), top + row_h * len(rows) + 14, "%g" % t, "small muted", "middle")
    svg.line(sx(1), top - 8, sx(1), top + row_h * len(rows), "axis", ' stroke-dasharray="4 3"')
    svg.text(sx(1) + 3, top - 10, "lift 1: no association", "small muted")
    svg.line(label_w, top - 4, label_w, top + row_h * len(rows))
    for i, (a, c, support, conf, lift, count) in enumerate(rows):
        y = top + i * row_h
        fill = ramp(conf, 1.0, BLUES[2:])
        svg.text(label_w - 6, y + row_h / 2 + 4, truncate(side(a) + " \u2192 " + side(c), 36), "small", "end")
        svg.rect(label_w, y + 3, sx(lift) - label_w, row_h - 6, fill, "bar lift",
                 ' data-lift="%.6f" data-confidence="%.6f"' % (lift, conf),
                 "%s \u2192 %s: lift %.2f, confidence %s, support %s"
                 % (side(a), side(c), lift, fmt_pct(conf, 1), fmt_pct(support, 2)))
        svg.text(sx(lift) + 4, y + row_h / 2 + 4, "%.1f" % lift, "small")
    svg.text(label_w + bar_w / 2, height - 6,
             "lift (times more often than by chance%s); darker: higher confidence"
             % (", log scale" if log_scale else ""), "small muted", "middle")
    which = "rules of at most %d items" % args.rules_max_items if args.rules_max_items else "rules"
    cap = "The %d strongest %s of %s in model %s, by lift." % (len(rows), which, fmt_int(total), model)
    chart = figure("rules-lift", "Top rules by lift", cap, str(svg))
    # table
    out = ['<table class="rules"><thead><tr><th>#</th><th>customers who buy</th><th>also buy</th>'
           '<th class="n">support</th><th class="n">confidence</th><th class="n">lift</th><th class="n">baskets</th>'
           '</tr></thead><tbody>']
    for i, (a, c, support, conf, lift, count) in enumerate(rows):
        out.append('<tr class="rule" data-lift="%.6f"><td>%d</td><td title="%s">%s</td><td title="%s">%s</td>'
                   '<td class="n">%s</td><td class="n">%s</td><td class="n">%.2f</td><td class="n">%s</td></tr>'
                   % (lift, i + 1, esc(", ".join(a)), esc(side(a)), esc(", ".join(c)), esc(side(c)),
                      fmt_pct(support, 2), fmt_pct(conf, 1), lift, fmt_int(count)))
    out.append("</tbody></table>")
    cap = ("Support: share of baskets holding all the items; confidence: share of the first side's baskets "
           "that hold the second.")
    table = figure("rules-table", "Top rules", cap, "".join(out))
    return chart, table, total


def clv_edges(vmax):
    """0, then the 1-2-5 values up to the first above vmax: 15 bins"""
    k = math.floor(math.log10(vmax))
    m = next(m for m in (1, 2, 5, 10) if m * 10.0 ** k > vmax)
    seq = [(1, k + 1) if m == 10 else (m, k)]
    while len(seq) < 15:
        m, k = seq[-1]
        seq.append((5, k - 1) if m == 1 else (1, k) if m == 2 else (2, k))
    return [0.0] + [float("%de%d" % mk) for mk in reversed(seq)]


def clv_chart(db, args, floor):
    base = "WITH s AS MATERIALIZED (SELECT clv FROM profile.clv_score(%(model)s, %(query)s, %(months)s)) "
    params = {"model": args.clv_model, "query": args.clv_customers, "months": args.clv_months}
    n, n_est, vmax, total, median = db.one(
        base + "SELECT count(*), count(clv), max(clv), sum(clv), percentile_cont(0.5) WITHIN GROUP (ORDER BY clv) FROM s",
        params)
    if not n_est:
        return unavailable("clv-histogram", "Customer lifetime value", "CLV: no customer has an estimate"), None
    edges = clv_edges(max(vmax, 1e-9))
    counts = dict(db.rows(base + "SELECT width_bucket(clv, %(edges)s::float8[]), count(*) FROM s WHERE clv IS NOT NULL GROUP BY 1",
                          dict(params, edges=edges)))
    bins = [(edges[i], edges[i + 1], counts.get(i + 1, 0)) for i in range(len(edges) - 1)]
    plot_w, plot_h, left, top = 474, 300, 58, 22
    width, height = 552, top + plot_h + 52
    svg = Svg(width, height, "distribution of customer lifetime value")
    cmax = max([c for _, _, c in bins if c >= floor] or [1])
    step = nice_step(cmax, 5)
    ymax = math.ceil(cmax * 1.08 / step) * step
    sy = lambda v: top + plot_h * (1 - v / ymax)
    bw = plot_w / len(bins)
    for t in ticks(0, ymax, 5):
        svg.line(left, sy(t), left + plot_w, sy(t), "grid")
        svg.text(left - 5, sy(t) + 3, fmt_int(t), "small muted", "end")
    for i, (lo, hi, c) in enumerate(bins):
        x = left + i * bw
        supp = 0 < c < floor
        if supp:
            svg.rect(x + 2, top, bw - 4, plot_h, SUPPRESSED_COLOUR, "bin suppressed",
                     ' data-lo="%g" data-hi="%g" data-suppressed="true" fill-opacity="0.45"' % (lo, hi))
            svg.text(x + bw / 2 + 3, top + plot_h - 6, "suppressed", "small muted", None,
                     ' transform="rotate(-90 %s %s)"' % (num(x + bw / 2 + 3), num(top + plot_h - 6)))
        else:
            svg.rect(x + 2, sy(c), bw - 4, sy(0) - sy(c), PALETTE[2], "bin",
                     ' data-lo="%g" data-hi="%g" data-count="%d"' % (lo, hi, c),
                     "CLV %s to %s: %s customers" % (fmt_edge(lo), fmt_edge(hi), fmt_int(c)))
            if c > 0:
                svg.text(x + bw / 2, sy(c) - 3, fmt_short(c), "small", "middle")
    svg.line(left, top + plot_h, left + plot_w, top + plot_h)
    svg.line(left, top, left, top + plot_h)
    for i, e in enumerate(edges):
        svg.text(left + i * bw, top + plot_h + 14, fmt_edge(e), "small muted", "middle")
    svg.text(left + plot_w / 2, top + plot_h + 34,
             "expected value over the next %d months (each bin 2 to 2.5 times the last)" % args.clv_months,
             "muted", "middle")
    svg.text(14, top + plot_h / 2, "customers", "muted", "middle", ' transform="rotate(-90 14 %s)"' % num(top + plot_h / 2))
    caption = "%s customers, model %s: median %s, total %s" % (fmt_int(n_est), args.clv_model, fmt_short(median),
                                                              fmt_short(total))
    if n > n_est:
        caption += "; %s without an estimate" % fmt_int(n - n_est)
    caption += "."
    return figure("clv-histogram", "Customer lifetime value", caption, str(svg)), total


def migration_chart(db, args, floor_arg, order):
    title = "Segment migration"
    if not args.migration:
        return unavailable("migration", title, "migration: no --migration FROM TO given", wide=True)
    if not db.has_function("profile.segment_migration(text, text, integer)"):
        return unavailable("migration", title, "migration: profile.segment_migration not available", wide=True)
    frm, to = args.migration
    db.cur.execute("SAVEPOINT migration")
    try:
        rows = db.rows("""SELECT from_segment, to_segment, customers, share_of_from, share_of_to, suppressed
                          FROM profile.segment_migration(%s, %s, %s)""", (frm, to, floor_arg))
    except psycopg2.errors.UndefinedObject as e:    # no snapshot of that name
        db.cur.execute("ROLLBACK TO SAVEPOINT migration")
        return unavailable("migration", title, "migration: %s" % e.diag.message_primary, wide=True)
    taken = {}
    if db.one("SELECT pg_catalog.to_regclass('profile.segment_snapshots') IS NOT NULL")[0]:
        taken = dict(db.rows("""SELECT snapshot, max(taken_at)::date FROM profile.segment_snapshots
                                WHERE snapshot IN (%s, %s) GROUP BY snapshot""", (frm, to)))
    if not rows:
        return unavailable("migration", title, "migration: snapshots %s and %s hold no customers" % (frm, to), wide=True)
    pos = {s: i for i, s in enumerate(order)}
    key = lambda s: (s in ("(new)", "(lost)"), pos.get(s, len(pos)), s)
    froms = sorted({r[0] for r in rows}, key=key)
    tos = sorted({r[1] for r in rows}, key=key)
    cell = {(r[0], r[1]): r for r in rows}
    cell_w, cell_h, left, top = min(86, 880 // len(tos)), 34, 170, 58
    width, height = 1164, top + cell_h * len(froms) + 60
    svg = Svg(width, height, "customers moving between segments")
    for j, s in enumerate(tos):
        lines = two_lines(s, 14)
        for k, ln in enumerate(lines):
            svg.text(left + j * cell_w + cell_w / 2, top - 8 - 13 * (len(lines) - 1 - k), ln, "small", "middle")
    svg.text(left + cell_w * len(tos) / 2, 14, "segment in %s%s" % (to, " (%s)" % taken[to] if to in taken else ""),
             "muted", "middle")
    moved = stayed = 0
    for i, f in enumerate(froms):
        y = top + i * cell_h
        svg.text(left - 8, y + cell_h / 2 + 4, truncate(f, 22), None, "end")
        for j, t in enumerate(tos):
            x = left + j * cell_w
            r = cell.get((f, t))
            attrs = ' data-from="%s" data-to="%s"' % (esc(f), esc(t))
            if r is None:
                svg.rect(x + 1, y + 1, cell_w - 2, cell_h - 2, "#fafbfc", "cell zero", attrs + ' data-customers="0"')
                continue
            if r[5] or r[2] is None:
                svg.rect(x + 1, y + 1, cell_w - 2, cell_h - 2, SUPPRESSED_COLOUR, "cell suppressed",
                         attrs + ' data-suppressed="true"', "%s \u2192 %s: suppressed" % (f, t))
                svg.text(x + cell_w / 2, y + cell_h / 2 + 4, "suppressed", "small muted", "middle")
                continue
            fill = ramp(r[3] or 0, 1.0)
            svg.rect(x + 1, y + 1, cell_w - 2, cell_h - 2, fill, "cell", attrs + ' data-customers="%d"' % r[2],
                     "%s \u2192 %s: %s customers, %s of %s"
                     % (f, t, fmt_int(r[2]), fmt_pct(r[3], 1), f))
            svg.text(x + cell_w / 2, y + cell_h / 2 + 4, fmt_int(r[2]), "on-dark" if dark(fill) else None, "middle")
            if f == t:
                stayed += r[2]
                svg.add('<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#1f2933" stroke-width="1.5"/>'
                        % (num(x + 1), num(y + 1), cell_w - 2, cell_h - 2))
            elif f not in ("(new)",) and t not in ("(lost)",):
                moved += r[2]
    svg.text(16, top + cell_h * len(froms) / 2, "segment in %s%s" % (frm, " (%s)" % taken[frm] if frm in taken else ""),
             "muted", "middle", ' transform="rotate(-90 16 %s)"' % num(top + cell_h * len(froms) / 2))
    ly = top + cell_h * len(froms) + 26
    ramp_legend(svg, left + 120, ly, "share of the row", ["%d%%+" % (100 * i // len(BLUES)) for i in range(len(BLUES))])
    if any(r[5] for r in rows):
        svg.rect(left + 128 + len(BLUES) * 46, ly, 16, 16, SUPPRESSED_COLOUR, "legend")
        svg.text(left + 128 + len(BLUES) * 46 + 20, ly + 12, "suppressed", "small muted")
    caption = ("Customers by their segment in snapshot %s (rows) and in %s (columns): %s stayed, %s moved "
               "(outlined: stayed; (new): only in the later snapshot, (lost): only in the earlier)."
               % (frm, to, fmt_int(stayed), fmt_int(moved)))
    return figure("migration", title, caption, str(svg), wide=True)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True, help="libpq connection string")
    ap.add_argument("--out", default="report.html")
    ap.add_argument("--title", default="Customer report")
    ap.add_argument("--orders")
    ap.add_argument("--rfm-model")
    ap.add_argument("--as-of")
    ap.add_argument("--bins", type=int, default=5)
    ap.add_argument("--segment-map", default="rf_grid")
    ap.add_argument("--kmeans-model")
    ap.add_argument("--features")
    ap.add_argument("--feature-names")
    ap.add_argument("--max-points", type=int, default=5000)
    ap.add_argument("--rules-model")
    ap.add_argument("--items")
    ap.add_argument("--top-rules", type=int, default=15)
    ap.add_argument("--rules-max-items", type=int)
    ap.add_argument("--clv-model")
    ap.add_argument("--clv-customers")
    ap.add_argument("--clv-months", type=int, default=12)
    ap.add_argument("--migration", nargs=2, metavar=("FROM", "TO"))
    ap.add_argument("--min-group-size", type=int)
    args = ap.parse_args()
    if args.min_group_size is not None and args.min_group_size < 1:
        ap.error("--min-group-size must be 1 or more")
    if args.max_points < 1 or args.top_rules < 1:
        ap.error("--max-points and --top-rules must be 1 or more")

    db = Db(args.db)
    dbname, now = db.one("SELECT current_database(), now()")
    figures = []
    kpis = []
    order = []

    # the extension's settings exist once its library is loaded: a first
    # call of one of its C functions loads it
    db.one("SELECT profile.pca_project('{1}'::float8[], '{0}'::float8[], '{{1}}'::float8[])")

    def floor():
        if db.has_function("profile.privacy_floor(integer)"):    # 1.1: the floor the functions apply
            return db.one("SELECT profile.privacy_floor(%s)", (args.min_group_size,))[0]
        setting = db.one("SELECT pg_catalog.current_setting('profile.min_group_size', true)")[0]
        return max(int(setting) if setting else 1, args.min_group_size or 1)

    as_of = None
    if args.orders:
        rfm = rfm_settings(db, args)
        as_of = rfm[0]
        fig, order = segments_chart(db, args, floor(), rfm)
        heat, k = heatmap_chart(db, args, floor(), rfm)
        figures += [fig, heat]
        kpis += [(fmt_int(k["customers"]), "customers"), (fmt_short(k["revenue"]), "revenue"),
                 (fmt_int(k["orders"]), "orders"), ("%.1f" % (k["orders"] / max(k["customers"], 1)),
                                                   "orders per customer")]
    else:
        msg = "RFM: no --orders query given"
        figures += [unavailable("segments", "Segments", msg), unavailable("rf-heatmap", "Recency \u00d7 frequency", msg)]
    if args.kmeans_model and args.features:
        fig, _ = scatter_chart(db, args, floor())
        figures.append(fig)
    else:
        figures.append(unavailable("pca-scatter", "Customers and their clusters",
                                   "scatter: no --kmeans-model and --features given"))
    if args.clv_model and args.clv_customers:
        fig, total = clv_chart(db, args, floor())
        figures.append(fig)
        if total is not None:
            kpis.append((fmt_short(total), "CLV, next %d months" % args.clv_months))
    else:
        figures.append(unavailable("clv-histogram", "Customer lifetime value", "CLV: no --clv-model and --clv-customers given"))
    if args.rules_model:
        chart, table, total = rules_charts(db, args)
        figures += [chart, table]
        kpis.append((fmt_int(total), "cross-sell rules"))
    else:
        msg = "rules: no --rules-model given"
        figures += [unavailable("rules-lift", "Top rules by lift", msg), unavailable("rules-table", "Top rules", msg)]
    figures.append(migration_chart(db, args, args.min_group_size, order))
    final_floor = floor()
    db.conn.rollback()

    sub = "Database %s \u00b7 data as of %s \u00b7 generated %s by scripts/report.py" % (
        dbname, str(as_of)[:10] if as_of else "the latest order", now.strftime("%Y-%m-%d %H:%M %Z"))
    out = ['<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
           '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
           "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<header>\n<h1>%s</h1>\n<p class=\"sub\">%s</p>\n"
           % (esc(args.title), CSS, esc(args.title), esc(sub))]
    out.append('<section class="kpis" id="kpis">%s</section>\n</header>\n<main>\n' % "".join(
        '<div class="kpi"><span class="v">%s</span><span class="k">%s</span></div>' % (esc(v), esc(k))
        for v, k in kpis[:6]))
    out.append("\n".join(figures))
    out.append("\n</main>\n<footer>Made with the PostgreSQL extension profile: every figure is the result of a SQL "
               "query run when the report was generated. %s</footer>\n</body>\n</html>\n"
               % esc("Groups of fewer than %d customers are suppressed." % final_floor if final_floor > 1
                     else "No privacy floor (profile.min_group_size is 1)."))
    text = "".join(out)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, args.out)
    print("%s (%d bytes)" % (os.path.abspath(args.out), os.path.getsize(args.out)))


if __name__ == "__main__":
    try:
        main()
    except psycopg2.Error as e:
        sys.exit("report.py: %s" % str(e).strip())
