//! Damaged and forged partial results: every reproduction of issue 12 against `merge` (a
//! `trials_csv` naming any file, edited stored scenarios, forged shard counts, trial counts,
//! layouts and histograms, deflate bombs, path-escaping comparison labels, plans that do not fit
//! their runs) exits with code 2 and a message naming the partial and what is wrong, and leaves
//! no output folder; random damage to a real partial gives exit 0 with the undamaged result, or
//! exit 2, never a panic.
//!
//! Forgeries keep the file self-consistent where the point is to get past the integrity checks:
//! the body's CRC-32 and sizes are recomputed, and the scenario hash with the FNV-1a 64 that
//! `docs/sharding.md` specifies.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use capsim::shard::{PartialHeader, Shard};
use predicates::prelude::*;
use proptest::prelude::*;

use crate::util::{capsim, merge_cli};

const TINY: &str = "tests/fixtures/valid/tiny.toml";

/// Trials of every test run: 2 shards of 20.
const TRIALS: u64 = 40;

/// Runs both shards of a `TRIALS`-trial run of tiny into `dir` (with `extra` flags), without
/// constraint costs so that merges stay quick; returns the two partials' paths.
fn two_shards(dir: &Path, extra: &[&str]) -> [PathBuf; 2] {
    for k in 0..2 {
        capsim()
            .args(["run", TINY, "--quiet", "-n", &TRIALS.to_string()])
            .args(["--cost-trials", "0", "--shard", &format!("{k}/2"), "--out"])
            .arg(dir)
            .args(extra)
            .assert()
            .success();
    }
    [0, 1].map(|index| dir.join(Shard { index, count: 2 }.file_name()))
}

/// `capsim merge INPUTS --out OUT --quiet --no-charts`.
fn merge(inputs: &[&Path], out: &Path) -> assert_cmd::assert::Assert {
    merge_cli(inputs, out, &["--no-charts"])
}

/// Merges `inputs` into a fresh folder, expecting exit code 2, a message naming `file` and
/// containing `message`, and no output folder.
fn refused(inputs: &[&Path], file: &Path, message: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("merged");
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    merge(inputs, &out)
        .code(2)
        .stderr(predicate::str::contains(name))
        .stderr(predicate::str::contains(message));
    assert!(!out.exists(), "a refused merge created {}", out.display());
}

/// A partial result taken apart: its header and its inflated body.
struct Partial {
    header: PartialHeader,
    raw: Vec<u8>,
}

impl Partial {
    fn read(path: &Path) -> Partial {
        let bytes = fs::read(path).unwrap();
        let end = bytes.iter().position(|&b| b == b'\n').unwrap();
        let header: PartialHeader = serde_json::from_slice(&bytes[..end]).unwrap();
        let mut raw = Vec::new();
        flate2::read::DeflateDecoder::new(&bytes[end + 1..])
            .read_to_end(&mut raw)
            .unwrap();
        Partial { header, raw }
    }

    /// The stored scenario text of the (only) run.
    fn scenario(&mut self) -> &mut String {
        &mut self.header.runs[0].scenario_toml
    }

    /// The accumulator block of the (only) run: the inflated body after its 8-byte length.
    fn accumulator(&self) -> &[u8] {
        &self.raw[8..]
    }

    /// Replaces the accumulator block.
    fn set_accumulator(&mut self, block: &[u8]) {
        self.raw = (block.len() as u64).to_le_bytes().to_vec();
        self.raw.extend_from_slice(block);
    }

