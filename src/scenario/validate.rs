//! `Node → RawScenario → Scenario`: typed parsing, then every check across fields, once.
//!
//! All problems are collected before returning, so a user fixes a file in one pass. Each
//! diagnostic carries the field path and the line that wrote it (or its closest ancestor).

use std::collections::{HashMap, HashSet};

use jiff::civil::Date;

use super::limits::*;
use super::raw::{RawAccelerator, RawCorrelation, RawObservation, RawScenario, RawStatus};
use super::source::{Node, Segment, format_path, quote_list, shown};
use super::{
    Accelerator, BringUp, Correlation, Diagnostic, Disruption, DistSpec, InputRef, Observation,
    Operations, PowerLimit, PowerPhase, Scenario, ScenarioError, SchedulePoint, Site, SiteStatus,
    Status, SupplyStream, day_index, number, suggest,
};

pub(super) fn check(tree: Node) -> Result<Scenario, ScenarioError> {
    let value = tree.to_value();
    let raw: RawScenario = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let path = serde_path(e.path());
        // toml appends "in `table`" on a line of its own; the path already says where.
        let inner = e.inner().to_string();
        let first_line = inner.lines().next().unwrap_or_default().trim_end();
        let message = improve_serde_message(first_line);
        ScenarioError::Invalid {
            diagnostics: vec![Diagnostic {
                origin: tree.origin_of(&path).clone(),
                path: format_path(&path),
                message,
            }],
        }
    })?;
    let mut checker = Checker {
        tree: &tree,
        diagnostics: Vec::new(),
        dropped: 0,
    };
    let scenario = checker.scenario(raw, value);
    if checker.diagnostics.is_empty() {
        return Ok(scenario);
    }
    let mut diagnostics = checker.diagnostics;
    if checker.dropped > 0 {
        diagnostics.push(Diagnostic {
            origin: tree.origin.clone(),
            path: String::new(),
            message: format!(
                "{} more problems not shown; fix the ones above first",
                checker.dropped
            ),
        });
    }
    Err(ScenarioError::Invalid { diagnostics })
}

/// `in [lo, hi]`, `>= lo` or `<= hi`, as the finite ends allow.
fn range_text(lo: f64, hi: f64) -> String {
    match (lo.is_finite(), hi.is_finite()) {
        (true, true) => format!("in [{lo}, {hi}]"),
        (true, false) => format!(">= {lo}"),
        _ => format!("<= {hi}"),
    }
}

fn serde_path(path: &serde_path_to_error::Path) -> Vec<Segment> {
    path.iter()
        .filter_map(|seg| match seg {
            serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
            serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
            serde_path_to_error::Segment::Enum { variant } => Some(Segment::Key(variant.clone())),
            _ => None,
        })
        .collect()
}

/// Adds a "did you mean" to serde's unknown-field and unknown-variant messages, and says
/// "a number" where serde names a Rust type.
fn improve_serde_message(message: &str) -> String {
    let message = &message
        .replace("expected f64", "expected a number")
        .replace("expected u64", "expected a whole number >= 0")
        .replace("expected u32", "expected a whole number >= 0")
        .replace("expected a sequence", "expected an array [ ... ]");
    let (kind, rest) = if let Some(rest) = message.strip_prefix("unknown field `") {
        ("field", rest)
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        ("value", rest)
    } else {
        return message.to_string();
    };
    let Some((word, tail)) = rest.split_once('`') else {
        return message.to_string();
    };
    let valid: Vec<&str> = tail.split('`').skip(1).step_by(2).collect();
    let hint = suggest(word, valid.iter().copied())
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    let list = valid
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if list.is_empty() {
        format!(
            "unknown {kind} `{}`; no {kind}s are accepted here",
            shown(word)
        )
    } else {
        format!(
            "unknown {kind} `{}`; {hint}valid {kind}s are {list}",
            shown(word)
        )
    }
}

/// The ids of one kind, in order, with the position of each (the first, if one repeats), so
/// that resolving a reference costs one lookup however many ids there are.
struct Known {
    ids: Vec<String>,
    index: HashMap<String, usize>,
}

impl Known {
    fn new(ids: impl Iterator<Item = String>) -> Known {
        let ids: Vec<String> = ids.collect();
        let mut index = HashMap::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            index.entry(id.clone()).or_insert(i);
        }
        Known { ids, index }
    }
}

struct Checker<'a> {
    tree: &'a Node,
    diagnostics: Vec<Diagnostic>,
    /// Problems found beyond [`MAX_DIAGNOSTICS`].
    dropped: usize,
}

