//! Deployment: the `Dockerfile` and the Kubernetes manifests in `deploy/kubernetes/` agree with
//! each other and with capsim's sharding flags, and running the manifests' commands locally, one
//! per completion index, gives the same result as one unsharded run.
//!
//! Nothing here needs Docker, a cluster or the network: the manifests are read as YAML, and
//! their container commands run against the `capsim` built for this test run, with the image's
//! `/opt/capsim/` mapped to the crate root and the volume's mount to a temporary directory.

use std::path::{Path, PathBuf};

use yaml_rust2::{Yaml, YamlLoader};

use crate::util::{capsim, root, run_cli};

const SHARD_JOB: &str = "deploy/kubernetes/capsim-shards.yaml";
const MERGE_JOB: &str = "deploy/kubernetes/capsim-merge.yaml";
const PVC: &str = "deploy/kubernetes/pvc.yaml";

/// Where the Dockerfile puts the repository's `scenarios/` folder; everything under it maps to
/// the crate root when the manifests' commands run locally.
const IMAGE_PREFIX: &str = "/opt/capsim/";

/// Every variable capsim may read a shard index from, in its order of precedence
/// (Slurm, Kubernetes, AWS Batch). The local run sets only Kubernetes' and clears the others,
/// so the test also passes inside a Slurm or Batch job.
const INDEX_VARS: [&str; 3] = [
    "SLURM_ARRAY_TASK_ID",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
];

/// One Kubernetes object read from a manifest file, with lookups that name the file and the
/// field when something is missing.
struct Manifest {
    file: &'static str,
    doc: Yaml,
}

impl Manifest {
    /// Reads `file` (relative to the crate root), which must hold exactly one YAML document.
    fn load(file: &'static str) -> Manifest {
        let text = std::fs::read_to_string(root().join(file))
            .unwrap_or_else(|e| panic!("reading {file}: {e}"));
        let mut docs =
            YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{file} is not YAML: {e}"));
        assert_eq!(docs.len(), 1, "{file} should hold exactly one document");
        Manifest {
            file,
            doc: docs.remove(0),
        }
    }

    /// The node at a `.`-separated path; numeric segments index lists
    /// (`spec.template.spec.containers.0.args`).
    fn at(&self, path: &str) -> &Yaml {
        let node = at(&self.doc, path);
        assert!(!node.is_badvalue(), "{}: no `{path}`", self.file);
        node
    }

    /// The string at `path`.
    fn str(&self, path: &str) -> &str {
        self.at(path)
            .as_str()
            .unwrap_or_else(|| panic!("{}: `{path}` should be a string", self.file))
    }

    /// The integer at `path`.
    fn int(&self, path: &str) -> i64 {
        self.at(path)
            .as_i64()
            .unwrap_or_else(|| panic!("{}: `{path}` should be an integer", self.file))
    }

    /// The list at `path`.
    fn list(&self, path: &str) -> &[Yaml] {
        self.at(path)
            .as_vec()
            .unwrap_or_else(|| panic!("{}: `{path}` should be a list", self.file))
    }

    /// Asserts `apiVersion` and `kind`.
    fn assert_kind(&self, api_version: &str, kind: &str) {
        assert_eq!(
            self.str("apiVersion"),
            api_version,
            "{}: apiVersion",
            self.file
        );
        assert_eq!(self.str("kind"), kind, "{}: kind", self.file);
    }

    /// A Job's only container.
    fn container(&self) -> Manifest {
        let containers = self.list("spec.template.spec.containers");
        assert_eq!(
            containers.len(),
            1,
            "{}: the Job should run exactly one container",
            self.file
        );
        Manifest {
            file: self.file,
            doc: containers[0].clone(),
        }
    }

    /// A Job's container arguments. Kubernetes accepts only strings there, so a number must be
    /// quoted (`"100"`), which this checks.
    fn args(&self) -> Vec<String> {
        let container = self.container();
        container
            .list("args")
            .iter()
            .enumerate()
            .map(|(i, a)| {
                a.as_str()
                    .unwrap_or_else(|| {
                        panic!(
                            "{}: args[{i}] = {a:?} should be a string (quote numbers)",
                            self.file
                        )
                    })
                    .to_owned()
            })
            .collect()
    }

