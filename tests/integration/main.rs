//! capsim's integration tests, built into one binary (one link step, one place to list them).
//!
//! Each module checks one promise, end to end, through the `capsim` binary or the public library:
//!
//! - `architecture`: the module graph: every `crate::<module>` path in `src/` goes down the
//!   layers `src/lib.rs` documents (no cycle, no upward import), every module has a layer, and
//!   the documented layers are the ones checked; the CLI's own files import without a cycle.
//! - `attribution`: known answers for where the missing GPUs are and what each constraint costs:
//!   one hand-built scenario per constraint (`valid/ka_*_only.toml`) gives that cause >= 95% of
//!   the missing GPU-days and of the shortfall at the deadline, and by far the largest cost; the
//!   shipped power-constrained variant puts more on power than the base case.
//! - `backtest`: known ranks on a deterministic backtest (`valid/bt_known.toml`: equal to the
//!   simulation ranks 50% inside P10–P90, above everything 100%, below 0%), per-site and fleet
//!   probes against the hand-worked timeline, `backtest.json`/`backtest.csv` shape, folder
//!   expansion, thread independence, bad observations exit 2 naming file and field.
//! - `bench`: `bench --trials A,B --json` reports a row per trial count with positive
//!   throughput and the memory fields (numbers, or null where unavailable); shapes, not timings.
//! - `cli`: flags, exit codes (0 ok, 1 run failure, 2 bad input), help and error text.
//! - `docs`: what the README and `docs/` promise holds: `capsim bench` runs outside the
//!   repository, help texts name the folders the commands write, the README installs `capsim`
//!   before calling it, the scenario format's example validates, its ranges and `--set` list match
//!   the checks, and the stated `daily.csv` column counts match a real run.
//! - `excerpts`: every marked excerpt of capsim output in `README.md` and `docs/` equals a real
//!   run of its command (and `CAPSIM_UPDATE_EXCERPTS=1`, `scripts/update-excerpts`, rewrites
//!   them); a block that looks like capsim output without a marker fails.
//! - `compare`: paired comparisons: common random numbers make a scenario's difference from
//!   itself exactly zero and narrow the interval of a real difference; files, fields, exit codes.
//! - `sensitivity`: Spearman, swing and Sobol rank a known lone driver first (ρ ≈ 1, the
//!   expected swing, S ≈ T ≈ 1); results do not depend on threads; files and exit codes.
//! - `scenarios`: every shipped scenario validates and runs; every file in
//!   `tests/fixtures/invalid/` fails with exit code 2 and the errors its `# expect-error:` lines
//!   name.
//! - `sources`: every `[ID]` citation in `scenarios/**/*.toml` and the built-in rack types names a
//!   row of `docs/sources.md`, and no text file points at notes outside the repository.
//! - `status`: `[status]` forecasts: everything done meets the target on the status date; a
//!   status read off a deterministic run restarts the same run (and every trial of a run random
//!   only after the date); a phase not yet energized gives the plain run's trials in that state
//!   (KS distance and means); every `invalid/status_*.toml` exits 2 naming a `status.` field; a
//!   scenario without a status gives the bytes recorded before `[status]` existed.
//! - `determinism`: same seed, same bytes, whatever the thread count, batch size or shard split;
//!   common random numbers across scenario edits.
//! - `robustness`: every valid fixture, mutated (extreme numbers, lines deleted, duplicated or
//!   moved, text cut or bytes inserted), loads, runs and summarises, or is refused with a located
//!   error; never a panic.
//! - `statistics`: known answers: hand-computed deterministic timelines and closed-form
//!   distributions, with tolerances derived from standard errors.
//! - `solve`: known answers for the value that just reaches a goal on a deterministic scenario
//!   (supply scale, weekly racks, deadline, target), reproducible across thread counts, with an
//!   interval that holds the answer; ranges without an answer; files; bad goals exit 2.
//! - `sweep`: every grid point equals a plain `run` with its `--set`s (common random numbers);
//!   P(target) rises with the delivery rate; `*` wildcards; files, heatmap, exit codes.
//! - `charts`: `run` writes the charts unless `--no-charts`; `plot` redraws them from a results
//!   folder; bad results files exit 2 naming the file.
//! - `plot`: every command that draws honours `--width/--height/--format` (PNG header and SVG
//!   sizes, only the asked formats); `plot` redraws every kind of results folder, a merged one
//!   too, charts and `report.html` byte-identical to what its command wrote; bad sizes and
//!   unknown folders exit 2.
//! - `shard`: `run --shard K/N` partials merged by `merge` are byte-identical to the unsharded
//!   run for any shard count (unequal shards, more shards than a batch, one trial each); the
//!   index can come from an array job's variable; bad sets of partials are refused, naming files.
//! - `hostile_partials`: every damaged or forged partial of issue 12 (a `trials_csv` naming any
//!   file, edited stored scenarios, forged shard and trial counts, layouts and histograms,
//!   deflate bombs, path-escaping comparison labels) makes `merge` exit 2 naming the partial,
//!   with no output folder; random damage to a real partial is harmless or refused, never a panic.
//! - `deploy`: the Dockerfile and `deploy/kubernetes/` manifests agree with each other and with
//!   the sharding flags; the manifests' commands, run locally per index, merge to the unsharded
//!   result.
//! - `validate_caps`: `validate` counts regional and fleet power caps in the most GPUs the plan
//!   can host by the deadline (hand-computed on `valid/capped_region.toml`), names the binding
//!   cap and its numbers in the warning `validate` prints and `run` records, and gives the power-
//!   and-floor figure as before when no cap binds.
//! - `mechanisms`: hand-computed timelines of the issue-9 model (`valid/ka_*.toml`): repair in
//!   place, pods, crews per phase, mobilization and a campus ceiling, power ramps, commissioning
//!   and early phases, racks set before power, site-bound deliveries, per-trial probabilities and
//!   their correlation groups, the defaults, and thread-independent constraint costs.
//! - `money`: capital deployed and idle inventory: the worked example priced by hand (daily
//!   columns, the deadline figures, idle rack-days and dollar-days by cause), a rack type
//!   without a price counted 0 and named, the terminal lines, and the same bytes sharded and on
//!   1 or 2 threads.
//! - `worked_example`: `docs/model.md`'s worked example (`valid/worked_example.toml`), every
//!   number the doc works out by hand (the day-by-day pipeline, where the missing GPUs are, the
//!   GPU-day shares and the constraint costs) asserted to the GPU.
//! - `report`: `report.html` in every results folder: self-contained (no script, nothing loaded
//!   from elsewhere), its `data-figure` values equal to the folder's JSON, warnings shown,
//!   scenario text escaped, none with `--no-charts`, the same bytes when written twice and when
//!   `plot` redraws it (rendering in a browser: `tests/report/`).
//! - `results_folder`: a results folder is one run's, whole: replaced with no stale files,
//!   foreign folders refused, an unwritable `--out` failing before the first trial, the previous
//!   folder intact after SIGKILL or Ctrl-C (exit 130) midway, and a closed or full standard
//!   output giving a quiet exit 0 or a clear exit 1, never a panic.
//! - `hostile_inputs`: issue 12's hostile scenario inputs: day-valued ranges beyond the longest
//!   horizon, rates and counts beyond the engine's integers, tables posing as dates, devices,
//!   pipes, huge files and deep chains in `extends`, quadratic loading, long ids and control
//!   characters, huge thread counts: each exits 2 with a located message, or runs with the right
//!   answer at the limit; random numbers in random fields (proptest) never panic.
//! - `trace`: `run --trace TRIAL` re-simulates exactly that trial of the run (its deadline figures
//!   and per-site racks equal its `trials.csv` row, on 1 and 2 threads); a deterministic
//!   scenario's `held_by` sequence is the one worked out by hand; the trace chart's strips;
//!   out-of-range traces exit 2; `sites.csv` agrees with `summary.json` and merged shards.
//! - `exports`: the shape and internal consistency of `summary.json`, `daily.csv`, `trials.csv`
//!   and `scenario.resolved.toml`.
//!
//! Everything runs in the debug profile, so trial counts stay in the hundreds to low thousands and
//! horizons in weeks to months. Nothing here measures time: speed belongs to the benchmarks.

mod architecture;
mod attribution;
mod backtest;
mod bench;
mod charts;
mod cli;
mod compare;
mod correlation;
mod deploy;
mod determinism;
mod docs;
mod excerpts;
mod exports;
mod hostile_inputs;
mod hostile_partials;
mod mechanisms;
mod money;
mod plot;
mod report;
mod results_folder;
mod robustness;
mod scenarios;
mod sensitivity;
mod shard;
mod solve;
mod sources;
mod statistics;
mod status;
mod sweep;
mod trace;
mod util;
mod validate_caps;
mod worked_example;
