//! `Node → RawScenario → Scenario`: typed parsing, then every check across fields, once.
//!
//! All problems are collected before returning, so a user fixes a file in one pass. Each
//! diagnostic carries the field path and the line that wrote it (or its closest ancestor).

use std::collections::HashSet;

use super::raw::{RawAccelerator, RawCorrelation, RawObservation, RawScenario, RawStatus};
use super::source::{Node, Segment, format_path, quote_list};
use super::{
    Accelerator, BringUp, Correlation, Diagnostic, Disruption, DistSpec, InputRef, Observation,
    Operations, PowerLimit, PowerPhase, Scenario, ScenarioError, SchedulePoint, Site, SiteStatus,
    Status, SupplyStream, day_index, suggest,
};

/// Longest horizon accepted: memory for daily statistics grows with it.
const MAX_HORIZON_DAYS: i64 = 20 * 366;

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
    };
    let scenario = checker.scenario(raw, value);
    if checker.diagnostics.is_empty() {
        Ok(scenario)
    } else {
        Err(ScenarioError::Invalid {
            diagnostics: checker.diagnostics,
        })
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
        format!("unknown {kind} `{word}`; no {kind}s are accepted here")
    } else {
        format!("unknown {kind} `{word}`; {hint}valid {kind}s are {list}")
    }
}