    /// Where a Job's container mounts the PersistentVolumeClaim `claim`.
    fn mount_path_of_claim(&self, claim: &str) -> String {
        let volume = self
            .list("spec.template.spec.volumes")
            .iter()
            .find(|v| v["persistentVolumeClaim"]["claimName"].as_str() == Some(claim))
            .unwrap_or_else(|| panic!("{}: no volume uses the claim `{claim}`", self.file));
        let name = volume["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: the volume of `{claim}` has no name", self.file));
        let container = self.container();
        let mount = container
            .list("volumeMounts")
            .iter()
            .find(|m| m["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("{}: the container does not mount `{name}`", self.file));
        mount["mountPath"]
            .as_str()
            .unwrap_or_else(|| panic!("{}: the mount of `{name}` has no mountPath", self.file))
            .to_owned()
    }
}

/// The node at a `.`-separated path under `node`, or `Yaml::BadValue`.
fn at<'a>(node: &'a Yaml, path: &str) -> &'a Yaml {
    path.split('.')
        .fold(node, |n, key| match key.parse::<usize>() {
            Ok(i) => &n[i],
            Err(_) => &n[key],
        })
}

/// The value after `flag` (any of its spellings) in `args`. The manifests write each flag and
/// its value as separate list items, so this does not look for `--flag=value`.
fn flag_value<'a>(file: &str, args: &'a [String], spellings: &[&str]) -> &'a str {
    let i = args
        .iter()
        .position(|a| spellings.contains(&a.as_str()))
        .unwrap_or_else(|| panic!("{file}: the args have no {spellings:?}: {args:?}"));
    args.get(i + 1)
        .unwrap_or_else(|| panic!("{file}: {spellings:?} is the last arg and has no value"))
}

/// Replaces the value after `flag` (any of its spellings) in `args`.
fn set_flag(args: &mut [String], spellings: &[&str], value: &str) {
    let i = args
        .iter()
        .position(|a| spellings.contains(&a.as_str()))
        .unwrap_or_else(|| panic!("no {spellings:?} in {args:?}"));
    args[i + 1] = value.to_owned();
}

/// `path` relative to `mount`, if it lies strictly under it.
fn under_mount<'a>(path: &'a str, mount: &str) -> Option<&'a str> {
    path.strip_prefix(mount.trim_end_matches('/'))?
        .strip_prefix('/')
        .filter(|rest| !rest.is_empty())
}

/// A Kubernetes CPU quantity (`"2"`, `2`, `"1500m"`) in millicores.
fn millicores(file: &str, q: &Yaml) -> i64 {
    let text = match q {
        Yaml::Integer(n) => return n * 1000,
        Yaml::Real(r) | Yaml::String(r) => r.as_str(),
        other => panic!("{file}: CPU quantity {other:?} is neither a number nor a string"),
    };
    let parsed = match text.strip_suffix('m') {
        Some(milli) => milli.parse::<f64>().ok(),
        None => text.parse::<f64>().ok().map(|cpus| cpus * 1000.0),
    };
    parsed.unwrap_or_else(|| panic!("{file}: `{text}` is not a CPU quantity")) as i64
}

