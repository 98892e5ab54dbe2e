//! Readable names and units of scenario fields, by `--set` path, for chart axes: `--vary
//! supply.gb300.rate_scale=...` is drawn as "Supply rate scale, stream gb300 (×)". Units are
//! those of docs/scenario-format.md. A path this module does not know keeps its raw text and
//! gets no unit, never a wrong one.

/// A field's name for display and its unit, if it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldLabel {
    /// What the field is, with the item it belongs to ("Install crew rate, site ohio-oh").
    pub name: String,
    /// Its unit ("racks/day", "×"), `None` for plain numbers (a PUE, a probability) and for
    /// paths this module does not know.
    pub unit: Option<&'static str>,
}

impl FieldLabel {
    /// The name followed by the unit in parentheses, as an axis title.
    pub fn axis_title(&self) -> String {
        match self.unit {
            Some(unit) => format!("{} ({unit})", self.name),
            None => self.name.clone(),
        }
    }
}

/// The keys of a distribution's inline table that are values of the input itself, so carry
/// its unit (`{ kind = "pert", min = 0, mode = 30, max = 90 }`).
const LOCATION_KEYS: [&str; 10] = [
    "value", "min", "mode", "max", "mean", "sd", "median", "p90", "p5", "p95",
];

/// The readable name and unit of the scenario field at `path`, a `--set` path (dot-separated,
/// array items by id or 0-based index, `*` for every item, as `--vary` takes). Unknown paths
/// come back verbatim with no unit.
pub fn field_label(path: &str) -> FieldLabel {
    let segs: Vec<&str> = path.split('.').collect();
    known(&segs).unwrap_or_else(|| FieldLabel {
        name: path.to_owned(),
        unit: None,
    })
}

/// A field's name and unit, and whether it may be a distribution (whose location keys share
/// the unit).
type Field = (&'static str, Option<&'static str>, bool);

fn known(segs: &[&str]) -> Option<FieldLabel> {
    let label = |name: String, unit: Option<&'static str>, place: String| FieldLabel {
        name: if place.is_empty() {
            name
        } else {
            format!("{name}, {place}")
        },
        unit,
    };
    // A distribution's key: `...slip_days.mode` has the unit of `slip_days`.
    if let Some((&key, field_path)) = segs.split_last()
        && field_path.len() >= 2
        && let Some(((name, unit, is_dist), place)) = field_at(field_path)
        && is_dist
    {
        return match key {
            k if LOCATION_KEYS.contains(&k) => Some(label(format!("{name} {k}"), unit, place)),
            "shape" | "p" => Some(label(format!("{name} {key}"), None, place)),
            _ => None,
        };
    }
    field_at(segs).map(|((name, unit, _), place)| label(name.to_owned(), unit, place))
}

