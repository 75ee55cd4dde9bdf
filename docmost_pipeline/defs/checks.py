"""The blocking asset checks of ``postprocessed_tree``: the pure checks of :mod:`docmost_pipeline.checks` as
Dagster ``AssetCheckSpec``/``AssetCheckResult`` objects. A failed check stops ``published_space`` in that run.
Also the blocking check of ``docusaurus_site``: the site build itself."""

from pathlib import Path

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from docmost_pipeline.checks import TreeCheck, run_tree_checks
from docmost_pipeline.workdir import WorkDirs

MAX_PROBLEMS_SHOWN = 50
DOCUSAURUS_CHECK = "docusaurus_build"

CHECK_DESCRIPTIONS = {
    "pages_exactly_once": "Every page of the export (and of Docmost's page tree) is in the tree exactly once.",
    "links_resolve": "Every relative link and image resolves inside the tree; every cross-space link is declared.",
    "front_matter_parses": "Every doc's front matter is valid YAML holding a mapping.",
    "slug_names": "Every file and folder name follows the slug rules (lowercase ASCII words joined by `-`).",
    DOCUSAURUS_CHECK: "Docusaurus builds the site with this space (`DOCUSAURUS_CHECK=1`, Node.js installed).",
}


def tree_check_specs(docusaurus: bool) -> list[AssetCheckSpec]:
    """The blocking checks of ``postprocessed_tree``; the Docusaurus build only with DOCUSAURUS_CHECK=1."""
    return [
        AssetCheckSpec(name, asset="postprocessed_tree", blocking=True, description=description)
        for name, description in CHECK_DESCRIPTIONS.items()
        if name != DOCUSAURUS_CHECK or docusaurus
    ]


def check_result(check: TreeCheck) -> AssetCheckResult:
    metadata: dict = {"summary": check.summary, **{k: int(v) for k, v in check.counts.items()}}
    metadata["problems"] = len(check.problems)
    if check.problems:
        shown = check.problems[:MAX_PROBLEMS_SHOWN]
        text = "\n".join(f"- {p}" for p in shown)
        if len(check.problems) > len(shown):
            text += f"\n- … and {len(check.problems) - len(shown)} more"
        metadata["problem_list"] = MetadataValue.md(text)
    return AssetCheckResult(
        check_name=check.name,
        asset_key="postprocessed_tree",
        passed=check.passed,
        severity=AssetCheckSeverity.ERROR,
        description=check.summary,
        metadata=metadata,
    )


def tree_check_results(ref, output_root: Path | None, *, docusaurus: bool) -> list[AssetCheckResult]:
    """Run every blocking check on the tree of ``ref`` (a ``TreeRef``) and return the Dagster results."""
    checks = run_tree_checks(
        Path(ref.tree_dir),
        space=ref.space.slug,
        extract_dir=Path(ref.extract_dir),
        raw_dir=Path(ref.raw_dir),
        dropped_zip_paths=ref.dropped_pages,
        output_root=output_root,
        docusaurus=docusaurus,
        facts_path=WorkDirs(output_root).check_facts(ref.space.slug) if output_root is not None else None,
    )
    return [check_result(check) for check in checks]


SITE_CHECK = "site_builds"


def site_check_spec() -> AssetCheckSpec:
    """The blocking check of ``docusaurus_site``: the build succeeded (else nothing is switched live)."""
    return AssetCheckSpec(
        SITE_CHECK, asset="docusaurus_site", blocking=True,
        description="Docusaurus built the site over every live space (exit status 0: no MDX error, no broken link). "
                    "Fails with severity ERROR when the build failed (the previous site stays live and the run "
                    "fails), WARN when it built with broken anchors or KaTeX errors (published anyway).",
    )


def site_check_result(summary: str, *, ok: bool, clean: bool, metadata: dict) -> AssetCheckResult:
    """ERROR when the build failed, WARN when it built with problems readers see but that do not stop it."""
    return AssetCheckResult(
        check_name=SITE_CHECK, asset_key="docusaurus_site", passed=ok and clean,
        severity=AssetCheckSeverity.ERROR if not ok else AssetCheckSeverity.WARN,
        description=summary.splitlines()[0], metadata={"summary": MetadataValue.md(f"```\n{summary}\n```"), **metadata},
    )
