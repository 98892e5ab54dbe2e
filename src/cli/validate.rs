//! `capsim validate`: the resolved scenario, the plan's derived figures and its warnings.

use std::io::Write;

use anyhow::Result;

use super::args::ValidateArgs;
use super::common::{DEFAULT_SEED, DEFAULT_TRIALS, compile, load, to_stdout};

/// `capsim validate`.
pub(crate) fn validate(args: ValidateArgs) -> Result<()> {
    let s = load(&args.scenario)?;
    compile(&s)?;
    let seed = s.seed.unwrap_or(DEFAULT_SEED);
    let trials = s.trials.unwrap_or(DEFAULT_TRIALS);
    let f = s.figures();
    // Built whole, then written once: a closed pipe or a full disk is one error, never a panic.
    let mut out = Vec::new();
    writeln!(
        out,
        "# {} is valid. Resolved scenario:\n",
        args.scenario.scenario.display()
    )?;
    write!(out, "{}", s.resolved_toml(seed, trials))?;
    writeln!(out, "\n# Derived figures (plan only, no uncertainty)")?;
    let lines = [
        (
            "simulated days",
            format!("{} ({} to {})", s.days(), s.start, s.horizon),
        ),
        (
            "planned racks by deadline",
            format!(
                "{:.0} ({:.0} GPUs)",
                f.planned_racks_by_deadline, f.planned_gpus_by_deadline
            ),
        ),
        (
            "planned racks, whole schedules",
            format!("{:.0}", f.planned_racks_total),
        ),
        (
            "racks for the target",
            format!("{:.0} ({} GPUs)", f.racks_for_target, s.target_gpus),
        ),
        (
            "facility MW for the target",
            format!("{:.0}", f.facility_mw_for_target),
        ),
        (
            "facility MW planned",
            format!(
                "{:.0} ({:.0} by the deadline)",
                f.facility_mw_planned, f.facility_mw_planned_by_deadline
            ),
        ),
        (
            "most GPUs power and floor can host",
            format!("{:.0}", f.max_gpus_hosted),
        ),
        ("most GPUs hostable by the deadline", {
            let caps: Vec<String> = f
                .binding_caps_by_deadline
                .iter()
                .map(|c| format!("`{}`", c.id))
                .collect();
            if caps.is_empty() {
                format!("{:.0}", f.max_gpus_hosted_by_deadline)
            } else {
                format!(
                    "{:.0} (held by power cap{} {}; {:.0} without caps)",
                    f.max_gpus_hosted_by_deadline,
                    if caps.len() == 1 { "" } else { "s" },
                    caps.join(", "),
                    f.max_gpus_hosted_by_deadline_without_caps
                )
            }
        }),
    ];
    for (label, value) in lines {
        writeln!(out, "#   {label:<36}{value}")?;
    }
    for w in &s.warnings {
        writeln!(out, "# warning: {w}")?;
    }
    Ok(to_stdout(|w| w.write_all(&out))?)
}
