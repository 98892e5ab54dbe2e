"""Two of the README's charts, drawn with matplotlib from a run's results in Python.

    python python/examples/charts.py OUT_DIR [--scenario FILE] [--trials N]

Runs the scenario (default: the shipped base case) and writes into OUT_DIR:
- fan.png: available GPUs over time, median with P25-P75 and P10-P90 bands, the target and the
  deadline, P(target by deadline) in the title (from Result.daily and Result.summary);
- full-capacity.png: when each trial reaches full capacity, as a weekly histogram with the
  cumulative share of trials on a second axis and the P10/P50/P90 dates (from Result.trials,
  Result.daily and Result.summary).
"""

import argparse
import datetime
import pathlib
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display needed
import matplotlib.pyplot as plt
import numpy as np

import capsim

BASE = pathlib.Path(__file__).resolve().parents[2] / "scenarios" / "aws-openai-2026.toml"
# Okabe-Ito colours, as capsim's own charts.
BLUE, ORANGE, VERMILLION, GREY = "#0072B2", "#E69F00", "#D55E00", "#555555"


def fan_chart(result: capsim.Result, scenario: capsim.Scenario, path: pathlib.Path) -> None:
    daily, summary = result.daily, result.summary
    p = summary["p_target_by_deadline"]
    fig, ax = plt.subplots(figsize=(12, 7), dpi=100)
    dates = daily["date"]
    ax.fill_between(dates, daily["available_gpus_p10"], daily["available_gpus_p90"],
                    color=BLUE, alpha=0.15, linewidth=0, label="P10-P90")
    ax.fill_between(dates, daily["available_gpus_p25"], daily["available_gpus_p75"],
                    color=BLUE, alpha=0.3, linewidth=0, label="P25-P75")
    ax.plot(dates, daily["available_gpus_p50"], color=BLUE, linewidth=2, label="median")
    ax.axhline(scenario.target_gpus, color=VERMILLION, linestyle="--",
               label=f"target {scenario.target_gpus:,} GPUs")
    ax.axvline(scenario.deadline, color=GREY, linestyle=":", label=f"deadline {scenario.deadline}")
    ax.set_title(f"{summary['scenario']}: available GPUs · P(target by deadline) "
                 f"{p['estimate']:.1%} (95% CI {p['ci95_low']:.1%} – {p['ci95_high']:.1%})")
    ax.set_ylabel("available GPUs")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def full_capacity_chart(result: capsim.Result, path: pathlib.Path) -> None:
    trials, daily, summary = result.trials, result.daily, result.summary
    reached = np.asarray(trials["full_capacity_date"], dtype="datetime64[D]")
    reached = reached[~np.isnat(reached)]
    fig, ax = plt.subplots(figsize=(12, 7), dpi=100)
    if len(reached):
        weeks = np.arange(reached.min(), reached.max() + np.timedelta64(8, "D"),
                          np.timedelta64(7, "D"))
        counts, edges = np.histogram(reached.astype("int64"), bins=weeks.astype("int64"))
        share = counts / summary["trials"]
        ax.bar(weeks[:-1].astype(datetime.date), share, width=6, align="edge", color=BLUE,
               alpha=0.7, label="trials reaching the target that week")
        margin = np.timedelta64(21, "D")
        ax.set_xlim((reached.min() - margin).astype(datetime.date),
                    (reached.max() + margin).astype(datetime.date))
    ax.set_ylabel("share of trials per week")
    cumulative = ax.twinx()
    cumulative.plot(daily["date"], daily["reached_target_share"], color=ORANGE, linewidth=2,
                    label="cumulative share")
    cumulative.set_ylim(0, 1)
    cumulative.set_ylabel("share of trials at full capacity")
    f = summary["full_capacity_date"]
    for name in ("p10", "p50", "p90"):
        if f[name]:
            day = datetime.date.fromisoformat(f[name])
            ax.axvline(day, color=GREY, linestyle=":")
            ax.annotate(f"{name.upper()} {day}", (day, 0.97), xycoords=("data", "axes fraction"),
                        rotation=90, va="top", ha="right", fontsize=9,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
    ax.set_title(f"{summary['scenario']}: full-capacity date · "
                 f"never by {summary['horizon']}: {f['never_fraction']:.1%}")
    lines = ax.get_legend_handles_labels()
    more = cumulative.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=pathlib.Path, help="folder for the PNGs")
    parser.add_argument("--scenario", type=pathlib.Path, default=BASE)
    parser.add_argument("--trials", type=int, default=None,
                        help="trials (default: the scenario's own)")
    args = parser.parse_args(argv)
    scenario = capsim.load(args.scenario)
    result = scenario.run(trials=args.trials, progress=sys.stderr.isatty())
    args.out_dir.mkdir(parents=True, exist_ok=True)
    fan_chart(result, scenario, args.out_dir / "fan.png")
    full_capacity_chart(result, args.out_dir / "full-capacity.png")
    print(f"Wrote fan.png and full-capacity.png to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
