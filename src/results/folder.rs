//! Results folders: each one is one run's, whole.
//!
//! A command that writes a results folder `OUT` builds it in a staging folder beside it,
//! `.<OUT name>.capsim-tmp-<pid>` in the same parent (so renames are atomic), created before the
//! first trial so that an unwritable `--out` fails at once. When every file is written, the old
//! `OUT` (if any) is renamed aside to `.<OUT name>.capsim-old-<pid>`, the staging folder is renamed
//! to `OUT` and the old one is removed. A run that fails, is interrupted or is killed leaves `OUT`
//! as it was; the next run into the same parent removes staging folders whose process is gone
//! (and puts back an `OUT` that a killed swap had renamed aside).
//!
//! `OUT` is replaced whole, so capsim only replaces folders that are its own: empty, holding the
//! marker file [`MARKER`] it writes into every results folder, or (folders from before the
//! marker) holding only file names capsim writes.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use super::{IoContext, ResultsError, TEMP_PREFIX};

type Result<T> = std::result::Result<T, ResultsError>;

/// The file capsim writes into every results folder it builds: it marks the folder as one that
/// capsim may replace.
pub const MARKER: &str = ".capsim-results";

/// Middle of a staging folder's name: `.<name>.capsim-tmp-<pid>`.
const STAGING_TAG: &str = ".capsim-tmp-";
/// Middle of the name an old folder has during a swap: `.<name>.capsim-old-<pid>`.
const OLD_TAG: &str = ".capsim-old-";

/// Files and folders of capsim's results folders, as written before [`MARKER`] existed.
const KNOWN_ENTRIES: &[&str] = &[
    "summary.json",
    "daily.csv",
    "scenario.resolved.toml",
    "trials.csv",
    "charts",
    "compare.json",
    "compare.csv",
    "sweep.json",
    "sweep.csv",
    "sensitivity.json",
    "sensitivity.csv",
    "backtest.json",
    "backtest.csv",
];

/// A results folder being built: write into [`path`](Self::path), then [`commit`](Self::commit).
/// Dropped uncommitted, it removes its staging folder and leaves the target untouched.
#[derive(Debug)]
pub struct ResultsFolder {
    /// The folder as the user named it, for messages.
    shown: PathBuf,
    /// The folder to replace, absolute, symlinks resolved.
    target: PathBuf,
    /// Where the new contents are built.
    staging: PathBuf,
    /// What the marker file records.
    command: &'static str,
    committed: bool,
}

impl ResultsFolder {
    /// Starts a results folder for `command` at `target`: checks that `target` is capsim's to
    /// replace, removes stale staging folders beside it and creates this run's.
    pub fn create(target: &Path, command: &'static str) -> Result<ResultsFolder> {
        let resolved = resolve(target)?;
        let (Some(parent), Some(_)) = (resolved.parent(), resolved.file_name()) else {
            return Err(ResultsError::Refused(format!(
                "--out {}: the root folder cannot be a results folder; name a folder inside it",
                target.display()
            )));
        };
        if let Ok(cwd) = std::env::current_dir().and_then(fs::canonicalize)
            && cwd.starts_with(&resolved)
        {
            return Err(ResultsError::Refused(format!(
                "--out {}: is the current folder or holds it; capsim replaces a results folder \
                 whole, so name a folder of its own (e.g. --out out/results)",
                target.display()
            )));
        }
        if resolved.is_dir() {
            check_replaceable(target, &resolved)?;
            check_not_a_mount_point(target, &resolved, parent)?;
        }
        remove_stale(parent);
        let staging = sibling(&resolved, STAGING_TAG);
        if staging.exists() {
            fs::remove_dir_all(&staging).context(|| format!("removing {}", staging.display()))?;
        }
        fs::create_dir(&staging).context(|| {
            format!(
                "cannot write the results folder {}: creating {}",
                target.display(),
                staging.display()
            )
        })?;
        Ok(ResultsFolder {
            shown: target.to_path_buf(),
            target: resolved,
            staging,
            command,
            committed: false,
        })
    }

    /// Where to write the folder's files until [`commit`](Self::commit).
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The folder as the user named it.
    pub fn shown(&self) -> &Path {
        &self.shown
    }

    /// Whether the folder to replace exists (a stopped run leaves it as it was).
    pub fn target_exists(&self) -> bool {
        self.target.is_dir()
    }

