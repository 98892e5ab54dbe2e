//! One builder for the small scenarios tests write inline: [`TestScenario`].
//!
//! It builds TOML text and imports nothing from the crate, so the integration tests include this
//! same file (`#[path]`) rather than keeping their own copy.

/// Every test scenario starts on this day.
const START: &str = "2026-01-01";

/// A scenario for a test, as TOML text: the `[scenario]` table (starting on 2026-01-01), one
/// `gb300-nvl72` stream `s` delivering a flat number of racks a week, the sites, and any other
/// tables. The dates, target and supply have no defaults: set them all.
#[derive(Debug, Clone)]
pub(crate) struct TestScenario {
    name: String,
    deadline: String,
    horizon: String,
    target_gpus: u64,
    racks_per_week: u32,
    supply_until: String,
    supply_keys: Vec<String>,
    sites: Vec<String>,
    tables: Vec<String>,
}

impl TestScenario {
    /// A scenario named `name`; set its dates, target and supply before [`TestScenario::text`].
    pub(crate) fn new(name: &str) -> TestScenario {
        TestScenario {
            name: name.to_owned(),
            deadline: String::new(),
            horizon: String::new(),
            target_gpus: 0,
            racks_per_week: 0,
            supply_until: String::new(),
            supply_keys: Vec::new(),
            sites: Vec::new(),
            tables: Vec::new(),
        }
    }

    /// The deadline and the horizon (`YYYY-MM-DD`).
    pub(crate) fn dates(mut self, deadline: &str, horizon: &str) -> TestScenario {
        deadline.clone_into(&mut self.deadline);
        horizon.clone_into(&mut self.horizon);
        self
    }

    /// The target, in GPUs.
    pub(crate) fn target_gpus(mut self, gpus: u64) -> TestScenario {
        self.target_gpus = gpus;
        self
    }

    /// The stream delivers `racks_per_week` from the start to `until` (`YYYY-MM-DD`).
    pub(crate) fn supply(mut self, racks_per_week: u32, until: &str) -> TestScenario {
        self.racks_per_week = racks_per_week;
        until.clone_into(&mut self.supply_until);
        self
    }

    /// One more `key = value` line of the stream, e.g. its `slip_days`.
    pub(crate) fn supply_key(mut self, line: &str) -> TestScenario {
        self.supply_keys.push(line.to_owned());
        self
    }

    /// A site accepting `gb300-nvl72`, with its PUE, install rate (racks a day) and `phases`
    /// (the inline tables of its array, e.g. `{ mw = 50, planned = 2026-01-01 }`).
    pub(crate) fn site(
        mut self,
        id: &str,
        pue: f64,
        install_racks_per_day: u32,
        phases: &str,
    ) -> TestScenario {
        self.sites.push(format!(
            "[[sites]]\nid = \"{id}\"\npue = {pue:?}\naccepts = [\"gb300-nvl72\"]\n\
             install_racks_per_day = {install_racks_per_day}\nphases = [ {phases} ]\n"
        ));
        self
    }

    /// One more `key = value` line of the last site added.
    pub(crate) fn site_key(mut self, line: &str) -> TestScenario {
        let site = self.sites.last_mut().expect("site_key follows a site");
        site.push_str(line);
        site.push('\n');
        self
    }

    /// A table written after the sites, e.g. `[bring_up]` with its keys.
    pub(crate) fn table(mut self, toml: &str) -> TestScenario {
        self.tables.push(toml.to_owned());
        self
    }

    /// The scenario file.
    pub(crate) fn text(&self) -> String {
        assert!(
            !self.deadline.is_empty() && self.target_gpus > 0 && !self.supply_until.is_empty(),
            "a test scenario needs its dates, target and supply"
        );
        let mut text = format!(
            "[scenario]\nname = \"{}\"\nstart = {START}\ndeadline = {}\nhorizon = {}\n\
             target_gpus = {}\n[[supply]]\nid = \"s\"\naccelerator = \"gb300-nvl72\"\n\
             schedule = [ {{ date = {START}, racks_per_week = {rate} }}, \
             {{ date = {}, racks_per_week = {rate} }} ]\n",
            self.name,
            self.deadline,
            self.horizon,
            self.target_gpus,
            self.supply_until,
            rate = self.racks_per_week,
        );
        for line in &self.supply_keys {
            text.push_str(line);
            text.push('\n');
        }
        for section in self.sites.iter().chain(&self.tables) {
            text.push_str(section);
            text.push('\n');
        }
        text
    }
}
