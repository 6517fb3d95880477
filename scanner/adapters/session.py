"""One scan's use of checkov and trivy: find the tools, stage the inputs, start the runs, collect outcomes.

The tools start before the engine reads the inputs and run while it does; the engine collects their
outcomes after its own rules, so that duplicates of built-in rules can be dropped (mapping.COVERS).
A run that crashes, times out or prints no report makes every resource it was given NOT_EVALUATED
under `<tool>.run`, with the reason: never a silent pass.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from govscan.scanner import inputs
from govscan.scanner.adapters import attribute, checkov, images, trivy_config
from govscan.scanner.adapters.mapping import CHECKOV, TRIVY, engine_rule
from govscan.scanner.adapters.results import CheckResult, Outcome
from govscan.scanner.adapters.staging import Staged, stage
from govscan.scanner.adapters.tools import Finished, Running, find_tool
from govscan.scanner.config import Config
from govscan.scanner.errors import UsageError
from govscan.scanner.model import Platform, Resource, Severity, Skipped, Status

CHECKOV_ENGINE = "checkov"
TRIVY_ENGINE = "trivy-config"
ENGINES: dict[str, str] = {CHECKOV_ENGINE: CHECKOV, TRIVY_ENGINE: TRIVY}
"""--engine value -> the tool it runs."""
DEFAULT_TIMEOUT = 600.0


@dataclass(frozen=True)
class Wanted:
    """What the user asked of the adapters (from ScanRequest)."""

    engines: tuple[str, ...] = ()
    trivy_reports: tuple[Path, ...] = ()
    scan_images: bool = False
    timeout: float = DEFAULT_TIMEOUT

    def __bool__(self) -> bool:
        return bool(self.engines or self.trivy_reports or self.scan_images)

    @property
    def images(self) -> bool:
        return bool(self.trivy_reports or self.scan_images)


def check_engines(names: Iterable[str]) -> tuple[str, ...]:
    """The --engine values, validated (UsageError for an unknown one), duplicates dropped."""
    chosen: list[str] = []
    for name in names:
        if name not in ENGINES:
            raise UsageError(f"--engine: unknown engine {name!r}; choose {' or '.join(ENGINES)}")
        if name not in chosen:
            chosen.append(name)
    return tuple(chosen)


@dataclass
class _Run:
    engine: str
    tool: str
    running: Running
    chunks: list[str]
    parse: Callable[[str], tuple[list[CheckResult], list[str]]]


class Session:
    """Created before the engine reads its inputs; `close()` removes the staging directory."""

    def __init__(
        self,
        wanted: Wanted,
        files: list[inputs.InputFile],
        config: Config,
        *,
        max_bytes: int,
        tf_root: Path | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.wanted = wanted
        self.config = config
        commands = {e: find_tool(ENGINES[e], f"--engine {e}") for e in check_engines(wanted.engines)}
        self.trivy = find_tool(TRIVY, "--scan-images") if wanted.scan_images else None
        self.reports = images.load_reports(wanted.trivy_reports)
        self.root = Path(tempfile.mkdtemp(prefix="govscan-engines-"))
        try:
            self.staged: Staged = stage(
                files, self.root, max_bytes=max_bytes, write=bool(commands), tf_root=tf_root, cwd=cwd
            )
            self.files = [dataclasses.replace(f, path=self.staged.stdin_copy) if f.path is None else f for f in files]
            self.runs = self._start(commands)
        except BaseException:
            self.close()
            raise

    def _start(self, commands: Mapping[str, list[str]]) -> list[_Run]:
        staged, timeout = self.staged, self.wanted.timeout
        k8s = [c.name for c in staged.of_platform(Platform.K8S)]
        plans = [c.name for c in staged.of_platform(Platform.TERRAFORM)]
        runs: list[_Run] = []
        if CHECKOV_ENGINE in commands and (k8s or plans):
            argv = checkov.command(commands[CHECKOV_ENGINE], staged.scan_dir)
            running = Running("checkov", argv, self.root, timeout)
            runs.append(
                _Run(CHECKOV_ENGINE, CHECKOV, running, k8s + plans, partial(checkov.parse, scan_dir=staged.scan_dir))
            )
        if TRIVY_ENGINE in commands:
            tool, cache = commands[TRIVY_ENGINE], self.root / "trivy-cache"
            if k8s:
                targets = {name.split("/", 1)[1]: name for name in k8s}  # trivy names files from the k8s folder
                argv = trivy_config.k8s_command(tool, staged.scan_dir / "k8s", cache)
                running = Running("trivy-k8s", argv, self.root, timeout)
                runs.append(_Run(TRIVY_ENGINE, TRIVY, running, k8s, partial(_trivy_results, targets)))
            for number, plan in enumerate(plans, start=1):
                argv = trivy_config.plan_command(tool, staged.scan_dir / plan, cache)
                running = Running(f"trivy-plan-{number}", argv, self.root, timeout)
                runs.append(_Run(TRIVY_ENGINE, TRIVY, running, [plan], partial(_trivy_results, plan)))
        return runs

    def outcomes(self, builtin_severity: Mapping[str, Severity]) -> tuple[list[Outcome], list[Skipped]]:
        """Wait for the tools and turn everything into outcomes (images judged last)."""
        results: list[CheckResult] = []
        found: list[Outcome] = []
        for run in self.runs:
            finished = run.running.wait()
            problem, unparsed = self._read(run, finished, results)
            if problem is not None:
                found += self._not_run(run, run.chunks, problem)
            elif unparsed:
                found += self._not_run(run, unparsed, f"{run.tool} could not parse this document")
        tool_outcomes, skipped = attribute.outcomes(results, self.staged, builtin_severity)
        found += tool_outcomes
        if self.wanted.images:
            found += self._image_outcomes()
        return found, skipped

    def _read(self, run: _Run, finished: Finished, into: list[CheckResult]) -> tuple[str | None, list[str]]:
        """Parse a finished run into `into`; returns why it gave nothing, and files it could not parse."""
        if finished.problem is not None:
            return finished.problem, []
        # checkov exits 1 when checks failed; trivy exits 0 unless told otherwise
        if finished.returncode not in ((0, 1) if run.tool == CHECKOV else (0,)):
            detail = run.running.last_error_line() or "no message"
            return f"{run.tool} exited with {finished.returncode}: {detail}", []
        try:
            results, unparsed = run.parse(finished.stdout)
        except (checkov.Unreadable, trivy_config.Unreadable) as exc:
            detail = run.running.last_error_line()
            return f"{exc}{': ' + detail if detail else ''}", []
        into.extend(results)
        return None, unparsed

    def _not_run(self, run: _Run, chunk_names: Iterable[str], reason: str) -> list[Outcome]:
        meta = engine_rule(run.engine, run.tool)
        doc = f"Records the resources {run.engine} was asked to judge and could not."
        resources: list[Resource] = [r for name in chunk_names for r in self.staged.chunks[name].resources]
        return [Outcome(meta, doc, r, Status.NOT_EVALUATED, reason=f"{reason}; its checks were not evaluated",
                        always=True) for r in resources]  # fmt: skip

    def _image_outcomes(self) -> list[Outcome]:
        reports = dict(self.reports)
        missing: dict[str, str] = {}
        if self.trivy is not None:
            wanted = {
                image.raw
                for resource in images.workloads(self.staged.resources, self.config)
                for _, image, _ in images.images_of(resource, self.config)[0]
                if not any(k in reports for k in images.keys(image))
            }
            scanned, missing = images.scan_images(wanted, self.trivy, self.root, self.wanted.timeout)
            reports.update(scanned)
        return images.judge(self.staged.resources, self.config, reports, missing)

    def close(self) -> None:
        for run in getattr(self, "runs", []):
            run.running.stop()  # a scan that ended early leaves no tool running
        shutil.rmtree(self.root, ignore_errors=True)


def _trivy_results(targets: dict[str, str] | str, stdout: str) -> tuple[list[CheckResult], list[str]]:
    return trivy_config.parse(stdout, targets), []