    /// Swaps the finished folder in for the target: writes the marker, renames the old folder
    /// aside, renames the new one into place and removes the old one. Returns a note for the
    /// user when the old folder could not be removed (the new results are in place all the
    /// same; the next run removes the leftover).
    pub fn commit(mut self) -> Result<Option<String>> {
        let marker = format!(
            "capsim {} results folder ({}); capsim replaces this folder whole on the next run \
             into it\n",
            env!("CARGO_PKG_VERSION"),
            self.command
        );
        fs::write(self.staging.join(MARKER), marker)
            .context(|| format!("writing {}", self.shown.display()))?;
        let failed = || format!("replacing {} with the new results", self.shown.display());
        if self.target.symlink_metadata().is_ok() {
            let old = sibling(&self.target, OLD_TAG);
            fs::rename(&self.target, &old).context(failed)?;
            if let Err(e) = fs::rename(&self.staging, &self.target) {
                // Put the old folder back: the target must never be lost.
                let _ = fs::rename(&old, &self.target);
                return Err(e).context(failed);
            }
            self.committed = true;
            // The new results are in place: a leftover is for the next run to remove.
            if let Err(e) = fs::remove_dir_all(&old) {
                return Ok(Some(format!(
                    "could not remove the previous results {}: {e}",
                    old.display()
                )));
            }
        } else {
            fs::rename(&self.staging, &self.target).context(failed)?;
            self.committed = true;
        }
        Ok(None)
    }
}

impl Drop for ResultsFolder {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.staging);
        }
    }
}

/// `target` made absolute, with a symlink to a folder followed (the folder it points to is the
/// one replaced); its parent is created when missing.
fn resolve(target: &Path) -> Result<PathBuf> {
    if let Ok(meta) = fs::metadata(target) {
        if !meta.is_dir() {
            return Err(ResultsError::Failed(format!(
                "--out {}: exists and is not a folder (results are a folder of files)",
                target.display()
            )));
        }
        return fs::canonicalize(target)
            .context(|| format!("resolving --out {}", target.display()));
    }
    let name = target.file_name().ok_or_else(|| {
        ResultsError::Failed(format!(
            "--out {}: name a folder (e.g. out/results)",
            target.display()
        ))
    })?;
    let parent = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(parent)
        .context(|| format!("creating output directory {}", parent.display()))?;
    let parent = fs::canonicalize(parent)
        .context(|| format!("resolving output directory {}", parent.display()))?;
    Ok(parent.join(name))
}

/// Refuses to replace a folder that holds files capsim did not write.
fn check_replaceable(shown: &Path, dir: &Path) -> Result<()> {
    let entries = fs::read_dir(dir).context(|| format!("reading {}", shown.display()))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.context(|| format!("reading {}", shown.display()))?;
        let name = entry.file_name();
        if name == MARKER {
            return Ok(());
        }
        names.push((name, entry.path()));
    }
    let foreign = names
        .iter()
        .find(|(name, path)| !is_legacy_entry(name, path));
    if let Some((name, _)) = foreign {
        return Err(ResultsError::Refused(format!(
            "--out {}: holds files capsim did not write (e.g. `{}`), and capsim replaces a results \
             folder whole; name a new or empty folder, or one an earlier capsim run wrote",
            shown.display(),
            name.to_string_lossy()
        )));
    }
    Ok(())
}