#[test]
fn shard_job_is_indexed_with_one_completion_per_shard() {
    let job = Manifest::load(SHARD_JOB);
    job.assert_kind("batch/v1", "Job");
    assert_eq!(
        job.str("spec.completionMode"),
        "Indexed",
        "{SHARD_JOB}: only an Indexed Job sets JOB_COMPLETION_INDEX, which --shards reads"
    );
    let args = job.args();
    assert_eq!(
        args.first().map(String::as_str),
        Some("run"),
        "{SHARD_JOB}: args"
    );
    assert!(
        !args.iter().any(|a| a == "--shard"),
        "{SHARD_JOB}: use `--shards N` so each pod takes its index from the environment; \
         `--shard K/N` would run the same shard in every pod"
    );
    let shards: i64 = flag_value(SHARD_JOB, &args, &["--shards"])
        .parse()
        .unwrap_or_else(|e| panic!("{SHARD_JOB}: --shards is not a number: {e}"));
    let completions = job.int("spec.completions");
    assert_eq!(
        completions, shards,
        "{SHARD_JOB}: `completions` must equal `--shards`: one pod per shard, no shard missing"
    );
    let parallelism = job.int("spec.parallelism");
    assert!(
        (1..=completions).contains(&parallelism),
        "{SHARD_JOB}: parallelism {parallelism} should be between 1 and completions ({completions})"
    );
    assert_eq!(
        job.str("spec.template.spec.restartPolicy"),
        "Never",
        "{SHARD_JOB}: backoffLimitPerIndex needs restartPolicy Never"
    );
    let per_index = job.int("spec.backoffLimitPerIndex");
    assert!(
        per_index >= 1,
        "{SHARD_JOB}: backoffLimitPerIndex {per_index} should retry a failed index at least once"
    );
    let max_failed = job.int("spec.maxFailedIndexes");
    assert!(
        (0..=completions).contains(&max_failed),
        "{SHARD_JOB}: maxFailedIndexes {max_failed} should be between 0 and completions"
    );
}

#[test]
fn merge_job_runs_once_on_the_shard_output() {
    let merge = Manifest::load(MERGE_JOB);
    merge.assert_kind("batch/v1", "Job");
    assert_eq!(
        merge.int("spec.completions"),
        1,
        "{MERGE_JOB}: merge runs once"
    );
    assert_eq!(
        merge.str("spec.template.spec.restartPolicy"),
        "Never",
        "{MERGE_JOB}: restartPolicy"
    );
    let args = merge.args();
    assert_eq!(
        args.first().map(String::as_str),
        Some("merge"),
        "{MERGE_JOB}: args"
    );
    let shard_out = flag_value(SHARD_JOB, &Manifest::load(SHARD_JOB).args(), &["--out"]).to_owned();
    assert_eq!(
        args.get(1),
        Some(&shard_out),
        "{MERGE_JOB}: merge should read the shard Job's --out directory"
    );
    let merged = flag_value(MERGE_JOB, &args, &["--out"]);
    assert_ne!(
        merged, shard_out,
        "{MERGE_JOB}: write the merged result next to the shards, not among them"
    );
}

#[test]
fn both_jobs_share_the_results_volume_and_the_image() {
    let pvc = Manifest::load(PVC);
    pvc.assert_kind("v1", "PersistentVolumeClaim");
    let claim = pvc.str("metadata.name");
    assert!(
        pvc.list("spec.accessModes")
            .iter()
            .any(|m| m.as_str() == Some("ReadWriteMany")),
        "{PVC}: shard pods on different nodes write at once: the claim needs ReadWriteMany"
    );
    pvc.str("spec.resources.requests.storage");

    let shard = Manifest::load(SHARD_JOB);
    let merge = Manifest::load(MERGE_JOB);
    let shard_mount = shard.mount_path_of_claim(claim);
    let merge_mount = merge.mount_path_of_claim(claim);
    let shard_args = shard.args();
    let merge_args = merge.args();

    // The shards must land on the shared volume, and the merge must read the same folder of it,
    // wherever each pod mounts the volume.
    let shard_out = flag_value(SHARD_JOB, &shard_args, &["--out"]);
    let written = under_mount(shard_out, &shard_mount).unwrap_or_else(|| {
        panic!("{SHARD_JOB}: --out {shard_out} is not on the volume mounted at {shard_mount}")
    });
    let merge_in = &merge_args[1];
    let read = under_mount(merge_in, &merge_mount).unwrap_or_else(|| {
        panic!("{MERGE_JOB}: {merge_in} is not on the volume mounted at {merge_mount}")
    });
    assert_eq!(
        read, written,
        "the merge Job reads a different folder of `{claim}` than the shard Job writes"
    );
    let merged = flag_value(MERGE_JOB, &merge_args, &["--out"]);
    assert!(
        under_mount(merged, &merge_mount).is_some(),
        "{MERGE_JOB}: --out {merged} is not on the volume, so the result is lost with the pod"
    );

    assert_eq!(
        shard.container().str("image"),
        merge.container().str("image"),
        "both Jobs should run the same image: a partial file is read by the capsim that wrote it"
    );
}