    /// Recomputes the scenario hash as `docs/sharding.md` specifies it.
    fn rehash(&mut self) {
        let h = &mut self.header;
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for &b in bytes.iter().chain(&[0xff]) {
                hash ^= u64::from(b);
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        eat(h.command.as_bytes());
        eat(h.context.to_string().as_bytes());
        for run in &h.runs {
            eat(run.label.as_bytes());
            eat(run.scenario_toml.as_bytes());
        }
        h.scenario_hash = format!("{hash:016x}");
    }

    /// Writes the partial to `path`, compressing `raw` with the header's sizes and checksum
    /// made to match it.
    fn write(&mut self, path: &Path) {
        let body = deflate(&self.raw);
        self.header.body_raw_bytes = self.raw.len() as u64;
        self.write_with_body(path, &body);
    }

    /// Writes the header and the compressed `body` (sizes and checksum made to match it, the
    /// inflated size left as set).
    fn write_with_body(&mut self, path: &Path, body: &[u8]) {
        self.header.body_bytes = body.len() as u64;
        self.header.body_crc32 = crc32fast::hash(body);
        let mut bytes = serde_json::to_vec(&self.header).unwrap();
        bytes.push(b'\n');
        bytes.extend_from_slice(body);
        fs::write(path, bytes).unwrap();
    }
}

fn deflate(raw: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(raw).unwrap();
    e.finish().unwrap()
}

/// An unsigned LEB128 varint.
fn varint(v: u64) -> Vec<u8> {
    varint_wide(u128::from(v))
}

/// An unsigned LEB128 varint of 128 bits (the encoding of a sum).
fn varint_wide(mut v: u128) -> Vec<u8> {
    let mut out = Vec::new();
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
    out
}

fn zigzag(v: i64) -> Vec<u8> {
    varint(((v << 1) ^ (v >> 63)) as u64)
}

/// Where things are in an encoded accumulator (`docs/sharding.md`, "Accumulator").
struct Walk {
    /// Simulated days.
    days: u64,
    /// Byte range of each of the first 22 varints: days, deadline day, 16 bin widths, sites,
    /// phases, target, trials.
    fields: Vec<(usize, usize)>,
    /// Start of the site online-GPU sums (field 9) and of the full-capacity histogram (field 10).
    site_sums: (usize, usize),
    /// Byte range of the available-at-deadline histogram (field 12).
    available: (usize, usize),
    /// Start of the site histograms (field 15), and the end of the block.
    per_site_and_phase: (usize, usize),
    /// Byte range of the last phase's histogram (the end of field 16).
    last_phase: (usize, usize),
}

fn walk(b: &[u8]) -> Walk {
    let mut at = 0;
    let mut next = |at: &mut usize| {
        let (mut v, mut shift) = (0u128, 0);
        loop {
            let byte = b[*at];
            *at += 1;
            v |= u128::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                return v;
            }
        }
    };
    let mut fields = Vec::new();
    let mut values = Vec::new();
    for _ in 0..22 {
        let start = at;
        values.push(next(&mut at));
        fields.push((start, at));
    }
    let (days, sites, phases) = (values[0] as u64, values[18] as u64, values[19] as u64);
    // Length, then (when not empty) first bin, resolution and counts.
    let histogram = |at: &mut usize, next: &mut dyn FnMut(&mut usize) -> u128| {
        let len = next(at);
        if len > 0 {
            next(at);
            next(at);
            for _ in 0..len {
                next(at);
            }
        }
    };
    for _ in 0..days * 16 {
        histogram(&mut at, &mut next);
        next(&mut at);
    }
    let sums_start = at;
    for _ in 0..sites * days {
        next(&mut at);
    }
    let sums_end = at;
    histogram(&mut at, &mut next);
    next(&mut at);
    let available_start = at;
    histogram(&mut at, &mut next);
    let available_end = at;
    // Its sum, then the missing GPU-days, idle rack-days and idle USD-days (5 each).
    for _ in 0..16 {
        next(&mut at);
    }
    let per_site = at;
    let mut last = at;
    for _ in 0..sites + phases {
        last = at;
        histogram(&mut at, &mut next);
    }
    assert_eq!(at, b.len(), "the walk covers the block");
    Walk {
        days,
        fields,
        site_sums: (sums_start, sums_end),
        available: (available_start, available_end),
        per_site_and_phase: (per_site, at),
        last_phase: (last, at),
    }
}

/// `block` with `range` replaced by `with`.
fn splice(block: &[u8], range: (usize, usize), with: &[u8]) -> Vec<u8> {
    [&block[..range.0], with, &block[range.1..]].concat()
}