/// Refuses a folder that is a mount point (another filesystem than its parent's, as a container
/// volume): it cannot be renamed, so it cannot be replaced whole.
fn check_not_a_mount_point(shown: &Path, dir: &Path, parent: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let device = |p: &Path| fs::metadata(p).map(|m| m.dev()).ok();
        if device(dir) != device(parent) {
            return Err(ResultsError::Refused(format!(
                "--out {}: is a mount point, which capsim cannot replace whole (it builds the \
                 results beside the folder and renames them into place); name a folder inside \
                 it, e.g. --out {}",
                shown.display(),
                shown.join("results").display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = (shown, dir, parent);
    Ok(())
}

/// Whether an entry of a marker-less folder is one capsim writes: a known file or `charts`, a
/// temporary file, or a compared scenario's folder holding a `summary.json` and only run files.
fn is_legacy_entry(name: &OsStr, path: &Path) -> bool {
    let name = name.to_string_lossy();
    if KNOWN_ENTRIES.contains(&name.as_ref()) || name.starts_with(".capsim-") {
        return true;
    }
    path.join("summary.json").is_file()
        && fs::read_dir(path).is_ok_and(|entries| {
            entries.flatten().all(|e| {
                let n = e.file_name();
                ["summary.json", "daily.csv", "scenario.resolved.toml"]
                    .iter()
                    .any(|known| n == *known)
                    || n.to_string_lossy().starts_with(".capsim-")
            })
        })
}

/// `.<name><tag><pid>` beside `path`.
fn sibling(path: &Path, tag: &str) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.with_file_name(format!(".{name}{tag}{}", std::process::id()))
}

/// Removes the staging folders in `parent` left by capsim processes that are gone, and puts
/// back any results folder a killed swap had renamed aside. Best effort: what cannot be removed
/// stays.
fn remove_stale(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        for tag in [STAGING_TAG, OLD_TAG] {
            let Some((target, pid)) = name.strip_prefix('.').and_then(|n| n.rsplit_once(tag))
            else {
                continue;
            };
            if !pid.parse::<u32>().is_ok_and(process_is_gone) {
                continue;
            }
            let target = parent.join(target);
            if tag == OLD_TAG && target.symlink_metadata().is_err() {
                let _ = fs::rename(entry.path(), &target);
            } else {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// Removes the temporary files in `dir` ([`super::temp_in`]) of capsim processes that are gone.
/// Best effort.
pub fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let pid = name
            .strip_prefix(TEMP_PREFIX)
            .and_then(|rest| rest.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok());
        if pid.is_some_and(process_is_gone) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Whether no process `pid` runs on this machine. Known only where `/proc` lists processes
/// (Linux); elsewhere every process is taken as alive, so stale folders stay.
fn process_is_gone(pid: u32) -> bool {
    pid != std::process::id()
        && Path::new("/proc/self").exists()
        && !Path::new("/proc").join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_build_leaves_the_old_folder_and_no_staging() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir(&out).unwrap();
        fs::write(out.join("summary.json"), "old").unwrap();
        let folder = ResultsFolder::create(&out, "run").unwrap();
        fs::write(folder.path().join("daily.csv"), "new").unwrap();
        drop(folder);
        let names: Vec<_> = fs::read_dir(root.path()).unwrap().flatten().collect();
        assert_eq!(names.len(), 1, "only `out` is left: {names:?}");
        assert_eq!(fs::read_to_string(out.join("summary.json")).unwrap(), "old");
    }

    #[test]
    fn a_commit_replaces_the_whole_folder() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir_all(out.join("charts")).unwrap();
        fs::write(out.join("trials.csv"), "stale").unwrap();
        let folder = ResultsFolder::create(&out, "run").unwrap();
        fs::write(folder.path().join("summary.json"), "new").unwrap();
        assert_eq!(folder.commit().unwrap(), None);
        let mut names: Vec<String> = fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [MARKER, "summary.json"]);
        assert_eq!(fs::read_dir(root.path()).unwrap().count(), 1);
    }

    #[test]
    fn foreign_folders_are_refused() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("notes.txt"), "mine").unwrap();
        let err = ResultsFolder::create(root.path(), "run").unwrap_err();
        assert!(err.to_string().contains("`notes.txt`"), "{err}");
        assert!(matches!(err, ResultsError::Refused(_)));
        assert!(root.path().join("notes.txt").exists());
    }

    #[test]
    fn stale_staging_of_dead_processes_is_removed_and_a_lost_folder_restored() {
        let root = tempfile::tempdir().unwrap();
        // Far above any pid_max: no such process.
        let dead = format!("{}", u32::MAX - 1);
        let stale = root.path().join(format!(".a{STAGING_TAG}{dead}"));
        let old = root.path().join(format!(".b{OLD_TAG}{dead}"));
        let live = root
            .path()
            .join(format!(".c{STAGING_TAG}{}", std::process::id()));
        for d in [&stale, &old, &live] {
            fs::create_dir(d).unwrap();
        }
        remove_stale(root.path());
        assert!(!stale.exists());
        assert!(
            root.path().join("b").is_dir(),
            "the renamed-aside folder is back"
        );
        assert!(live.exists(), "a live process's staging stays");
    }
}
