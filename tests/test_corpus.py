"""The whole rule pack over real manifests nobody here wrote: no rule errors, exact lines, valid SARIF."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from govscan import reporters
from govscan.scanner.config import Config
from govscan.scanner.engine import ScanRequest, scan
from govscan.scanner.model import ScanReport, Tier


@pytest.fixture(scope="module")
def corpus_report(corpus: Path) -> ScanReport:
    old = os.getcwd()
    os.chdir(corpus)
    try:
        return scan(ScanRequest(targets=("k8s-real",), config=Config(), tier=Tier.PRODUCTION, cwd=corpus))
    finally:
        os.chdir(old)


def test_no_rule_errors_on_the_real_corpus(corpus_report: ScanReport) -> None:
    errors = [
        f"{f.location.path}:{f.location.line} {f.message}"
        for f in corpus_report.findings
        if f.rule_id == "govscan.rule-error"
    ]
    assert errors == []
    assert not [f for f in corpus_report.findings if f.rule_id == "govscan.input-error"]
    assert corpus_report.resources > 4000


def test_every_finding_line_holds_the_field_it_names(corpus: Path, corpus_report: ScanReport) -> None:
    """Every finding whose pointer ends in a mapping key is reported on a line holding that key or a parent's."""
    texts: dict[str, list[str]] = {}
    checked = 0
    for finding in corpus_report.findings:
        token = finding.pointer.rsplit("/", 1)[-1] if finding.pointer else ""
        if not token or token.isdigit():
            continue  # list items and whole resources
        if not (corpus / finding.location.path).is_file():
            continue  # a Helm template named by `# Source:`: lines count within the rendered document
        if finding.location.path not in texts:
            texts[finding.location.path] = (corpus / finding.location.path).read_text(encoding="utf-8").splitlines()
        line = texts[finding.location.path][finding.location.line - 1]
        # the offending key, or (when the field is missing) the nearest parent key that exists
        keys = [t.replace("~1", "/").replace("~0", "~") for t in finding.pointer.split("/")[1:] if not t.isdigit()]
        assert any(key in line for key in keys), (finding.rule_id, finding.location, finding.pointer, line)
        checked += 1
    assert checked > 100


def test_sarif_of_the_real_corpus_is_schema_valid(corpus_report: ScanReport, sarif_schema_path: Path) -> None:
    sarif = json.loads(reporters.render("sarif", corpus_report))
    schema = json.loads(sarif_schema_path.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert len(results) == len(corpus_report.findings)
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        assert not location["artifactLocation"]["uri"].startswith(("./", "/"))
        assert location["region"]["startLine"] >= 1