#[test]
fn a_trials_csv_outside_the_partials_folder_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s0, s1] = two_shards(&tmp.path().join("s"), &["--trials-csv"]);
    for name in ["/etc/passwd", "../x", "sub/x.csv", "..", ""] {
        let mut p = Partial::read(&s1);
        p.header.trials_csv = Some(name.into());
        let forged = tmp.path().join("s/forged.capsim");
        p.write(&forged);
        refused(
            &[&s0, &forged],
            &forged,
            &format!("trials_csv is {name:?}, but it must be a plain file name beside the partial"),
        );
    }
    // A plain name, but not a regular file: a link to a device, a FIFO, a folder.
    let csv = tmp.path().join("s/shard-0001-of-0002.trials.csv");
    fs::remove_file(&csv).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &csv).unwrap();
    refused(&[&s0, &s1], &csv, "not a regular file");
    fs::remove_file(&csv).unwrap();
    let fifo = std::process::Command::new("mkfifo").arg(&csv).status();
    if fifo.is_ok_and(|s| s.success()) {
        refused(&[&s0, &s1], &csv, "not a regular file");
        fs::remove_file(&csv).unwrap();
    }
    fs::create_dir(&csv).unwrap();
    refused(&[&s0, &s1], &csv, "not a regular file");
    fs::remove_dir(&csv).unwrap();
    // A regular file far larger than 20 rows can take (sparse: no disk used).
    fs::File::create(&csv).unwrap().set_len(64 << 20).unwrap();
    refused(
        &[&s0, &s1],
        &csv,
        "67108864 bytes is more than 20 rows and a header line can take",
    );
}

#[test]
fn an_edited_stored_scenario_is_refused_by_its_hash() {
    let tmp = tempfile::tempdir().unwrap();
    let [s0, s1] = two_shards(&tmp.path().join("s"), &[]);
    let text = Partial::read(&s1).header.runs[0].scenario_toml.clone();
    // Single-digit edits all through the scenario (dates, rates, distributions, the target).
    let digits: Vec<usize> = text
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .collect();
    let forged = tmp.path().join("s/edited.capsim");
    for &at in digits.iter().step_by(digits.len() / 17 + 1) {
        let mut p = Partial::read(&s1);
        let digit = text.as_bytes()[at];
        let other = if digit == b'9' { b'8' } else { digit + 1 };
        p.scenario()
            .replace_range(at..at + 1, &char::from(other).to_string());
        p.write(&forged);
        refused(&[&s0, &forged], &forged, "but the stored scenarios hash to");
    }
}

/// An edit of a stored scenario's text.
type Edit = dyn Fn(&str) -> String;

#[test]
fn a_stored_scenario_that_disagrees_with_its_body_is_refused_before_writing() {
    let tmp = tempfile::tempdir().unwrap();
    let [s0, s1] = two_shards(&tmp.path().join("s"), &[]);
    let gamma = "[[sites]]\nid = \"gamma\"\nregion = \"west\"\npue = 1.1\naccepts = \
                 [\"test-rack\"]\ninstall_racks_per_day = 3\n\n[[sites.phases]]\nmw = 10\n\
                 planned = 2026-02-02\n\n[[power_limits]]";
    // Hash recomputed: only the layout check can tell.
    let edits: [(&str, &Edit, &str); 4] = [
        (
            "gains a site",
            &|t| t.replacen("[[power_limits]]", gamma, 1),
            "have sites 2, but its stored scenario gives 3; phases 2, but its stored scenario gives 3",
        ),
        (
            "loses a site",
            &|t| {
                let (from, to) = (
                    t.find("[[sites]]\nid = \"beta\"").unwrap(),
                    t.find("[[power_limits]]").unwrap(),
                );
                format!("{}{}", &t[..from], &t[to..])
            },
            "have sites 2, but its stored scenario gives 1",
        ),
        (
            "moves its deadline",
            &|t| t.replace("deadline = 2026-03-10", "deadline = 2026-03-11"),
            "have deadline day 64, but its stored scenario gives 65",
        ),
        (
            "records another seed",
            &|t| t.replace("seed = 11", "seed = 12"),
            "records seed 12 and 40 trials, but the header says seed 11 and 40 trials",
        ),
    ];
    let forged = [0, 1].map(|k| tmp.path().join(format!("s/forged-{k}.capsim")));
    for (what, edit, message) in edits {
        // Both shards, so that the set agrees with itself.
        for (intact, forged) in [&s0, &s1].into_iter().zip(&forged) {
            let mut p = Partial::read(intact);
            let edited = edit(p.scenario());
            assert_ne!(&edited, p.scenario(), "{what}: the edit applies");
            *p.scenario() = edited;
            p.rehash();
            p.write(forged);
        }
        refused(&[&forged[0], &forged[1]], &forged[0], message);
    }
}