/// The field at `segs` and the item it belongs to, as words.
fn field_at(segs: &[&str]) -> Option<(Field, String)> {
    let item = |kind: &str, seg: &str| -> String {
        if seg == "*" {
            format!("every {kind}")
        } else {
            format!("{kind} {seg}")
        }
    };
    let days = Some("days");
    let racks = Some("racks");
    match segs {
        ["scenario", key] => {
            let f: Field = match *key {
                "target_gpus" => ("Target", Some("GPUs"), false),
                "trials" => ("Trials", None, false),
                "seed" => ("Seed", None, false),
                "start" => ("Start date", None, false),
                "deadline" => ("Deadline", None, false),
                "horizon" => ("Horizon", None, false),
                _ => return None,
            };
            Some((f, String::new()))
        }
        ["accelerators", id, key] => {
            let f: Field = match *key {
                "gpus_per_rack" => ("GPUs per rack", Some("GPUs"), false),
                "rack_it_kw" => ("Rack IT power", Some("kW"), false),
                "fp8_pflops_per_gpu" => ("Dense FP8 per GPU", Some("PFLOPS"), false),
                "bf16_pflops_per_gpu" => ("Dense BF16 per GPU", Some("PFLOPS"), false),
                "price_per_rack_usd" => ("Price per rack", Some("USD"), false),
                _ => return None,
            };
            Some((f, item("accelerator", id)))
        }
        ["supply", id, key] => {
            let f: Field = match *key {
                "rate_scale" => ("Supply rate scale", Some("×"), false),
                "cap_racks" => ("Supply cap", racks, false),
                "slip_days" => ("Supply slip", days, true),
                "noise" => ("Weekly supply noise", Some("×"), true),
                "transit_days" => ("Transit time", days, true),
                _ => return None,
            };
            Some((f, item("stream", id)))
        }
        ["supply", id, "schedule", k, "racks_per_week"] => Some((
            ("Planned delivery rate", Some("racks/week"), false),
            format!("{}, {}", item("stream", id), item("schedule point", k)),
        )),
        ["supply", id, "disruption", key] => {
            let f: Field = match *key {
                "weekly_probability" => ("Weekly disruption probability", None, true),
                "duration_weeks" => ("Disruption length", Some("weeks"), true),
                "severity" => ("Disruption severity", Some("share of racks lost"), true),
                _ => return None,
            };
            Some((f, item("stream", id)))
        }
        ["sites", id, key] => {
            let f: Field = match *key {
                "pue" => ("PUE", None, false),
                "max_racks" => ("Floor space", racks, false),
                "install_racks_per_day" => ("Install crew rate", Some("racks/day"), true),
                "mobilization_days" => ("Crew mobilization", days, false),
                "mobilization_start" => ("Crew pace on day 1", Some("share of full pace"), false),
                "max_install_racks_per_day" => ("Campus install ceiling", Some("racks/day"), false),
                "install_lead_days" => ("Install lead before energization", days, false),
                "pod_racks" => ("Pod size", racks, false),
                "pod_acceptance_days" => ("Pod acceptance test", days, true),
                "power_scale" => ("Power scale", Some("×"), false),
                _ => return None,
            };
            Some((f, item("site", id)))
        }
        ["sites", id, "phases", k, key] => {
            let f: Field = match *key {
                "mw" => ("Phase power", Some("MW facility"), false),
                "delay_days" => ("Energization delay", days, true),
                "ramp_days" => ("Power ramp", days, false),
                "commissioning_days" => ("Commissioning", days, true),
                "planned" => ("Planned energization", None, false),
                _ => return None,
            };
            // Phases are chosen by 0-based index, as in the `--set` path.
            Some((
                f,
                format!("{}, {}", item("site", id), item("phase index", k)),
            ))
        }
        ["power_limits", id, "mw"] => {
            Some((("Power cap", Some("MW facility"), false), item("limit", id)))
        }
        ["power_limits", id, "steps", k, "mw"] => Some((
            ("Power cap step", Some("MW facility"), false),
            format!("{}, {}", item("limit", id), item("step index", k)),
        )),
        ["bring_up", key] => {
            let f: Field = match *key {
                "burn_in_days" => ("Burn-in length", days, true),
                "failure_probability" => ("Burn-in failure probability", None, true),
                "pulled_fraction" => ("Failed racks pulled for rework", Some("share"), false),
                "fix_in_place_days" => ("Fix-in-place time", days, true),
                "rework_days" => ("Rework time", days, true),
                _ => return None,
            };
            Some((f, String::new()))
        }
        ["operations", key] => {
            let f: Field = match *key {
                "interruptions_per_gpu_year" => {
                    ("GPU interruption rate", Some("per GPU-year"), false)
                }
                "repair_days" => ("Repair time", days, true),
                _ => return None,
            };
            Some((f, String::new()))
        }
        ["allocation", "reroute_days"] => Some((("Reroute time", days, false), String::new())),
        ["allocation", "policy"] => Some((("Allocation policy", None, false), String::new())),
        ["status", "supply", k, "delivered_racks"] => Some((
            ("Racks delivered by the status date", racks, false),
            item("status supply entry", k),
        )),
        ["status", "sites", k, "energized_phases"] => Some((
            ("Phases energized by the status date", Some("phases"), false),
            item("status site entry", k),
        )),
        ["status", "sites", k, stage, rack_type] => {
            let name = match *stage {
                "staged_racks" => "Racks staged at the status date",
                "installed_racks" => "Racks installed, not online, at the status date",
                "online_racks" => "Racks online at the status date",
                _ => return None,
            };
            Some((
                (name, racks, false),
                format!(
                    "{}, {}",
                    item("status site entry", k),
                    item("rack type", rack_type)
                ),
            ))
        }
        ["correlations", id, "rho"] => {
            Some((("Rank correlation ρ", None, false), item("group", id)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn title(path: &str) -> String {
        field_label(path).axis_title()
    }

    #[test]
    fn scenario_fields() {
        assert_eq!(title("scenario.target_gpus"), "Target (GPUs)");
        assert_eq!(field_label("scenario.deadline").unit, None);
    }

    #[test]
    fn accelerator_fields() {
        assert_eq!(
            title("accelerators.gb300-nvl72.rack_it_kw"),
            "Rack IT power, accelerator gb300-nvl72 (kW)"
        );
        assert_eq!(
            field_label("accelerators.*.price_per_rack_usd").unit,
            Some("USD")
        );
    }

    #[test]
    fn supply_fields() {
        assert_eq!(
            title("supply.gb300.rate_scale"),
            "Supply rate scale, stream gb300 (×)"
        );
        assert_eq!(
            title("supply.*.slip_days"),
            "Supply slip, every stream (days)"
        );
        assert_eq!(
            title("supply.gb200.schedule.2.racks_per_week"),
            "Planned delivery rate, stream gb200, schedule point 2 (racks/week)"
        );
        assert_eq!(
            title("supply.gb200.disruption.duration_weeks"),
            "Disruption length, stream gb200 (weeks)"
        );
        assert_eq!(
            field_label("supply.gb200.disruption.weekly_probability").unit,
            None
        );
    }

    #[test]
    fn site_and_phase_fields() {
        assert_eq!(
            title("sites.new-carlisle-in.install_racks_per_day"),
            "Install crew rate, site new-carlisle-in (racks/day)"
        );
        assert_eq!(title("sites.*.power_scale"), "Power scale, every site (×)");
        assert_eq!(field_label("sites.ohio.pue").unit, None);
        assert_eq!(
            title("sites.*.phases.*.delay_days"),
            "Energization delay, every site, every phase index (days)"
        );
        assert_eq!(
            title("sites.ohio.phases.0.mw"),
            "Phase power, site ohio, phase index 0 (MW facility)"
        );
    }

    #[test]
    fn limit_bring_up_operations_allocation_and_correlation_fields() {
        assert_eq!(
            title("power_limits.pjm.steps.0.mw"),
            "Power cap step, limit pjm, step index 0 (MW facility)"
        );
        assert_eq!(title("bring_up.burn_in_days"), "Burn-in length (days)");
        assert_eq!(field_label("bring_up.failure_probability").unit, None);
        assert_eq!(
            title("operations.interruptions_per_gpu_year"),
            "GPU interruption rate (per GPU-year)"
        );
        assert_eq!(title("allocation.reroute_days"), "Reroute time (days)");
        assert_eq!(title("allocation.policy"), "Allocation policy");
        assert_eq!(field_label("correlations.c.rho").unit, None);
    }

    #[test]
    fn status_fields() {
        assert_eq!(
            title("status.supply.0.delivered_racks"),
            "Racks delivered by the status date, status supply entry 0 (racks)"
        );
        assert_eq!(
            title("status.sites.1.online_racks.gb200-nvl72"),
            "Racks online at the status date, status site entry 1, rack type gb200-nvl72 (racks)"
        );
        assert_eq!(
            field_label("status.sites.1.energized_phases").unit,
            Some("phases")
        );
    }

    #[test]
    fn distribution_keys_keep_the_unit_of_their_input_or_none() {
        assert_eq!(
            title("sites.salem.phases.1.delay_days.mode"),
            "Energization delay mode, site salem, phase index 1 (days)"
        );
        assert_eq!(
            title("supply.gb300.noise.p90"),
            "Weekly supply noise p90, stream gb300 (×)"
        );
        let shape = field_label("bring_up.burn_in_days.shape");
        assert_eq!(
            (shape.name.as_str(), shape.unit),
            ("Burn-in length shape", None)
        );
        // A plain number has no keys: the path stays raw.
        assert_eq!(
            title("supply.gb300.rate_scale.max"),
            "supply.gb300.rate_scale.max"
        );
    }

    #[test]
    fn unknown_paths_stay_raw_with_no_unit() {
        for path in [
            "scenario.nope",
            "sites.a.nope",
            "observations.0.value",
            "x",
            "",
        ] {
            assert_eq!(
                field_label(path),
                FieldLabel {
                    name: path.to_owned(),
                    unit: None
                }
            );
        }
    }
}