struct Checker<'a> {
    tree: &'a Node,
    diagnostics: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn error(&mut self, path: &str, message: impl Into<String>) {
        let segments = parse_path(path);
        self.diagnostics.push(Diagnostic {
            origin: self.tree.origin_of(&segments).clone(),
            path: path.to_string(),
            message: message.into(),
        });
    }

    fn require(&mut self, ok: bool, path: &str, message: impl FnOnce() -> String) {
        if !ok {
            self.error(path, message());
        }
    }

    fn unique_ids<'s>(&mut self, list: &str, ids: impl Iterator<Item = &'s str>) {
        let mut seen = HashSet::new();
        for (i, id) in ids.enumerate() {
            if id.trim().is_empty() {
                self.error(&format!("{list}[{i}].id"), "an id must not be empty");
            } else if !seen.insert(id) {
                self.error(
                    &format!("{list}[{i}].id"),
                    format!("duplicate id `{id}`; each entry of `{list}` needs its own id"),
                );
            }
        }
    }

    /// Checks that every value `dist` can draw lies in [lo, hi].
    fn dist_within(&mut self, path: &str, dist: &DistSpec, lo: f64, hi: f64, what: &str) {
        let (min, max) = dist.support();
        if min < lo || max > hi {
            let range = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => format!("in [{lo}, {hi}]"),
                (true, false) => format!(">= {lo}"),
                _ => format!("<= {hi}"),
            };
            self.error(
                path,
                format!(
                    "{what} must be {range}, but this distribution ({}) can draw values from {min} to {max}",
                    dist.describe()
                ),
            );
        }
    }

    fn positive(&mut self, path: &str, v: f64, unit: &str) {
        self.require(v.is_finite() && v > 0.0, path, || {
            format!("must be a positive number of {unit}, found {v}")
        });
    }

    fn non_negative(&mut self, path: &str, v: f64) {
        self.require(v.is_finite() && v >= 0.0, path, || {
            format!("must be a number >= 0, found {v}")
        });
    }

    fn lookup(&mut self, path: &str, id: &str, known: &[String], what: &str) -> Option<usize> {
        if let Some(i) = known.iter().position(|k| k == id) {
            return Some(i);
        }
        let hint = suggest(id, known.iter().map(String::as_str))
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        self.error(
            path,
            format!(
                "unknown {what} `{id}`; {hint}known {what}s are {}",
                quote_list(known)
            ),
        );
        None
    }

    fn scenario(&mut self, raw: RawScenario, resolved: toml::Value) -> Scenario {
        let meta = &raw.scenario;
        self.require(!meta.name.trim().is_empty(), "scenario.name", || {
            "must not be empty".into()
        });
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
        self.require(meta.trials != Some(0), "scenario.trials", || {
            "must be at least 1".into()
        });

        let accelerators = self.accelerators(&raw.accelerators);
        let accelerator_ids: Vec<String> = accelerators.iter().map(|a| a.id.clone()).collect();

        self.require(!raw.supply.is_empty(), "supply", || {
            "a scenario needs at least one [[supply]] stream".into()
        });
        self.unique_ids("supply", raw.supply.iter().map(|s| s.id.as_str()));
        let mut supply = Vec::new();
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
            for (k, p) in s.schedule.iter().enumerate() {
                self.non_negative(
                    &at(&format!("schedule[{k}].racks_per_week")),
                    p.racks_per_week,
                );
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
            self.dist_within(
                &at("transit_days"),
                &s.transit_days,
                0.0,
                f64::INFINITY,
                "a transit time",
            );
            self.dist_within(&at("noise"), &s.noise, 0.0, f64::INFINITY, "supply noise");
            let disruption = s.disruption.as_ref().map(|d| {
                self.dist_within(
                    &at("disruption.weekly_probability"),
                    &d.weekly_probability,
                    0.0,
                    1.0,
                    "a probability",
                );
                self.dist_within(
                    &at("disruption.duration_weeks"),
                    &d.duration_weeks,
                    0.0,
                    f64::INFINITY,
                    "a duration",
                );
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

        self.require(!raw.sites.is_empty(), "sites", || {
            "a scenario needs at least one [[sites]] entry".into()
        });
        self.unique_ids("sites", raw.sites.iter().map(|s| s.id.as_str()));
        let mut regions: Vec<String> = Vec::new();
        let mut sites = Vec::new();
        for (i, s) in raw.sites.iter().enumerate() {
            let at = |f: &str| format!("sites[{i}].{f}");
            self.require(s.pue.is_finite() && s.pue >= 1.0, &at("pue"), || {
                format!(
                    "PUE is facility power over IT power and must be >= 1 (AWS reports 1.14), found {}",
                    s.pue
                )
            });
            self.require(!s.accepts.is_empty(), &at("accepts"), || {
                format!(
                    "a site must accept at least one accelerator, e.g. accepts = [\"gb300-nvl72\"]; known ids are {}",
                    quote_list(&accelerator_ids)
                )
            });
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
            }
            self.dist_within(
                &at("install_racks_per_day"),
                &s.install_racks_per_day,
                0.0,
                f64::INFINITY,
                "an install rate",
            );
            self.non_negative(&at("power_scale"), s.power_scale);
            self.require(!s.phases.is_empty(), &at("phases"), || {
                "a site needs at least one power phase { mw, planned, delay_days }".into()
            });
            for (k, p) in s.phases.iter().enumerate() {
                self.positive(&at(&format!("phases[{k}].mw")), p.mw, "MW, e.g. mw = 150");
                self.dist_within(
                    &at(&format!("phases[{k}].commissioning_days")),
                    &p.commissioning_days,
                    0.0,
                    f64::INFINITY,
                    "a duration",
                );
            }
            self.non_negative(&at("mobilization_days"), s.mobilization_days);
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
            }
            if let Some(pod) = s.pod_racks {
                self.require(pod > 0, &at("pod_racks"), || {
                    "a pod holds at least 1 rack; leave pod_racks out for racks that go online one by one".into()
                });
            }
            self.dist_within(
                &at("pod_acceptance_days"),
                &s.pod_acceptance_days,
                0.0,
                f64::INFINITY,
                "a duration",
            );
            let region = match regions.iter().position(|r| *r == s.region) {
                Some(r) => r,
                None => {
                    regions.push(s.region.clone());
                    regions.len() - 1
                }
            };
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

        self.unique_ids(
            "power_limits",
            raw.power_limits.iter().map(|l| l.id.as_str()),
        );
        let mut power_limits = Vec::new();
        for (i, l) in raw.power_limits.iter().enumerate() {
            let at = |f: &str| format!("power_limits[{i}].{f}");
            let region = l.region.as_ref().map(|r| {
                self.lookup(&at("region"), r, &regions, "region")
                    .unwrap_or(0)
            });
            self.non_negative(&at("mw"), l.mw);
            for (k, step) in l.steps.iter().enumerate() {
                self.non_negative(&at(&format!("steps[{k}].mw")), step.mw);
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
        self.dist_within(
            "bring_up.burn_in_days",
            &b.burn_in_days,
            0.0,
            f64::INFINITY,
            "a duration",
        );
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
        self.dist_within(
            "bring_up.fix_in_place_days",
            &b.fix_in_place_days,
            0.0,
            f64::INFINITY,
            "a duration",
        );
        self.dist_within(
            "bring_up.rework_days",
            &b.rework_days,
            0.0,
            f64::INFINITY,
            "a duration",
        );
        let o = &raw.operations;
        self.non_negative(
            "operations.interruptions_per_gpu_year",
            o.interruptions_per_gpu_year,
        );
        self.dist_within(
            "operations.repair_days",
            &o.repair_days,
            0.0,
            f64::INFINITY,
            "a duration",
        );

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
        let inputs = scenario.inputs();
        let mut taken: Vec<(InputRef, String)> = Vec::new();
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
            for (k, pattern) in c.inputs.iter().enumerate() {
                let matched: Vec<&(InputRef, String)> = inputs
                    .iter()
                    .filter(|(_, name)| glob_match(pattern, name))
                    .collect();
                if matched.is_empty() {
                    let names: Vec<String> = inputs.iter().map(|(_, n)| n.clone()).collect();
                    let hint = suggest(pattern, names.iter().map(String::as_str))
                        .map(|s| format!("did you mean `{s}`? "))
                        .unwrap_or_default();
                    self.error(
                        &at(&format!("inputs[{k}]")),
                        format!(
                            "`{pattern}` matches no per-trial input; {hint}inputs are named as in trials.csv, e.g. {}",
                            quote_list(&names.into_iter().take(6).collect::<Vec<_>>())
                        ),
                    );
                }
                for (input, name) in matched {
                    if members.contains(input) {
                        continue;
                    }
                    if let Some((_, other)) = taken.iter().find(|(i, _)| i == input) {
                        self.error(
                            &at(&format!("inputs[{k}]")),
                            format!("`{name}` is already in correlation group `{other}`; an input can be in one group only"),
                        );
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
                    taken.push((*input, c.id.clone()));
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
        let site_ids: Vec<String> = scenario.sites.iter().map(|s| s.id.clone()).collect();
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
            self.require(o.value.is_finite() && o.value >= 0.0, &at("value"), || {
                format!(
                    "an observed {} must be a number >= 0 (in {}), found {}",
                    o.metric.name(),
                    o.metric.unit(),
                    o.value
                )
            });
            self.require(!o.source.trim().is_empty(), &at("source"), || {
                "must not be empty: say where the value comes from, e.g. source = \"press release, 2025-09-30\"".into()
            });
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
        let stream_ids: Vec<String> = scenario.supply.iter().map(|s| s.id.clone()).collect();
        let site_ids: Vec<String> = scenario.sites.iter().map(|s| s.id.clone()).collect();
        let accelerator_ids: Vec<String> =
            scenario.accelerators.iter().map(|a| a.id.clone()).collect();
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
                    format!("stream `{}` is listed twice in `status.supply`", e.stream),
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
                    format!("site `{}` is listed twice in `status.sites`", e.site),
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
                        a.id,
                        missing
                            .iter()
                            .map(|m| format!("`{m}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
                continue;
            }
            self.require(gpus_per_rack > 0, &at("gpus_per_rack"), || {
                "must be at least 1".into()
            });
            self.positive(&at("rack_it_kw"), rack_it_kw, "kW");
            self.non_negative(&at("fp8_pflops_per_gpu"), fp8);
            self.non_negative(&at("bf16_pflops_per_gpu"), bf16);
            if let Some(p) = a.price_per_rack_usd {
                self.non_negative(&at("price_per_rack_usd"), p);
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