#[test]
fn forged_shard_and_trial_counts_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s0, s1] = two_shards(&tmp.path().join("s"), &[]);
    let forged = tmp.path().join("s/forged.capsim");
    let forge = |edit: &dyn Fn(&mut PartialHeader)| {
        let mut p = Partial::read(&s1);
        edit(&mut p.header);
        p.write(&forged);
    };
    forge(&|h| h.shard = Shard { index: 0, count: 0 });
    refused(
        &[&s0, &forged],
        &forged,
        "shard is 0 of 0, but a run of 40 trials has 1 to 40 shards",
    );
    forge(&|h| h.shard.index = 7);
    refused(&[&s0, &forged], &forged, "shard is 7 of 2");
    // Two shards of 2^32 - 1 trials each would wrap the histograms' 32-bit counts.
    let most = u64::from(u32::MAX);
    forge(&|h| {
        h.total_trials = 2 * most;
        h.first_trial = most;
        h.trials = most;
    });
    refused(
        &[&s0, &forged],
        &forged,
        "total_trials is 8589934590, but a run has 1 to 4294967295 trials",
    );
    forge(&|h| h.first_trial = u64::MAX);
    refused(&[&s0, &forged], &forged, "which should be 20..40");
}

#[test]
fn forged_layouts_and_histograms_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s0, s1] = two_shards(&tmp.path().join("s"), &[]);
    let forged = tmp.path().join("s/forged.capsim");
    let original = Partial::read(&s1);
    let block = original.accumulator().to_vec();
    let w = walk(&block);
    let write = |block: Vec<u8>| {
        let mut p = Partial::read(&s1);
        p.set_accumulator(&block);
        p.write(&forged);
    };

    // No sites at all, consistently encoded: the stored scenario has two.
    let no_sites = [
        &block[..w.fields[18].0],
        &varint(0)[..],
        &block[w.fields[18].1..w.site_sums.0],
        &block[w.site_sums.1..w.per_site_and_phase.0],
        // The two site histograms go; the phases' stay.
        &{
            let rest = &block[w.per_site_and_phase.0..];
            let mut at = 0;
            for _ in 0..2 {
                at += histogram_bytes(&rest[at..]);
            }
            rest[at..].to_vec()
        }[..],
    ]
    .concat();
    write(no_sites);
    refused(
        &[&s0, &forged],
        &forged,
        "have sites 0, but its stored scenario gives 2",
    );

    // Another bin width.
    write(splice(&block, w.fields[2], &zigzag(11)));
    refused(&[&s0, &forged], &forged, "have bin widths [11, 10,");

    // One histogram wider than any run keeps (2^22 bins for GPUs at the deadline): 1 trial in
    // its first bin, the rest in its last.
    let bins = capsim::stats::Histogram::MAX_BINS_FINE as u64 + 1;
    let mut wide = varint(bins);
    wide.extend(zigzag(0));
    wide.extend(varint(0));
    wide.extend(varint(1));
    wide.extend(std::iter::repeat_n(0, bins as usize - 2));
    wide.extend(varint(TRIALS / 2 - 1));
    write(splice(&block, w.available, &wide));
    refused(
        &[&s0, &forged],
        &forged,
        "a histogram spans more bins than any run keeps",
    );

    // Each histogram small, but 1e9 or 2^62 bins away from the other shard's: the merged
    // histogram coarsens to fit its cap instead of allocating the distance between them.
    for far in [1_000_000_000, 1 << 62] {
        let mut moved = varint(1);
        moved.extend(zigzag(far));
        moved.extend(varint(0));
        moved.extend(varint(TRIALS / 2));
        write(splice(&block, w.available, &moved));
        let out = tmp.path().join(format!("far-{far}"));
        merge(&[&s0, &forged], &out).success();
        assert!(out.join("summary.json").is_file());
    }

    // Both shards agree on a power phase energized 2^40 days on (or before): no date.
    for far in [1 << 40, -(1 << 40)] {
        let mut moved = varint(1);
        moved.extend(zigzag(far));
        moved.extend(varint(0));
        moved.extend(varint(TRIALS / 2));
        write(splice(&block, w.last_phase, &moved));
        let mut p0 = Partial::read(&s0);
        let block0 = p0.accumulator().to_vec();
        p0.set_accumulator(&splice(&block0, walk(&block0).last_phase, &moved));
        let forged0 = tmp.path().join("s/forged0.capsim");
        p0.write(&forged0);
        refused(
            &[&forged0, &forged],
            &forged0,
            &format!(
                "a power phase of `tiny` is energized {far} days after 2026-01-05, past any date"
            ),
        );
    }

    // A full-capacity day after the horizon (one trial, after the deadline: none met it).
    let full_capacity = w.site_sums.1;
    let mut late = varint(1);
    late.extend(zigzag(w.days as i64));
    late.extend(varint(0));
    late.extend(varint(1));
    late.extend(varint(0));
    let met = full_capacity + histogram_bytes(&block[full_capacity..]);
    let after = met + block[met..].iter().position(|&b| b < 0x80).unwrap() + 1;
    write(splice(&block, (full_capacity, after), &late));
    refused(
        &[&s0, &forged],
        &forged,
        "a full-capacity day lies outside the simulated days",
    );

    // Sums that overflow when merged: every site's online GPUs at 2^128 - 1.
    let most: Vec<u8> = (0..2 * w.days)
        .flat_map(|_| varint_wide(u128::MAX))
        .collect();
    write(splice(&block, w.site_sums, &most));
    refused(
        &[&s0, &forged],
        &forged,
        "cannot be merged with the shards before it: a sum would overflow",
    );
}

