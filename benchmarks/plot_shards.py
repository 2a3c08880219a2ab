"""Plot quality against the number of synchronised shards from ``bench_shards.py`` JSON.

Each input file is one curve (its records' medians per shard count; the
sequential fit, ``n_shards=0``, is drawn at 1 shard as a dashed line).
Writes a PNG with three panels: Google analogy, WS353 and MEN.

Example::

    python benchmarks/plot_shards.py \\
        "4 syncs per shard (seed 0):benchmarks/results/shards_full_sat30_sps4.json" \\
        "auto, constant saturation:benchmarks/results/shards_full_auto_3seeds_b9a9503.json" \\
        "auto, shrinking saturation:benchmarks/results/shards_full_auto_3seeds_c5a89cd.json" \\
        --out docs/user_guide/images/shards_quality.png

The dashed line is the sequential fit of the last file that has one.
"""

import argparse
import json
import statistics


def medians(path):
    """``{n_shards: {metric: median}}`` of a bench_shards JSON."""
    with open(path) as fh:
        records = [r for r in json.load(fh)["records"] if "error" not in r]
    out = {}
    for k in sorted({r["n_shards"] for r in records}):
        rs = [r for r in records if r["n_shards"] == k]
        out[k] = {m: statistics.median(r[m] for r in rs) for m in ("analogy_30k", "ws353", "men")}
        out[k]["n"] = len(rs)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("curves", nargs="+", help="label:path of a bench_shards JSON")
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(9, 3), constrained_layout=True)
    metrics = [("analogy_30k", "Google analogy (%)", 100), ("ws353", "WS353", 1),
               ("men", "MEN", 1)]
    sequential = None
    for spec in args.curves:
        label, path = spec.split(":", 1)
        data = medians(path)
        sequential = data.pop(0, sequential)
        ks = sorted(data)
        for ax, (m, _title, scale) in zip(axes, metrics, strict=True):
            ax.plot(ks, [scale * data[k][m] for k in ks], "o-", label=label)
    for ax, (m, title, scale) in zip(axes, metrics, strict=True):
        if sequential is not None:
            ax.axhline(scale * sequential[m], ls="--", color="grey", label="sequential")
        ax.set_xscale("log", base=2)
        ax.set_xticks([2, 4, 8])
        ax.set_xticklabels(["2", "4", "8"])
        ax.set_xlabel("n_shards")
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