impl Checker<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        if self.is_full() {
            self.dropped += 1;
            return;
        }
        let segments = parse_path(path);
        self.diagnostics.push(Diagnostic {
            origin: self.tree.origin_of(&segments).clone(),
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// Whether [`MAX_DIAGNOSTICS`] are reported already (later ones are only counted).
    fn is_full(&self) -> bool {
        self.diagnostics.len() >= MAX_DIAGNOSTICS
    }

    fn require(&mut self, ok: bool, path: &str, message: impl FnOnce() -> String) {
        if !ok {
            self.error(path, message());
        }
    }

    fn unique_ids<'s>(&mut self, list: &str, ids: impl Iterator<Item = &'s str>) {
        let mut seen = HashSet::new();
        for (i, id) in ids.enumerate() {
            let path = format!("{list}[{i}].id");
            if id.trim().is_empty() {
                self.error(&path, "an id must not be empty");
            } else if !seen.insert(id) {
                self.error(
                    &path,
                    format!(
                        "duplicate id `{}`; each entry of `{list}` needs its own id",
                        shown(id)
                    ),
                );
            } else {
                self.name(&path, id);
            }
        }
    }

    /// An id or a name: printed in tables and messages, so at most [`MAX_ID_CHARS`] characters
    /// and no control characters (a newline or an escape sequence would garble the terminal).
    fn name(&mut self, path: &str, text: &str) {
        let chars = text.chars().count();
        if chars > MAX_ID_CHARS {
            self.error(
                path,
                format!(
                    "`{}` is {chars} characters long; ids and names may have at most {MAX_ID_CHARS}",
                    shown(text)
                ),
            );
        } else if text.chars().any(char::is_control) {
            self.error(
                path,
                format!(
                    "`{}` contains a control character; ids and names must be printable text (no newlines, tabs or escape sequences)",
                    shown(text)
                ),
            );
        }
    }

    /// Free text (a description, a source): newlines and tabs are fine, other control
    /// characters (escape sequences) are not.
    fn free_text(&mut self, path: &str, text: &str) {
        self.require(
            !text.chars().any(|c| c.is_control() && c != '\n' && c != '\t'),
            path,
            || {
                "contains a control character other than a newline or a tab (such as an escape sequence); write printable text".into()
            },
        );
    }

    /// Checks that every value `dist` can draw lies in [lo, hi]; returns whether it does.
    fn dist_within(&mut self, path: &str, dist: &DistSpec, lo: f64, hi: f64, what: &str) -> bool {
        let (min, max) = dist.support();
        let ok = min >= lo && max <= hi;
        if !ok {
            self.error(
                path,
                format!(
                    "{what} must be {}, but this distribution ({}) can draw values from {} to {}",
                    range_text(lo, hi),
                    dist.describe(),
                    number(min),
                    number(max)
                ),
            );
        }
        ok
    }

    /// Checks a distribution against a limit of `docs/scenario-format.md` ("Limits"): all but
    /// 10⁻¹⁵ of its mass ([`DistSpec::effective_range`]) lies in [lo, hi] `unit`.
    fn dist_limited(
        &mut self,
        path: &str,
        dist: &DistSpec,
        lo: f64,
        hi: f64,
        what: &str,
        unit: &str,
    ) {
        let (min, max) = dist.effective_range();
        if !(min >= lo && max <= hi) {
            self.error(
                path,
                format!(
                    "{what} must stay within [{lo}, {hi}] {unit} (the limits in docs/scenario-format.md), but this distribution ({}) draws values from {} to {}",
                    dist.describe(),
                    number(min),
                    number(max)
                ),
            );
        }
    }

    /// A day-valued distribution: whole days within ±[`MAX_DAYS_DRAWN`] (the longest horizon),
    /// and never negative when `non_negative`.
    fn days(&mut self, path: &str, dist: &DistSpec, non_negative: bool, what: &str) {
        let most = MAX_DAYS_DRAWN as f64;
        if non_negative {
            if self.dist_within(path, dist, 0.0, f64::INFINITY, what) {
                self.dist_limited(path, dist, 0.0, most, what, "days");
            }
        } else {
            self.dist_limited(path, dist, -most, most, what, "days");
        }
    }

    fn positive(&mut self, path: &str, v: f64, unit: &str) {
        self.require(v.is_finite() && v > 0.0, path, || {
            format!("must be a positive number of {unit}, found {}", number(v))
        });
    }

    fn non_negative(&mut self, path: &str, v: f64) {
        self.require(v.is_finite() && v >= 0.0, path, || {
            format!("must be a number >= 0, found {}", number(v))
        });
    }

    /// A number in [lo, hi] (a limit of `docs/scenario-format.md` when `hi` is one).
    fn number_in(&mut self, path: &str, v: f64, lo: f64, hi: f64, unit: &str) {
        self.require(v.is_finite() && v >= lo && v <= hi, path, || {
            format!(
                "must be a number of {unit} in [{lo}, {hi}], found {}",
                number(v)
            )
        });
    }

    /// A count at most `most`.
    fn count_at_most(&mut self, path: &str, n: u64, most: u64, unit: &str) {
        self.require(n <= most, path, || {
            format!("may be at most {most} {unit}, found {n}")
        });
    }

    /// A list no longer than `most` (see `docs/scenario-format.md`, "Limits").
    fn list_at_most(&mut self, path: &str, len: usize, most: usize, what: &str) {
        self.require(len <= most, path, || {
            format!("has {len} {what}; a scenario may have at most {most}")
        });
    }

    /// A date within [`DATE_MARGIN_DAYS`] of the simulated days.
    fn date_near(&mut self, path: &str, date: Date, start: Date, horizon: Date) {
        let ok = day_index(start, date) >= -DATE_MARGIN_DAYS
            && day_index(horizon, date) <= DATE_MARGIN_DAYS;
        self.require(ok, path, || {
            format!(
                "{date} is too far from the simulated days {start} to {horizon}: dates may lie at most {DATE_MARGIN_DAYS} days before the start or after the horizon"
            )
        });
    }

    fn lookup(&mut self, path: &str, id: &str, known: &Known, what: &str) -> Option<usize> {
        if let Some(&i) = known.index.get(id) {
            return Some(i);
        }
        if self.is_full() {
            self.dropped += 1;
            return None;
        }
        let hint = suggest(id, known.ids.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        self.error(
            path,
            format!(
                "unknown {what} `{}`; {hint}known {what}s are {}",
                shown(id),
                quote_list(&known.ids)
            ),
        );
        None
    }

    fn scenario(&mut self, raw: RawScenario, resolved: toml::Value) -> Scenario {
        let meta = &raw.scenario;
        self.require(!meta.name.trim().is_empty(), "scenario.name", || {
            "must not be empty".into()
        });
        self.name("scenario.name", &meta.name);
        self.free_text("scenario.description", &meta.description);
        self.require(
            meta.start >= EARLIEST_START && meta.start <= LATEST_START,
            "scenario.start",
            || {
                format!(
                    "the start must lie between {EARLIEST_START} and {LATEST_START}, found {}",
                    meta.start
                )
            },
        );
        self.require(meta.deadline > meta.start, "scenario.deadline", || {
            format!(
                "the deadline {} must come after the start {}",
                meta.deadline, meta.start
            )
        });
        self.require(meta.horizon >= meta.deadline, "scenario.horizon", || {
            format!(
                "the horizon {} must not come before the deadline {}",
                meta.horizon, meta.deadline
            )
        });
        self.require(
            day_index(meta.start, meta.horizon) <= MAX_HORIZON_DAYS,
            "scenario.horizon",
            || format!("the horizon may be at most {MAX_HORIZON_DAYS} days after the start"),
        );
        self.require(meta.target_gpus > 0, "scenario.target_gpus", || {
            "must be at least 1".into()
        });
        self.count_at_most(
            "scenario.target_gpus",
            meta.target_gpus,
            MAX_TARGET_GPUS,
            "GPUs",
        );
        self.require(meta.trials != Some(0), "scenario.trials", || {
            "must be at least 1".into()
        });
        if let Some(trials) = meta.trials {
            self.count_at_most("scenario.trials", trials, MAX_TRIALS, "trials");
        }
        let (start, horizon) = (meta.start, meta.horizon);

        let accelerators = self.accelerators(&raw.accelerators);
        let accelerator_ids = Known::new(accelerators.iter().map(|a| a.id.clone()));

        self.require(!raw.supply.is_empty(), "supply", || {
            "a scenario needs at least one [[supply]] stream".into()
        });
        self.list_at_most("supply", raw.supply.len(), MAX_STREAMS, "supply streams");
        self.unique_ids("supply", raw.supply.iter().map(|s| s.id.as_str()));
        let mut supply = Vec::new();
        // The most GPUs and FP8 PFLOPS the streams can deliver by the horizon: every week at the
        // stream's peak rate and the top of its noise.
        let weeks = (day_index(start, horizon).max(0) / 7 + 1) as f64;
        let (mut plan_gpus, mut plan_pflops, mut plan_usd) = (0.0, 0.0, 0.0);
        for (i, s) in raw.supply.iter().enumerate() {
            let at = |f: &str| format!("supply[{i}].{f}");
            let accelerator = self
                .lookup(
                    &at("accelerator"),
                    &s.accelerator,
                    &accelerator_ids,
                    "accelerator",
                )
                .unwrap_or(0);
            self.require(s.schedule.len() >= 2, &at("schedule"), || {
                "needs at least two { date, racks_per_week } points: the rate is interpolated between them and zero outside".into()
            });
            self.list_at_most(
                &at("schedule"),
                s.schedule.len(),
                MAX_SCHEDULE_POINTS,
                "points",
            );
            for (k, p) in s.schedule.iter().enumerate() {
                self.number_in(
                    &at(&format!("schedule[{k}].racks_per_week")),
                    p.racks_per_week,
                    0.0,
                    MAX_RACKS_PER_WEEK,
                    "racks per week",
                );
                self.date_near(&at(&format!("schedule[{k}].date")), p.date, start, horizon);
                if k > 0 && p.date <= s.schedule[k - 1].date {
                    self.error(
                        &at(&format!("schedule[{k}].date")),
                        format!(
                            "schedule dates must increase; {} follows {}",
                            p.date,
                            s.schedule[k - 1].date
                        ),
                    );
                }
            }
            self.non_negative(&at("rate_scale"), s.rate_scale);
            let peak = s
                .schedule
                .iter()
                .map(|p| p.racks_per_week)
                .fold(0.0, f64::max);
            if s.rate_scale.is_finite() && peak <= MAX_RACKS_PER_WEEK {
                self.require(
                    peak * s.rate_scale <= MAX_RACKS_PER_WEEK,
                    &at("rate_scale"),
                    || {
                        format!(
                            "scales the schedule's peak of {peak} racks per week to {} racks per week; a stream may plan at most {MAX_RACKS_PER_WEEK} racks per week",
                            peak * s.rate_scale
                        )
                    },
                );
            }
            if let Some(a) = accelerators.get(accelerator) {
                let racks = peak * s.rate_scale * weeks * s.noise.effective_range().1.max(1.0);
                plan_gpus += racks * f64::from(a.gpus_per_rack);
                plan_pflops += racks * f64::from(a.gpus_per_rack) * a.fp8_pflops_per_gpu;
                plan_usd += racks * a.price_per_rack_usd.unwrap_or(0.0);
            }
            if let Some(cap) = s.cap_racks {
                self.count_at_most(&at("cap_racks"), cap, MAX_RACKS, "racks");
            }
            self.days(&at("slip_days"), &s.slip_days, false, "a slip");
            self.days(&at("transit_days"), &s.transit_days, true, "a transit time");
            if self.dist_within(&at("noise"), &s.noise, 0.0, f64::INFINITY, "supply noise") {
                self.dist_limited(
                    &at("noise"),
                    &s.noise,
                    0.0,
                    MAX_NOISE,
                    "supply noise",
                    "times the plan",
                );
            }
            let disruption = s.disruption.as_ref().map(|d| {
                self.dist_within(
                    &at("disruption.weekly_probability"),
                    &d.weekly_probability,
                    0.0,
                    1.0,
                    "a probability",
                );
                if self.dist_within(
                    &at("disruption.duration_weeks"),
                    &d.duration_weeks,
                    0.0,
                    f64::INFINITY,
                    "a duration",
                ) {
                    self.dist_limited(
                        &at("disruption.duration_weeks"),
                        &d.duration_weeks,
                        0.0,
                        (MAX_DAYS_DRAWN / 7) as f64,
                        "a duration",
                        "weeks",
                    );
                }
                self.dist_within(
                    &at("disruption.severity"),
                    &d.severity,
                    0.0,
                    1.0,
                    "a severity",
                );
                Disruption {
                    weekly_probability: d.weekly_probability.clone(),
                    duration_weeks: d.duration_weeks.clone(),
                    severity: d.severity.clone(),
                }
            });
            supply.push(SupplyStream {
                id: s.id.clone(),
                accelerator,
                schedule: s
                    .schedule
                    .iter()
                    .map(|p| SchedulePoint {
                        date: p.date,
                        racks_per_week: p.racks_per_week,
                    })
                    .collect(),
                rate_scale: s.rate_scale,
                cap_racks: s.cap_racks,
                slip_days: s.slip_days.clone(),
                noise: s.noise.clone(),
                disruption,
                transit_days: s.transit_days.clone(),
            });
        }
        // A NaN comes from a field already reported as invalid: no second message.
        let within = |x: f64, max: f64| x.is_nan() || x <= max;
        self.require(within(plan_gpus, MAX_PLAN_GPUS), "supply", || {
            format!(
                "the streams can deliver up to {} GPUs by the horizon (every week at their peak rate and the top of their noise); a scenario may plan at most {} (docs/limits.md)",
                number(plan_gpus),
                number(MAX_PLAN_GPUS)
            )
        });
        self.require(within(plan_pflops, MAX_PLAN_FP8_PFLOPS), "supply", || {
            format!(
                "the streams can deliver up to {} FP8 PFLOPS by the horizon (every week at their peak rate and the top of their noise); a scenario may plan at most {} (docs/limits.md)",
                number(plan_pflops),
                number(MAX_PLAN_FP8_PFLOPS)
            )
        });
        self.require(within(plan_usd, MAX_PLAN_USD), "supply", || {
            format!(
                "the streams can deliver racks worth up to {} USD by the horizon (every week at their peak rate and the top of their noise, at each rack type's price_per_rack_usd); a scenario may plan at most {} USD (docs/limits.md)",
                number(plan_usd),
                number(MAX_PLAN_USD)
            )
        });

        self.require(!raw.sites.is_empty(), "sites", || {
            "a scenario needs at least one [[sites]] entry".into()
        });
        self.list_at_most("sites", raw.sites.len(), MAX_SITES, "sites");
        let phases: usize = raw.sites.iter().map(|s| s.phases.len()).sum();
        self.list_at_most("sites", phases, MAX_PHASES, "power phases in all");
        let rack_types = raw
            .supply
            .iter()
            .map(|s| s.accelerator.as_str())
            .collect::<HashSet<_>>()
            .len();
        let cells =
            (raw.sites.len() * rack_types) as u64 * (day_index(start, horizon).max(0) as u64 + 1);
        self.require(cells <= MAX_SITE_TYPE_DAYS, "sites", || {
            format!(
                "{} sites × {rack_types} rack types × {} days = {cells} site-days; the engine keeps buffers per site, rack type and day, and a scenario may have at most {MAX_SITE_TYPE_DAYS}: use fewer sites or a shorter horizon",
                raw.sites.len(),
                day_index(start, horizon) + 1
            )
        });
        self.unique_ids("sites", raw.sites.iter().map(|s| s.id.as_str()));
        let mut regions: Vec<String> = Vec::new();
        let mut region_index: HashMap<&str, usize> = HashMap::new();
        let mut sites = Vec::new();
        let mut plan_mw = 0.0;
        for (i, s) in raw.sites.iter().enumerate() {
            let at = |f: &str| format!("sites[{i}].{f}");
            self.require(
                s.pue.is_finite() && s.pue >= 1.0 && s.pue <= MAX_PUE,
                &at("pue"),
                || {
                    format!(
                        "PUE is facility power over IT power and must be >= 1 (AWS reports 1.14) and at most {MAX_PUE}, found {}",
                        s.pue
                    )
                },
            );
            self.name(&at("region"), &s.region);
            self.name(&at("provider"), &s.provider);
            if let Some(name) = &s.name {
                self.name(&at("name"), name);
            }
            self.require(!s.accepts.is_empty(), &at("accepts"), || {
                format!(
                    "a site must accept at least one accelerator, e.g. accepts = [\"gb300-nvl72\"]; known ids are {}",
                    quote_list(&accelerator_ids.ids)
                )
            });
            self.list_at_most(
                &at("accepts"),
                s.accepts.len(),
                MAX_ACCELERATORS,
                "rack types",
            );
            let accepts: Vec<usize> = s
                .accepts
                .iter()
                .enumerate()
                .filter_map(|(k, id)| {
                    self.lookup(
                        &at(&format!("accepts[{k}]")),
                        id,
                        &accelerator_ids,
                        "accelerator",
                    )
                })
                .collect();
            if let Some(m) = s.max_racks {
                self.require(m > 0, &at("max_racks"), || {
                    "floor space must be at least 1 rack; leave it out for no limit".into()
                });
                self.count_at_most(&at("max_racks"), m, MAX_RACKS, "racks");
            }
            if self.dist_within(
                &at("install_racks_per_day"),
                &s.install_racks_per_day,
                0.0,
                f64::INFINITY,
                "an install rate",
            ) {
                self.dist_limited(
                    &at("install_racks_per_day"),
                    &s.install_racks_per_day,
                    0.0,
                    MAX_INSTALL_RACKS_PER_DAY,
                    "an install rate",
                    "racks per day",
                );
            }
            self.number_in(
                &at("power_scale"),
                s.power_scale,
                0.0,
                MAX_POWER_SCALE,
                "times the phases' MW",
            );
            self.require(!s.phases.is_empty(), &at("phases"), || {
                "a site needs at least one power phase { mw, planned, delay_days }".into()
            });
            plan_mw += s.phases.iter().map(|p| p.mw).sum::<f64>() * s.power_scale;
            for (k, p) in s.phases.iter().enumerate() {
                let phase = |f: &str| at(&format!("phases[{k}].{f}"));
                self.positive(&phase("mw"), p.mw, "MW, e.g. mw = 150");
                self.number_in(&phase("mw"), p.mw, 0.0, MAX_MW, "MW");
                self.date_near(&phase("planned"), p.planned, start, horizon);
                self.days(&phase("delay_days"), &p.delay_days, false, "a delay");
                self.count_at_most(
                    &phase("ramp_days"),
                    p.ramp_days.into(),
                    MAX_DAYS_DRAWN as u64,
                    "days",
                );
                self.days(
                    &phase("commissioning_days"),
                    &p.commissioning_days,
                    true,
                    "a duration",
                );
            }
            self.number_in(
                &at("mobilization_days"),
                s.mobilization_days,
                0.0,
                MAX_DAYS_DRAWN as f64,
                "days",
            );
            self.require(
                s.mobilization_start > 0.0 && s.mobilization_start <= 1.0,
                &at("mobilization_start"),
                || {
                    format!(
                        "is the share of full pace on a crew's first day and must lie in (0, 1], found {}",
                        s.mobilization_start
                    )
                },
            );
            if let Some(cap) = s.max_install_racks_per_day {
                self.positive(&at("max_install_racks_per_day"), cap, "racks per day");
                self.number_in(
                    &at("max_install_racks_per_day"),
                    cap,
                    0.0,
                    MAX_INSTALL_RACKS_PER_DAY,
                    "racks per day",
                );
            }
            self.count_at_most(
                &at("install_lead_days"),
                s.install_lead_days.into(),
                MAX_DAYS_DRAWN as u64,
                "days",
            );
            if let Some(pod) = s.pod_racks {
                self.require(pod > 0, &at("pod_racks"), || {
                    "a pod holds at least 1 rack; leave pod_racks out for racks that go online one by one".into()
                });
                self.count_at_most(
                    &at("pod_racks"),
                    pod.into(),
                    MAX_RACKS_PER_WEEK as u64,
                    "racks",
                );
            }
            self.days(
                &at("pod_acceptance_days"),
                &s.pod_acceptance_days,
                true,
                "a duration",
            );
            let region = *region_index.entry(s.region.as_str()).or_insert_with(|| {
                regions.push(s.region.clone());
                regions.len() - 1
            });
            sites.push(Site {
                id: s.id.clone(),
                name: s.name.clone().unwrap_or_else(|| s.id.clone()),
                region,
                provider: s.provider.clone(),
                pue: s.pue,
                accepts,
                max_racks: s.max_racks,
                install_racks_per_day: s.install_racks_per_day.clone(),
                power_scale: s.power_scale,
                phases: s
                    .phases
                    .iter()
                    .map(|p| PowerPhase {
                        mw: p.mw,
                        planned: p.planned,
                        delay_days: p.delay_days.clone(),
                        ramp_days: p.ramp_days,
                        commissioning_days: p.commissioning_days.clone(),
                    })
                    .collect(),
                crews_per_phase: s.crews_per_phase,
                mobilization_days: s.mobilization_days,
                mobilization_start: s.mobilization_start,
                max_install_racks_per_day: s.max_install_racks_per_day,
                install_lead_days: s.install_lead_days,
                pod_racks: s.pod_racks,
                pod_acceptance_days: s.pod_acceptance_days.clone(),
            });
        }
        self.require(plan_mw.is_nan() || plan_mw <= MAX_PLAN_MW, "sites", || {
            format!(
                "the sites' phases add up to {} MW (after power_scale); a scenario may plan at most {} MW (docs/limits.md)",
                number(plan_mw),
                number(MAX_PLAN_MW)
            )
        });

        self.list_at_most(
            "power_limits",
            raw.power_limits.len(),
            MAX_POWER_LIMITS,
            "power limits",
        );
        self.unique_ids(
            "power_limits",
            raw.power_limits.iter().map(|l| l.id.as_str()),
        );
        let region_ids = Known::new(regions.iter().cloned());
        let mut power_limits = Vec::new();
        for (i, l) in raw.power_limits.iter().enumerate() {
            let at = |f: &str| format!("power_limits[{i}].{f}");
            let region = l.region.as_ref().map(|r| {
                self.lookup(&at("region"), r, &region_ids, "region")
                    .unwrap_or(0)
            });
            self.number_in(&at("mw"), l.mw, 0.0, MAX_MW, "MW");
            self.list_at_most(&at("steps"), l.steps.len(), MAX_LIMIT_STEPS, "steps");
            for (k, step) in l.steps.iter().enumerate() {
                self.number_in(&at(&format!("steps[{k}].mw")), step.mw, 0.0, MAX_MW, "MW");
                self.date_near(&at(&format!("steps[{k}].date")), step.date, start, horizon);
                if k > 0 && step.date <= l.steps[k - 1].date {
                    self.error(&at(&format!("steps[{k}].date")), "step dates must increase");
                }
            }
            power_limits.push(PowerLimit {
                id: l.id.clone(),
                region,
                mw: l.mw,
                steps: l.steps.iter().map(|s| (s.date, s.mw)).collect(),
            });
        }

        let b = &raw.bring_up;
        self.days("bring_up.burn_in_days", &b.burn_in_days, true, "a duration");
        let (least, most) = b.failure_probability.support();
        if most >= 1.0 {
            let found = if least == most {
                format!("found {most}")
            } else {
                format!("but {} can reach {most}", b.failure_probability.describe())
            };
            self.error(
                "bring_up.failure_probability",
                format!(
                    "is a probability per rack and must lie in [0, 1) (at 1 no rack ever passes), {found}"
                ),
            );
        } else {
            self.dist_within(
                "bring_up.failure_probability",
                &b.failure_probability,
                0.0,
                1.0,
                "a probability",
            );
        }
        self.require(
            (0.0..=1.0).contains(&b.pulled_fraction),
            "bring_up.pulled_fraction",
            || {
                format!(
                    "is the share of failed racks pulled off the floor and must lie in [0, 1] (1 = every failed rack leaves the floor), found {}",
                    b.pulled_fraction
                )
            },
        );
        self.days(
            "bring_up.fix_in_place_days",
            &b.fix_in_place_days,
            true,
            "a duration",
        );
        self.days("bring_up.rework_days", &b.rework_days, true, "a duration");
        let o = &raw.operations;
        self.number_in(
            "operations.interruptions_per_gpu_year",
            o.interruptions_per_gpu_year,
            0.0,
            MAX_INTERRUPTIONS_PER_GPU_YEAR,
            "interruptions per GPU per year",
        );
        if self.dist_within(
            "operations.repair_days",
            &o.repair_days,
            0.0,
            f64::INFINITY,
            "a duration",
        ) {
            self.dist_limited(
                "operations.repair_days",
                &o.repair_days,
                0.0,
                MAX_REPAIR_DAYS as f64,
                "a repair",
                "days",
            );
        }
        if let Some(days) = raw.allocation.reroute_days {
            self.count_at_most(
                "allocation.reroute_days",
                days.into(),
                MAX_DAYS_DRAWN as u64,
                "days",
            );
        }

        let mut scenario = Scenario {
            name: meta.name.clone(),
            description: meta.description.clone(),
            start: meta.start,
            deadline: meta.deadline,
            horizon: meta.horizon,
            target_gpus: meta.target_gpus,
            seed: meta.seed,
            trials: meta.trials,
            accelerators,
            supply,
            sites,
            regions,
            power_limits,
            bring_up: BringUp {
                burn_in_days: b.burn_in_days.clone(),
                failure_probability: b.failure_probability.clone(),
                pulled_fraction: b.pulled_fraction,
                fix_in_place_days: b.fix_in_place_days.clone(),
                rework_days: b.rework_days.clone(),
            },
            operations: Operations {
                interruptions_per_gpu_year: o.interruptions_per_gpu_year,
                repair_days: o.repair_days.clone(),
            },
            allocation: raw.allocation.policy,
            staging: raw.allocation.staging,
            reroute_days: raw.allocation.reroute_days,
            correlations: Vec::new(),
            observations: Vec::new(),
            status: None,
            warnings: Vec::new(),
            resolved: without_extends(resolved),
        };
        scenario.correlations = self.correlations(&raw.correlations, &scenario);
        scenario.observations = self.observations(&raw.observations, &scenario);
        if let Some(status) = &raw.status {
            scenario.status = Some(self.status(status, &scenario));
        }
        if self.diagnostics.is_empty() {
            scenario.warnings = super::figures::warnings(&scenario);
            if let Some(status) = scenario
                .status
                .as_ref()
                .filter(|st| st.date > meta.deadline)
            {
                scenario.warnings.push(format!(
                    "the status date {} is after the deadline {}: days up to the status date are not simulated, so the figures at the deadline are the status held flat, and a target reached by the status date counts as reached on it (not by the deadline)",
                    status.date, meta.deadline
                ));
            }
        }
        scenario
    }

    fn correlations(&mut self, raw: &[RawCorrelation], scenario: &Scenario) -> Vec<Correlation> {
        self.unique_ids("correlations", raw.iter().map(|c| c.id.as_str()));
        let patterns: usize = raw.iter().map(|c| c.inputs.len()).sum();
        self.list_at_most(
            "correlations",
            patterns,
            MAX_CORRELATION_PATTERNS,
            "input patterns in all",
        );
        if patterns > MAX_CORRELATION_PATTERNS {
            return Vec::new();
        }
        let inputs = scenario.inputs();
        let mut taken: HashMap<InputRef, &str> = HashMap::new();
        let mut out = Vec::new();
        for (g, c) in raw.iter().enumerate() {
            let at = |f: &str| format!("correlations[{g}].{f}");
            self.require((0.0..1.0).contains(&c.rho), &at("rho"), || {
                format!(
                    "a rank correlation for a group must lie in [0, 1) (1 would make the inputs one), found {}",
                    c.rho
                )
            });
            let mut members = Vec::new();
            let mut member_set = HashSet::new();
            for (k, pattern) in c.inputs.iter().enumerate() {
                let matched: Vec<&(InputRef, String)> = inputs
                    .iter()
                    .filter(|(_, name)| glob_match(pattern, name))
                    .collect();
                if matched.is_empty() && !self.is_full() {
                    let names: Vec<String> = inputs.iter().map(|(_, n)| n.clone()).collect();
                    let hint = suggest(pattern, names.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    self.error(
                        &at(&format!("inputs[{k}]")),
                        format!(
                            "`{}` matches no per-trial input; {hint}inputs are named as in trials.csv, e.g. {}",
                            shown(pattern),
                            quote_list(&names.into_iter().take(6).collect::<Vec<_>>())
                        ),
                    );
                }
                for (input, name) in matched {
                    if member_set.contains(input) {
                        continue;
                    }
                    if let Some(other) = taken.get(input) {
                        let message = format!(
                            "`{name}` is already in correlation group `{other}`; an input can be in one group only"
                        );
                        self.error(&at(&format!("inputs[{k}]")), message);
                        continue;
                    }
                    let (lo, hi) = scenario.input_spec(*input).support();
                    if lo == hi {
                        self.error(
                            &at(&format!("inputs[{k}]")),
                            format!(
                                "`{name}` is fixed ({lo}), so it cannot be correlated with anything"
                            ),
                        );
                        continue;
                    }
                    taken.insert(*input, &c.id);
                    member_set.insert(*input);
                    members.push(*input);
                }
            }
            if members.len() < 2 && self.diagnostics.is_empty() {
                self.error(
                    &at("inputs"),
                    format!("a correlation group needs at least two uncertain inputs; these patterns match {}", members.len()),
                );
            }
            out.push(Correlation {
                id: c.id.clone(),
                inputs: members,
                rho: c.rho,
            });
        }
        out
    }

    fn observations(&mut self, raw: &[RawObservation], scenario: &Scenario) -> Vec<Observation> {
        self.list_at_most("observations", raw.len(), MAX_OBSERVATIONS, "observations");
        let site_ids = Known::new(scenario.sites.iter().map(|s| s.id.clone()));
        let mut out = Vec::new();
        for (i, o) in raw.iter().enumerate() {
            let at = |f: &str| format!("observations[{i}].{f}");
            self.require(
                o.date >= scenario.start && o.date <= scenario.horizon,
                &at("date"),
                || {
                    format!(
                        "an observation must fall within the simulated days, {} (start) to {} (horizon); found {}",
                        scenario.start, scenario.horizon, o.date
                    )
                },
            );
            let site = o
                .site
                .as_ref()
                .and_then(|id| self.lookup(&at("site"), id, &site_ids, "site"));
            self.require(
                o.value.is_finite() && o.value >= 0.0 && o.value <= MAX_OBSERVED_VALUE,
                &at("value"),
                || {
                format!(
                    "an observed {} must be a number >= 0 and at most {MAX_OBSERVED_VALUE:e} (in {}), found {}",
                    o.metric.name(),
                    o.metric.unit(),
                    o.value
                )
                },
            );
            self.require(!o.source.trim().is_empty(), &at("source"), || {
                "must not be empty: say where the value comes from, e.g. source = \"press release, 2025-09-30\"".into()
            });
            self.free_text(&at("source"), &o.source);
            out.push(Observation {
                date: o.date,
                metric: o.metric,
                site,
                value: o.value,
                source: o.source.clone(),
            });
        }
        out
    }

    /// `[status]`: ids resolve, rack types are accepted where they stand, and the state is
    /// possible: racks on a floor fit its energized power and its floor, racks at sites were
    /// delivered, deliveries fit each stream's cap.
    fn status(&mut self, raw: &RawStatus, scenario: &Scenario) -> Status {
        self.require(
            raw.date >= scenario.start && raw.date < scenario.horizon,
            "status.date",
            || {
                format!(
                    "the status date must lie in [{} (start), {} (horizon)): the state holds at the end of that day and the simulation goes on from the next; found {}",
                    scenario.start, scenario.horizon, raw.date
                )
            },
        );
        let stream_ids = Known::new(scenario.supply.iter().map(|s| s.id.clone()));
        let site_ids = Known::new(scenario.sites.iter().map(|s| s.id.clone()));
        let accelerator_ids = Known::new(scenario.accelerators.iter().map(|a| a.id.clone()));
        let mut delivered_racks = vec![0u64; scenario.supply.len()];
        let mut listed = vec![false; scenario.supply.len()];
        for (k, e) in raw.supply.iter().enumerate() {
            let at = |f: &str| format!("status.supply[{k}].{f}");
            let Some(i) = self.lookup(&at("stream"), &e.stream, &stream_ids, "stream") else {
                continue;
            };
            if std::mem::replace(&mut listed[i], true) {
                self.error(
                    &at("stream"),
                    format!(
                        "stream `{}` is listed twice in `status.supply`",
                        shown(&e.stream)
                    ),
                );
                continue;
            }
            if e.delivered_racks > MAX_RACKS {
                self.count_at_most(
                    &at("delivered_racks"),
                    e.delivered_racks,
                    MAX_RACKS,
                    "racks",
                );
                continue;
            }
            delivered_racks[i] = e.delivered_racks;
            if let Some(cap) = scenario.supply[i].cap_racks {
                self.require(e.delivered_racks <= cap, &at("delivered_racks"), || {
                    format!(
                        "stream `{}` delivers at most cap_racks = {cap} racks, but the status says {} were delivered",
                        e.stream, e.delivered_racks
                    )
                });
            }
        }
        let mut sites = vec![SiteStatus::default(); scenario.sites.len()];
        let mut seen = vec![false; scenario.sites.len()];
        // Racks at sites per rack type, and the first field that placed any (for the message).
        let mut at_sites = vec![0u64; scenario.accelerators.len()];
        for (k, e) in raw.sites.iter().enumerate() {
            let at = |f: &str| format!("status.sites[{k}].{f}");
            let Some(i) = self.lookup(&at("site"), &e.site, &site_ids, "site") else {
                continue;
            };
            if std::mem::replace(&mut seen[i], true) {
                self.error(
                    &at("site"),
                    format!(
                        "site `{}` is listed twice in `status.sites`",
                        shown(&e.site)
                    ),
                );
                continue;
            }
            let site = &scenario.sites[i];
            let phases = site.phases.len();
            self.require(
                e.energized_phases <= phases as u64,
                &at("energized_phases"),
                || {
                    format!(
                        "site `{}` has {phases} phase(s), so at most {phases} can be energized; found {}",
                        e.site, e.energized_phases
                    )
                },
            );
            let energized = (e.energized_phases as usize).min(phases);
            let mut racks = |field: &str, list: &[(String, u64)]| -> Vec<(usize, u64)> {
                let mut out = Vec::new();
                for (id, n) in list {
                    let path = at(&format!("{field}.{id}"));
                    if *n > MAX_RACKS {
                        self.count_at_most(&path, *n, MAX_RACKS, "racks");
                        continue;
                    }
                    let Some(a) = self.lookup(&path, id, &accelerator_ids, "accelerator") else {
                        continue;
                    };
                    if !site.accepts.contains(&a) {
                        let accepted: Vec<String> = site
                            .accepts
                            .iter()
                            .map(|&x| scenario.accelerators[x].id.clone())
                            .collect();
                        self.error(
                            &path,
                            format!(
                                "site `{}` does not accept `{id}`; it accepts {}",
                                e.site,
                                quote_list(&accepted)
                            ),
                        );
                        continue;
                    }
                    at_sites[a] += n;
                    out.push((a, *n));
                }
                out
            };
            let staged_racks = racks("staged_racks", &e.staged_racks);
            let installed_racks = racks("installed_racks", &e.installed_racks);
            let online_racks = racks("online_racks", &e.online_racks);
            // Racks on the floor must fit the energized phases' IT power and the floor.
            let on_floor = installed_racks.iter().chain(&online_racks);
            let floor_racks: u64 = on_floor.clone().map(|&(_, n)| n).sum();
            let floor_kw: f64 = on_floor
                .map(|&(a, n)| n as f64 * scenario.accelerators[a].rack_it_kw)
                .sum();
            let energized_it_kw: f64 = site.phases[..energized]
                .iter()
                .map(|p| p.mw * site.power_scale * 1000.0 / site.pue)
                .sum();
            let field = if installed_racks.iter().any(|&(_, n)| n > 0) {
                "installed_racks"
            } else {
                "online_racks"
            };
            if floor_kw > energized_it_kw * (1.0 + 1e-9) + 1e-9 {
                self.error(
                    &at(field),
                    format!(
                        "site `{}` has {floor_racks} racks installed or online, drawing {floor_kw} kW of IT power, but its {energized} energized phase(s) give only {:.1} kW of IT power (MW × power_scale × 1000 / PUE {}); raise `energized_phases` or lower the racks",
                        e.site,
                        energized_it_kw,
                        site.pue
                    ),
                );
            }
            if let Some(max) = site.max_racks {
                self.require(floor_racks <= max, &at(field), || {
                    format!(
                        "site `{}` has room for max_racks = {max} racks on its floor, but the status puts {floor_racks} racks there (installed + online)",
                        e.site
                    )
                });
            }
            sites[i] = SiteStatus {
                energized_phases: energized,
                staged_racks,
                installed_racks,
                online_racks,
            };
        }
        // Every rack at a site was delivered by a stream of its type.
        for (a, &n) in at_sites.iter().enumerate() {
            let delivered: u64 = scenario
                .supply
                .iter()
                .zip(&delivered_racks)
                .filter(|(s, _)| s.accelerator == a)
                .map(|(_, &d)| d)
                .sum();
            if n > delivered {
                self.error(
                    "status.supply",
                    format!(
                        "the sites hold {n} racks of `{}` (staged + installed + online), but the status says its streams delivered {delivered}: every rack at a site must have been delivered",
                        scenario.accelerators[a].id
                    ),
                );
            }
        }
        Status {
            date: raw.date,
            delivered_racks,
            sites,
        }
    }

    fn accelerators(&mut self, raw: &[RawAccelerator]) -> Vec<Accelerator> {
        self.list_at_most("accelerators", raw.len(), MAX_ACCELERATORS, "rack types");
        self.unique_ids("accelerators", raw.iter().map(|a| a.id.as_str()));
        let mut out = Vec::new();
        for (i, a) in raw.iter().enumerate() {
            let at = |f: &str| format!("accelerators[{i}].{f}");
            let mut missing = Vec::new();
            let gpus_per_rack = a.gpus_per_rack.unwrap_or_else(|| {
                missing.push("gpus_per_rack");
                0
            });
            let mut num = |v: Option<f64>, name: &'static str| {
                v.unwrap_or_else(|| {
                    missing.push(name);
                    0.0
                })
            };
            let rack_it_kw = num(a.rack_it_kw, "rack_it_kw");
            let fp8 = num(a.fp8_pflops_per_gpu, "fp8_pflops_per_gpu");
            let bf16 = num(a.bf16_pflops_per_gpu, "bf16_pflops_per_gpu");
            if !missing.is_empty() {
                self.error(
                    &format!("accelerators[{i}]"),
                    format!(
                        "accelerator `{}` is not built in, so it needs {}",
                        shown(&a.id),
                        missing
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                continue;
            }
            self.require(
                (1..=MAX_GPUS_PER_RACK).contains(&gpus_per_rack),
                &at("gpus_per_rack"),
                || {
                    format!(
                        "must be a whole number in [1, {MAX_GPUS_PER_RACK}], found {gpus_per_rack}"
                    )
                },
            );
            self.number_in(
                &at("rack_it_kw"),
                rack_it_kw,
                MIN_RACK_IT_KW,
                MAX_RACK_IT_KW,
                "kW",
            );
            self.number_in(
                &at("fp8_pflops_per_gpu"),
                fp8,
                0.0,
                MAX_PFLOPS_PER_GPU,
                "PFLOPS",
            );
            self.number_in(
                &at("bf16_pflops_per_gpu"),
                bf16,
                0.0,
                MAX_PFLOPS_PER_GPU,
                "PFLOPS",
            );
            if let Some(p) = a.price_per_rack_usd {
                self.number_in(&at("price_per_rack_usd"), p, 0.0, MAX_PRICE_USD, "USD");
            }
            if let Some(name) = &a.name {
                self.name(&at("name"), name);
            }
            out.push(Accelerator {
                id: a.id.clone(),
                name: a.name.clone().unwrap_or_else(|| a.id.clone()),
                gpus_per_rack,
                rack_it_kw,
                fp8_pflops_per_gpu: fp8,
                bf16_pflops_per_gpu: bf16,
                price_per_rack_usd: a.price_per_rack_usd,
            });
        }
        out
    }
}

fn without_extends(mut value: toml::Value) -> toml::Value {
    if let Some(t) = value.as_table_mut() {
        t.remove("extends");
    }
    value
}

/// Whether `name` matches `pattern`, where `*` stands for any run of characters (possibly empty).
fn glob_match(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

/// Parses `sites[2].phases[0].mw` back into segments, for origin lookup.
fn parse_path(path: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            if open > 0 {
                out.push(Segment::Key(rest[..open].to_string()));
            }
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some((num, tail)) = stripped.split_once(']') else {
                    break;
                };
                if let Ok(i) = num.parse() {
                    out.push(Segment::Index(i));
                }
                rest = tail;
            }
        } else if !rest.is_empty() {
            out.push(Segment::Key(rest.to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_input_names() {
        assert!(glob_match("delay_days.*", "delay_days.a.phase0"));
        assert!(glob_match("delay_days.*.phase0", "delay_days.a.phase0"));
        assert!(!glob_match("delay_days.*.phase1", "delay_days.a.phase0"));
        assert!(glob_match("slip_days.gb300", "slip_days.gb300"));
        assert!(!glob_match("slip_days.gb3", "slip_days.gb300"));
        assert!(glob_match("*", "anything"));
    }

    #[test]
    fn paths_round_trip() {
        let p = "sites[2].phases[0].mw";
        assert_eq!(format_path(&parse_path(p)), p);
    }

    #[test]
    fn unknown_fields_get_a_suggestion() {
        let m = improve_serde_message("unknown field `pu`, expected one of `id`, `pue`, `phases`");
        assert_eq!(
            m,
            "unknown field `pu`; did you mean `pue`? valid fields are `id`, `pue`, `phases`"
        );
        let m = improve_serde_message(
            "unknown variant `orderd`, expected `ordered` or `most_headroom`",
        );
        assert!(m.contains("did you mean `ordered`?"), "{m}");
    }
}