/// Bytes of the histogram at the start of `b`.
fn histogram_bytes(b: &[u8]) -> usize {
    let mut at = 0;
    let mut next = || {
        let mut v = 0u128;
        let mut shift = 0;
        loop {
            let byte = b[at];
            at += 1;
            v |= u128::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                return v;
            }
        }
    };
    let len = next();
    if len > 0 {
        next();
        next();
        for _ in 0..len {
            next();
        }
    }
    at
}

#[test]
fn deflate_bombs_are_refused_before_they_inflate() {
    let tmp = tempfile::tempdir().unwrap();
    let [s0, s1] = two_shards(&tmp.path().join("s"), &[]);
    let forged = tmp.path().join("s/bomb.capsim");
    // 64 MiB of zeros behind a block length of 2^40: about 64 kB compressed.
    let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(&(1u64 << 40).to_le_bytes()).unwrap();
    let zeros = vec![0; 1 << 20];
    for _ in 0..64 {
        e.write_all(&zeros).unwrap();
    }
    let bomb = e.finish().unwrap();
    // Claiming 2 GiB: more than tiny's layout can fill.
    let mut p = Partial::read(&s1);
    p.header.body_raw_bytes = 2 << 30;
    p.write_with_body(&forged, &bomb);
    refused(
        &[&s0, &forged],
        &forged,
        "the header claims a larger body than its scenarios can fill",
    );
    // Lying about its size: the block's length gives it away before anything is inflated.
    p.header.body_raw_bytes = Partial::read(&s1).raw.len() as u64;
    p.write_with_body(&forged, &bomb);
    refused(
        &[&s0, &forged],
        &forged,
        "a block is longer than its scenario's layout can fill",
    );
    // A real body with zeros after it: reading stops at the end of the last block.
    let mut p = Partial::read(&s1);
    let claimed = p.raw.len() as u64;
    p.raw.extend(std::iter::repeat_n(0, 1 << 20));
    p.header.body_raw_bytes = claimed;
    let body = deflate(&p.raw);
    p.write_with_body(&forged, &body);
    refused(&[&s0, &forged], &forged, "bytes left over after the body");
}

/// Runs both shards of `command` (with 20 trials) into `dir`; returns the partials' paths.
fn two_command_shards(dir: &Path, command: &[&str]) -> [PathBuf; 2] {
    for k in 0..2 {
        capsim()
            .args(command)
            .args([
                "-n",
                "20",
                "--quiet",
                "--no-charts",
                "--shard",
                &format!("{k}/2"),
            ])
            .arg("--out")
            .arg(dir)
            .assert()
            .success();
    }
    [0, 1].map(|index| dir.join(Shard { index, count: 2 }.file_name()))
}