#[test]
fn containers_request_cpu_and_limit_memory() {
    for file in [SHARD_JOB, MERGE_JOB] {
        let container = Manifest::load(file).container();
        let cpu = millicores(file, container.at("resources.requests.cpu"));
        assert!(cpu > 0, "{file}: requests.cpu should be positive");
        container.at("resources.limits.memory");
        if file == SHARD_JOB {
            let args = Manifest::load(file).args();
            let threads: i64 = flag_value(file, &args, &["-j", "--threads"])
                .parse()
                .unwrap_or_else(|e| panic!("{file}: --threads is not a number: {e}"));
            assert!(
                threads * 1000 <= cpu,
                "{file}: {threads} threads on {cpu}m requested CPU would contend for cores"
            );
        }
    }
}

#[test]
fn image_ships_the_scenario_the_jobs_run() {
    let dockerfile =
        std::fs::read_to_string(root().join("Dockerfile")).expect("reading Dockerfile");
    let lines: Vec<Vec<&str>> = dockerfile
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let copies_scenarios = lines.iter().any(|words| {
        words.len() == 3
            && words[0] == "COPY"
            && words[1].trim_end_matches('/') == "scenarios"
            && words[2].trim_end_matches('/') == "/opt/capsim/scenarios"
    });
    assert!(
        copies_scenarios,
        "Dockerfile: expected `COPY scenarios/ /opt/capsim/scenarios/`, the path the Jobs use"
    );
    assert!(
        dockerfile
            .lines()
            .any(|l| l.trim() == r#"ENTRYPOINT ["capsim"]"#),
        r#"Dockerfile: expected `ENTRYPOINT ["capsim"]`: the Jobs' args start at the subcommand"#
    );
    let user = lines
        .iter()
        .rfind(|words| words.first() == Some(&"USER"))
        .and_then(|words| words.get(1))
        .expect("Dockerfile: the runtime stage should set a non-root USER");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(
        uid.parse::<u32>().is_ok_and(|u| u != 0),
        "Dockerfile: USER {user} should be a numeric, non-root uid (runAsNonRoot checks it)"
    );

    for file in [SHARD_JOB, MERGE_JOB] {
        let job = Manifest::load(file);
        let run_as = job.int("spec.template.spec.securityContext.runAsUser");
        assert_eq!(
            run_as.to_string(),
            uid,
            "{file}: runAsUser should be the image's USER"
        );
    }

    let args = Manifest::load(SHARD_JOB).args();
    let scenario = &args[1];
    let rel = scenario.strip_prefix(IMAGE_PREFIX).unwrap_or_else(|| {
        panic!("{SHARD_JOB}: the scenario {scenario} is not under {IMAGE_PREFIX} in the image")
    });
    assert!(
        root().join(rel).is_file(),
        "{SHARD_JOB}: the scenario {scenario} is not in the image: the repository has no {rel}"
    );

    let ignore =
        std::fs::read_to_string(root().join(".dockerignore")).expect("reading .dockerignore");
    for excluded in ["target", "out", ".git"] {
        assert!(
            ignore
                .lines()
                .any(|l| l.trim().trim_end_matches('/') == excluded),
            ".dockerignore should exclude {excluded}"
        );
    }
}

/// Rewrites a container argument for a local run: the image's `/opt/capsim/` becomes the crate
/// root, and paths on the volume (mounted at `mount`) move under `volume`.
fn localize(arg: &str, mount: &str, volume: &Path) -> String {
    let local: Option<PathBuf> = if let Some(rel) = arg.strip_prefix(IMAGE_PREFIX) {
        Some(root().join(rel))
    } else {
        under_mount(arg, mount).map(|rel| volume.join(rel))
    };
    match local {
        Some(path) => path.to_string_lossy().into_owned(),
        None => arg.to_owned(),
    }
}

/// Asserts that two files have the same bytes, naming the first line that differs.
fn assert_same_file(sharded: &Path, unsharded: &Path) {
    let a = std::fs::read(sharded).unwrap_or_else(|e| panic!("{}: {e}", sharded.display()));
    let b = std::fs::read(unsharded).unwrap_or_else(|e| panic!("{}: {e}", unsharded.display()));
    if a != b {
        let (a, b) = (String::from_utf8_lossy(&a), String::from_utf8_lossy(&b));
        let (n, (la, lb)) = a
            .lines()
            .zip(b.lines())
            .enumerate()
            .find(|(_, (la, lb))| la != lb)
            .unwrap_or((0, ("(one file is a prefix of the other)", "")));
        panic!(
            "merged {} differs from the unsharded run's, first at line {}:\n  merged:    {la}\n  unsharded: {lb}",
            sharded.display(),
            n + 1
        );
    }
}

#[test]
fn manifests_run_locally_shard_by_shard_and_merge_to_the_unsharded_result() {
    // The manifests' own numbers would start 100 debug-build processes with 10,000 trials each.
    // Run the same commands on a smaller split instead: the shard count is rewritten in both
    // places it appears (`completions`, which sets the indexes, and `--shards`), and the trials
    // to 3 per shard. Everything else (scenario, seed, threads, paths) is the manifests'.
    const SHARDS: usize = 4;
    const TRIALS: usize = 3 * SHARDS;

    let claim = Manifest::load(PVC).str("metadata.name").to_owned();
    let shard_job = Manifest::load(SHARD_JOB);
    let merge_job = Manifest::load(MERGE_JOB);
    assert_eq!(
        shard_job.str("spec.completionMode"),
        "Indexed",
        "{SHARD_JOB}: completionMode"
    );
    let volume = tempfile::tempdir().expect("temp dir");

    let mount = shard_job.mount_path_of_claim(&claim);
    let mut shard_args = shard_job.args();
    set_flag(&mut shard_args, &["--shards"], &SHARDS.to_string());
    set_flag(&mut shard_args, &["-n", "--trials"], &TRIALS.to_string());
    let shard_args: Vec<String> = shard_args
        .iter()
        .map(|a| localize(a, &mount, volume.path()))
        .collect();
    // What Kubernetes does for an Indexed Job with `completions: SHARDS`: one pod per index,
    // each told its index through JOB_COMPLETION_INDEX.
    for index in 0..SHARDS {
        let mut cmd = capsim();
        for var in INDEX_VARS {
            cmd.env_remove(var);
        }
        cmd.env("JOB_COMPLETION_INDEX", index.to_string())
            .args(&shard_args)
            .assert()
            .success();
    }

    let shard_dir = PathBuf::from(flag_value(SHARD_JOB, &shard_args, &["--out"]));
    let mut written: Vec<String> = std::fs::read_dir(&shard_dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", shard_dir.display()))
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".capsim"))
        .collect();
    written.sort();
    let expected: Vec<String> = (0..SHARDS)
        .map(|k| format!("shard-{k:04}-of-{SHARDS:04}.capsim"))
        .collect();
    assert_eq!(
        written, expected,
        "each index should write its own partial file"
    );

    let merge_mount = merge_job.mount_path_of_claim(&claim);
    let merge_args: Vec<String> = merge_job
        .args()
        .iter()
        .map(|a| localize(a, &merge_mount, volume.path()))
        .collect();
    capsim().args(&merge_args).assert().success();
    let merged = PathBuf::from(flag_value(MERGE_JOB, &merge_args, &["--out"]));
    assert!(
        merged.join("charts").is_dir(),
        "merge should draw the charts unless told --no-charts"
    );

    // The same scenario, trials and seed in one unsharded run.
    let scenario = PathBuf::from(&shard_args[1]);
    let seed = flag_value(SHARD_JOB, &shard_args, &["--seed"]);
    let single = run_cli(
        &scenario,
        &["-n", &TRIALS.to_string(), "--seed", seed, "--no-charts"],
    );
    for file in ["summary.json", "daily.csv", "scenario.resolved.toml"] {
        assert_same_file(&merged.join(file), &single.path(file));
    }
}
