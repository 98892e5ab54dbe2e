//! Results folders are one run's, whole: a run replaces the folder (no stale files), refuses a
//! folder capsim did not write, fails on an unwritable `--out` before the first trial, and, killed
//! or interrupted midway, leaves the previous folder byte for byte (the next run removes what a
//! killed one left). Standard output closed early or on a full device never panics.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use predicates::str::contains;

use crate::util::{capsim, fixture, root};

const TINY: &str = "valid/tiny.toml";

/// Every file under `dir` (relative path → bytes), folders included as empty entries.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(base).unwrap().to_path_buf();
            if path.is_dir() {
                out.insert(rel, Vec::new());
                walk(base, &path, out);
            } else {
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `capsim run tiny --quiet --out OUT ARGS...`, asserted to succeed.
fn run_into(out: &Path, args: &[&str]) {
    capsim()
        .arg("run")
        .arg(fixture(TINY))
        .args(["--quiet", "--out"])
        .arg(out)
        .args(args)
        .assert()
        .success();
}

/// Starts a long `capsim run` (with `--trials-csv`, so files are being written all along) into
/// `out` and returns it once its staging folder beside `out` holds some bytes.
fn start_long_run(out: &Path) -> (Child, PathBuf) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .current_dir(root())
        .arg("run")
        .arg(fixture(TINY))
        .args(["-n", "5000000", "--trials-csv", "--quiet", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let staging = out.with_file_name(format!(".out.capsim-tmp-{}", child.id()));
    let started = Instant::now();
    let written = |dir: &Path| {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().any(|e| e.metadata().unwrap().len() > 0))
            .unwrap_or(false)
    };
    while !written(&staging) {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the run never started writing into {}", staging.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, staging)
}

#[test]
fn a_run_replaces_the_whole_folder_with_its_own_files() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    run_into(&out, &["-n", "20", "--trials-csv"]);
    assert!(out.join("trials.csv").exists() && out.join("charts").is_dir());
    assert!(out.join("examples/examples.csv").exists());
    run_into(&out, &["-n", "30", "--no-charts"]);
    assert_eq!(
        names(&out),
        [
            ".capsim-results",
            "daily.csv",
            "scenario.resolved.toml",
            "sites.csv",
            "summary.json"
        ],
        "no trials.csv, charts or examples/ of the previous run"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["trials"], 30);
    assert_eq!(names(parent.path()), ["out"], "no temporary folder left");
}

#[test]
fn every_command_replaces_the_whole_folder() {
    // A comparison into a run's folder keeps none of the run's files.
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    run_into(&out, &["-n", "20"]);
    capsim()
        .arg("compare")
        .arg(fixture(TINY))
        .arg(fixture(TINY))
        .args(["-n", "20", "--quiet", "--no-charts", "--out"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(
        names(&out),
        [
            ".capsim-results",
            "compare.csv",
            "compare.json",
            "tiny",
            "tiny-2"
        ]
    );
    assert_eq!(names(parent.path()), ["out"]);
}

#[test]
fn a_folder_capsim_did_not_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    capsim()
        .arg("run")
        .arg(fixture(TINY))
        .args(["-n", "20", "--quiet", "--out"])
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(contains(
            "holds files capsim did not write (e.g. `notes.txt`)",
        ))
        .stderr(contains("name a new or empty folder"));
    assert_eq!(names(dir.path()), ["notes.txt"]);
    // Nor the folder it runs in.
    capsim()
        .current_dir(dir.path())
        .arg("run")
        .arg(root().join(fixture(TINY)))
        .args(["-n", "20", "--quiet", "--out", "."])
        .assert()
        .code(2)
        .stderr(contains("--out .: is the current folder"));
    assert_eq!(names(dir.path()), ["notes.txt"]);
}

/// An existing empty folder whose parent this user cannot write into: in a read-only temporary
/// folder, or (for root, whom permissions do not stop) an empty folder of sysfs, where nobody
/// can create anything.
fn unwritable_out(parent: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let out = parent.join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::create_dir(parent.join("probe")).is_err() {
        return out;
    }
    [
        "/sys/kernel/debug",
        "/sys/kernel/tracing",
        "/sys/fs/fuse/connections",
    ]
    .into_iter()
    .map(PathBuf::from)
    .find(|d| std::fs::read_dir(d).is_ok_and(|mut e| e.next().is_none()))
    .expect("an unwritable empty folder for this test")
}

#[test]
fn an_unwritable_out_fails_before_the_first_trial() {
    // A billion trials (the most a run takes) would take hours: only failing before simulating
    // finishes in time.
    let dir = tempfile::tempdir().unwrap();
    let out = unwritable_out(dir.path());
    let parent = out.parent().unwrap().to_path_buf();
    let before = names(&parent);
    capsim()
        .arg("run")
        .arg(fixture(TINY))
        .args(["-n", "1000000000", "--quiet", "--out"])
        .arg(&out)
        .timeout(Duration::from_secs(60))
        .assert()
        .code(1)
        .stderr(contains(format!(
            "cannot write the results folder {}",
            out.display()
        )));
    assert_eq!(names(&parent), before, "no temporary files left");
    // Leave the temporary folder removable.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn a_killed_run_leaves_the_previous_folder_and_the_next_run_cleans_up() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    run_into(&out, &["-n", "20", "--trials-csv"]);
    let before = snapshot(&out);
    let (mut child, staging) = start_long_run(&out);
    child.kill().unwrap(); // SIGKILL, mid-write of trials.csv
    child.wait().unwrap();
    assert_eq!(snapshot(&out), before, "the previous folder, byte for byte");
    assert!(
        staging.is_dir(),
        "a killed run cannot clean up after itself"
    );
    run_into(&out, &["-n", "20"]);
    assert_eq!(
        names(parent.path()),
        ["out"],
        "the next run removed the stale staging folder"
    );
}

#[test]
fn ctrl_c_stops_cleanly_and_leaves_the_previous_folder() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    run_into(&out, &["-n", "20"]);
    let before = snapshot(&out);
    let (mut child, _) = start_long_run(&out);
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("error: interrupted after "), "{stderr}");
    assert!(
        stderr.contains(&format!(
            " of 5000000 trials; nothing written, {} unchanged",
            out.display()
        )),
        "{stderr}"
    );
    assert_eq!(snapshot(&out), before);
    assert_eq!(names(parent.path()), ["out"], "no staging folder left");
}