/// Copies of `shards` (into `forged-K.capsim` beside them) with `edit` applied to each header,
/// the hash recomputed and the compressed bodies kept as written.
fn forge_headers(shards: &[PathBuf; 2], edit: &dyn Fn(&mut PartialHeader)) -> [PathBuf; 2] {
    let mut k = 0;
    shards.clone().map(|path| {
        let mut p = Partial::read(&path);
        edit(&mut p.header);
        p.rehash();
        let bytes = fs::read(&path).unwrap();
        let body = &bytes[bytes.iter().position(|&b| b == b'\n').unwrap() + 1..];
        let forged = path.with_file_name(format!("forged-{k}.capsim"));
        k += 1;
        p.write_with_body(&forged, body);
        forged
    })
}

#[test]
fn comparison_labels_cannot_name_folders_outside_the_output() {
    let tmp = tempfile::tempdir().unwrap();
    let shards = two_command_shards(&tmp.path().join("s"), &["compare", TINY, TINY]);
    for labels in [["../escape", "tiny-2"], ["tiny", "tiny"]] {
        let [f0, f1] = forge_headers(&shards, &|h| {
            h.context["labels"] = serde_json::json!(labels)
        });
        refused(&[&f0, &f1], &f0, "is not a plain, unique folder name");
        assert!(!tmp.path().join("escape").exists());
    }
}

#[test]
fn a_sweep_plan_that_does_not_fit_its_runs_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let vary = "supply.main.rate_scale=0.8,1.25";
    let shards = two_command_shards(&tmp.path().join("s"), &["sweep", TINY, "--vary", vary]);
    let [f0, f1] = forge_headers(&shards, &|h| {
        h.context["points"].as_array_mut().unwrap().pop();
    });
    refused(
        &[&f0, &f1],
        &f0,
        "a `sweep` partial holds 2 runs, but its plan lists 1 grid points",
    );
    let [f0, f1] = forge_headers(&shards, &|h| h.command = "sensitivity".into());
    refused(
        &[&f0, &f1],
        &f0,
        "partials of `sensitivity` cannot be merged",
    );
}

/// Bytes of `summary.json` and `daily.csv` in `dir`.
fn outputs(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        fs::read(dir.join("summary.json")).unwrap(),
        fs::read(dir.join("daily.csv")).unwrap(),
    )
}

#[test]
fn random_damage_to_a_partial_is_harmless_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let [s0, s1] = two_shards(&tmp.path().join("s"), &[]);
    let whole = tmp.path().join("whole");
    merge(&[&s0, &s1], &whole).success();
    let expected = outputs(&whole);
    let bytes = fs::read(&s1).unwrap();
    let header_end = bytes.iter().position(|&b| b == b'\n').unwrap();
    let damaged_dir = tmp.path().join("damaged");
    fs::create_dir(&damaged_dir).unwrap();
    let damaged = damaged_dir.join("shard-0001-of-0002.capsim");
    let case = std::cell::Cell::new(0);
    let config = ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(
        at in 0..bytes.len(),
        // Half the cases in the header, where damage is most likely to be read.
        in_header in any::<bool>(),
        flip in 1u8..=255,
        truncate in any::<bool>(),
    )| {
        let at = if in_header { at % header_end } else { at };
        let mut copy = bytes.clone();
        if truncate {
            copy.truncate(at);
        } else {
            copy[at] ^= flip;
        }
        fs::write(&damaged, &copy).unwrap();
        case.set(case.get() + 1);
        let out = tmp.path().join(format!("out-{}", case.get()));
        let output = capsim()
            .arg("merge")
            .arg(&s0)
            .arg(&damaged)
            .arg("--out")
            .arg(&out)
            .args(["--quiet", "--no-charts"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => prop_assert!(outputs(&out) == expected, "byte {at}: exit 0 with another result"),
            Some(2) => {
                prop_assert!(!out.exists(), "byte {at}: refused, but {} exists", out.display());
                prop_assert!(stderr.contains("shard-0001-of-0002.capsim") || stderr.contains("shards"), "byte {at}: {stderr}");
            }
            code => prop_assert!(false, "byte {at} ({}): exit {code:?}: {stderr}", if truncate { "cut" } else { "flipped" }),
        }
    });
    assert_eq!(case.get(), 64, "every case ran");
}