#[test]
fn a_plot_removes_the_temporary_files_of_a_killed_plot() {
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("out");
    run_into(&out, &["-n", "20"]);
    // Far above any pid_max: a process that is gone.
    let stale = out.join("charts").join(".capsim-tmp-4294967294-abc123");
    std::fs::write(&stale, "half a chart").unwrap();
    capsim()
        .arg("plot")
        .arg(&out)
        .args(["--format", "svg"])
        .assert()
        .success();
    assert!(!stale.exists());
}

#[test]
fn a_closed_stdout_is_a_quiet_exit() {
    // As `capsim ... | head -1`, except that the reader is gone before anything is printed.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let commands: [Vec<String>; 3] = [
        vec![
            "run".into(),
            fixture(TINY).display().to_string(),
            "-n".into(),
            "20".into(),
            "--out".into(),
            out.display().to_string(),
        ],
        [
            "bench",
            TINY,
            "--trials",
            "20",
            "--runs",
            "1",
            "--warmup",
            "0",
            "--threads",
            "1",
        ]
        .map(|a| {
            if a == TINY {
                fixture(TINY).display().to_string()
            } else {
                a.to_string()
            }
        })
        .into(),
        vec!["validate".into(), fixture(TINY).display().to_string()],
    ];
    for args in commands {
        let mut child = Command::new(env!("CARGO_BIN_EXE_capsim"))
            .current_dir(root())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    assert!(out.join("summary.json").exists(), "the files are written");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_stdout_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_capsim"))
        .current_dir(root())
        .arg("run")
        .arg(fixture(TINY))
        .args(["-n", "20", "--no-charts", "--out"])
        .arg(dir.path().join("out"))
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: writing to standard output: No space left on device"),
        "{stderr}"
    );
}
