"""The git target (docmost_pipeline.gitpublish) against real git servers on 127.0.0.1.

Spaces are published with the real publisher into a temporary OUTPUT_DIR, then committed to a bare repository
served by ``git daemon`` (git://) or by ``git http-backend`` behind Basic auth (http://, with a token). Concurrent
pushes come from another real clone, pushed at the moment our sync is about to push (by wrapping the module's git
runner with monkeypatch).
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from docmost_pipeline import gitpublish, publish
from docmost_pipeline.gitpublish import GitPublishError, GitTarget, SpaceSource, mirror_tree, publish_to_git
from docmost_pipeline.publish import publish_tree, read_stamp
from docmost_pipeline.publish.copying import tree_digest
from docmost_pipeline_tests.git_servers import (
    GitHttpServer,
    OtherClone,
    bare_repo,
    branch_head,
    files_at,
    git,
)

DOCMOST = "http://127.0.0.1:9"
TOKEN = "tok-9f8e7d6c5b4a-Secret"


def publish_space(output: Path, space: str, files: dict[str, str]) -> SpaceSource:
    """Publish ``files`` as the space's new live version with the real publisher; the SpaceSource of it."""
    tree = output.parent / "trees" / space
    shutil.rmtree(tree, ignore_errors=True)
    for relative, text in files.items():
        (tree / relative).parent.mkdir(parents=True, exist_ok=True)
        (tree / relative).write_text(text)
    tree.mkdir(parents=True, exist_ok=True)
    pages = sum(1 for name in files if name.endswith(".md"))
    result = publish_tree(tree, output, space, source_sha256=f"digest-of-{space}-{len(files)}", page_count=pages)
    version_dir = (output / space).resolve()
    assert read_stamp(version_dir).version == result.version
    return SpaceSource(space=space, name=space.title(), tree=version_dir, version=result.version,
                       source_sha256=read_stamp(version_dir).source_sha256, pages_live=pages, docmost_url=DOCMOST)


ENGINEERING = {
    "intro.md": "# Intro\n",
    "guides/setup.md": "# Setup\n",
    "guides/_category_.json": '{"label": "Guides"}\n',
    "guides/_attachments/diagram.png": "PNG-bytes",
    "release.md": "# Release\nSteps.\n",
}


def commits(bare: Path, branch: str = "main") -> list[str]:
    return git("rev-list", branch, cwd=bare).split()


def message(bare: Path, commit: str) -> str:
    return git("log", "-1", "--format=%an <%ae>%n%B", commit, cwd=bare)


@pytest.fixture
def repo(git_daemon) -> tuple[Path, str]:
    """A bare repository (one commit with a README) served by git daemon: (its path, its git:// URL)."""
    return bare_repo(git_daemon.base / "docs.git"), git_daemon.url("docs.git")


def test_first_publish_creates_the_folder_and_pushes_one_commit(tmp_path, repo):
    bare, url = repo
    source = publish_space(tmp_path / "output", "engineering", ENGINEERING)
    target = GitTarget(repo=url, author_name="Docs Bot", author_email="docs-bot@example.com")
    result = publish_to_git(source, target, tmp_path / "clone")

    assert (result.branch, result.folder, result.pushed, result.attempts) == ("main", "docs/engineering", True, 1)
    assert result.commit == result.head == branch_head(bare)
    assert len(commits(bare)) == 2
    assert files_at(bare, "docs/engineering") == {k: v.encode() for k, v in ENGINEERING.items()}  # no stamp
    assert git("show", "main:README.md", cwd=bare) == "# Team docs\n"
    assert (result.changes.added, result.changes.changed, result.changes.removed, result.changes.files) == (3, 0, 0, 5)
    text = message(bare, result.commit)
    assert text.startswith("Docs Bot <docs-bot@example.com>\n"
                           "docs(engineering): sync from Docmost (pages: 3 added, 0 changed, 0 removed)\n")
    for line in ("Space: Engineering (engineering)", f"Docmost: {DOCMOST}", f"Published version: {source.version}",
                 f"Source digest: {source.source_sha256}", "Pages: 3 added, 0 changed, 0 renamed, 0 removed; 3 live"):
        assert line in text


def test_an_unchanged_tree_makes_no_commit(tmp_path, repo):
    bare, url = repo
    source = publish_space(tmp_path / "output", "engineering", ENGINEERING)
    target = GitTarget(repo=url)
    first = publish_to_git(source, target, tmp_path / "clone")
    again = publish_to_git(source, target, tmp_path / "clone")
    assert again.commit is None and not again.pushed and again.changes.files == 0
    assert branch_head(bare) == first.commit and len(commits(bare)) == 2


def test_pages_added_changed_renamed_and_removed_make_one_commit_with_the_counts(tmp_path, repo):
    bare, url = repo
    output = tmp_path / "output"
    target = GitTarget(repo=url)
    publish_to_git(publish_space(output, "engineering", ENGINEERING), target, tmp_path / "clone")
    edited = dict(ENGINEERING)
    edited["intro.md"] = "# Intro\nNow longer.\n"                       # changed
    edited["guides/install.md"] = edited.pop("guides/setup.md")        # renamed (same content)
    del edited["release.md"]                                           # removed
    edited["faq.md"] = "# FAQ\n"                                       # added
    edited["news.md"] = "# News\n"                                     # added
    del edited["guides/_attachments/diagram.png"]                      # an attachment: a file, not a page
    result = publish_to_git(publish_space(output, "engineering", edited), target, tmp_path / "clone")

    assert len(commits(bare)) == 3
    changes = result.changes
    assert (changes.added, changes.changed, changes.renamed, changes.removed, changes.files) == (2, 1, 1, 1, 6)
    assert files_at(bare, "docs/engineering") == {k: v.encode() for k, v in edited.items()}
    assert "docs(engineering): sync from Docmost (pages: 2 added, 1 changed, 1 removed)" in message(bare, "main")


def test_an_empty_repository_and_a_new_branch_get_the_folder(tmp_path, git_daemon):
    empty = bare_repo(git_daemon.base / "empty.git", readme=False)
    source = publish_space(tmp_path / "output", "engineering", ENGINEERING)
    first = publish_to_git(source, GitTarget(repo=git_daemon.url("empty.git")), tmp_path / "clone")
    assert first.branch == "main" and branch_head(empty) == first.commit and len(commits(empty)) == 1

    other = GitTarget(repo=git_daemon.url("empty.git"), branch="site/published", path="website/docs")
    result = publish_to_git(source, other, tmp_path / "clone2")
    assert result.folder == "website/docs/engineering"
    assert files_at(empty, "website/docs/engineering", "site/published") == {
        k: v.encode() for k, v in ENGINEERING.items()}
    assert branch_head(empty) == first.commit  # main untouched


def push_from_other_clone_before_our_pushes(monkeypatch, other: OtherClone, edits: list[dict], pushes: list):
    """Before each of our pushes, the other clone pushes the next of ``edits`` (while they last)."""
    run = gitpublish.Git.run

    def run_with_a_concurrent_push(self, *args, check=True):
        if args[0] == "push":
            pushes.append(args)
            if edits:
                other.commit_and_push(edits.pop(0))
        return run(self, *args, check=check)

    monkeypatch.setattr(gitpublish.Git, "run", run_with_a_concurrent_push)


def test_a_concurrent_push_outside_our_folder_is_kept(tmp_path, repo, monkeypatch, caplog):
    bare, url = repo
    other = OtherClone(url, tmp_path / "other")
    pushes: list = []
    push_from_other_clone_before_our_pushes(monkeypatch, other, [
        {"README.md": "# Team docs\nEdited meanwhile.\n", "docs/handbook/index.md": "# Handbook\n"}], pushes)
    caplog.set_level(logging.INFO)
    result = publish_to_git(publish_space(tmp_path / "output", "engineering", ENGINEERING), GitTarget(repo=url),
                            tmp_path / "clone")

    assert result.pushed and result.attempts == 2 and len(pushes) == 2
    assert "push to main rejected (attempt 1 of 5)" in caplog.text
    assert git("show", "main:README.md", cwd=bare) == "# Team docs\nEdited meanwhile.\n"
    assert git("show", "main:docs/handbook/index.md", cwd=bare) == "# Handbook\n"
    assert files_at(bare, "docs/engineering") == {k: v.encode() for k, v in ENGINEERING.items()}
    history = commits(bare)
    assert len(history) == 3 and history[0] == result.commit  # linear: ours on top of theirs
    assert git("rev-parse", f"{result.commit}^", cwd=bare).strip() == history[1]


def test_a_concurrent_change_inside_our_folder_loses_to_the_published_tree(tmp_path, repo, monkeypatch):
    bare, url = repo
    output = tmp_path / "output"
    target = GitTarget(repo=url)
    publish_to_git(publish_space(output, "engineering", ENGINEERING), target, tmp_path / "clone")
    other = OtherClone(url, tmp_path / "other")
    pushes: list = []
    push_from_other_clone_before_our_pushes(monkeypatch, other, [{
        "docs/engineering/intro.md": "# Intro edited in git\n",     # same file ours changes: a conflict
        "docs/engineering/extra.md": "# Added in git\n",            # not in the published tree
        "docs/engineering/release.md": None,                        # deleted in git, still published
        "docs/other-team/notes.md": "# Notes\n",                    # outside our folder: kept
    }], pushes)
    edited = {**ENGINEERING, "intro.md": "# Intro\nFrom Docmost.\n"}
    result = publish_to_git(publish_space(output, "engineering", edited), target, tmp_path / "clone")

    assert result.pushed and result.attempts == 2
    assert files_at(bare, "docs/engineering") == {k: v.encode() for k, v in edited.items()}
    assert git("show", "main:docs/other-team/notes.md", cwd=bare) == "# Notes\n"
    # counted against what was fetched: ours changes intro.md back, removes extra.md, adds release.md again
    changes = result.changes
    assert (changes.added, changes.changed, changes.removed) == (1, 1, 1)


def test_a_push_rejected_every_time_fails_clearly_after_the_bounded_attempts(tmp_path, repo, monkeypatch):
    bare, url = repo
    other = OtherClone(url, tmp_path / "other")
    pushes: list = []
    edits = [{f"notes/{n}.md": f"note {n}\n"} for n in range(10)]
    push_from_other_clone_before_our_pushes(monkeypatch, other, edits, pushes)
    output = tmp_path / "output"
    source = publish_space(output, "engineering", ENGINEERING)
    [live_before] = publish.status(output, "engineering")
    with pytest.raises(GitPublishError) as failed:
        publish_to_git(source, GitTarget(repo=url, push_attempts=3), tmp_path / "clone")
    [live_after] = publish.status(output, "engineering")
    assert live_after.live_version == live_before.live_version == source.version
    assert tree_digest(output / "engineering") == live_after.stamp["tree_sha256"]  # whole and untouched

    message_text = str(failed.value)
    assert "\n" not in message_text
    assert "git push of docs/engineering to git://127.0.0.1:" in message_text
    assert "was rejected 3 times: others kept pushing" in message_text
    assert len(pushes) == 3
    assert git("ls-tree", "--name-only", "main", cwd=bare).split() == ["README.md", "notes"]  # only theirs


def test_a_token_over_http_works_and_is_never_written_or_shown(tmp_path, caplog):
    server_root = tmp_path / "http-server"
    bare = bare_repo(server_root / "docs.git")
    caplog.set_level(logging.DEBUG)
    with GitHttpServer(server_root, "docs-bot", TOKEN) as server:
        target = GitTarget(repo=server.url("docs.git"), username="docs-bot", token=TOKEN)
        source = publish_space(tmp_path / "output", "engineering", ENGINEERING)
        result = publish_to_git(source, target, tmp_path / "clone")
        assert result.pushed and branch_head(bare) == result.commit
        assert any(accepted and "receive-pack" in path for _, path, accepted in server.requests)

        wrong = GitTarget(repo=server.url("docs.git"), username="docs-bot", token="not-the-token-123")
        edited = publish_space(tmp_path / "output", "engineering", {**ENGINEERING, "new.md": "# New\n"})
        with pytest.raises(GitPublishError) as failed:
            publish_to_git(edited, wrong, tmp_path / "clone-wrong")
        missing = GitTarget(repo=server.url("docs.git"), branch="main")  # no token, no helper: no prompt either
        with pytest.raises(GitPublishError) as anonymous:
            publish_to_git(edited, missing, tmp_path / "clone-anonymous")

    error = str(failed.value)
    assert "\n" not in error and "Authentication failed" in error and "GIT_PUBLISH_TOKEN" in error
    assert "not-the-token-123" not in error
    assert "terminal prompts disabled" in str(anonymous.value)
    assert branch_head(bare) == result.commit  # nothing pushed by the failed attempts
    everything = [caplog.text, repr(target), repr(result), error, message(bare, "main")]
    for clone in ("clone", "clone-wrong"):
        for path in (tmp_path / clone / ".git").rglob("*"):
            if path.is_file():
                everything.append(path.read_bytes().decode("latin-1"))
    assert not [text for text in everything if TOKEN in text or "not-the-token-123" in text]
    assert git("config", "--get", "remote.origin.url", cwd=tmp_path / "clone").strip() == server.url("docs.git")


def test_mirror_tree_replaces_whatever_the_folder_holds_without_following_symlinks(tmp_path):
    tree = tmp_path / "tree"
    (tree / "a").mkdir(parents=True)
    (tree / "a" / "page.md").write_text("page")
    (tree / "b.md").write_text("b")
    (tree / "_publish.json").write_text("{}")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.md").write_text("keep")
    folder = tmp_path / "repo" / "docs" / "space"
    (folder / "b.md").mkdir(parents=True)             # a directory where the tree has a file
    (folder / "b.md" / "x").write_text("x")
    (folder / "a").write_text("a file where the tree has a directory")
    os.symlink(outside, folder / "linked")            # a symlink to a directory outside
    (folder / "stale.md").write_text("stale")
    mirror_tree(tree, folder)

    found = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert found == ["a", "a/page.md", "b.md"]
    assert (folder / "b.md").read_text() == "b" and (outside / "keep.md").read_text() == "keep"


def test_a_tree_with_a_symlink_is_refused(tmp_path, repo):
    _, url = repo
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "page.md").write_text("page")
    os.symlink("/etc/hostname", tree / "host.md")
    source = SpaceSource(space="engineering", name="Engineering", tree=tree, version="v")
    with pytest.raises(GitPublishError, match="host.md is not a regular file"):
        publish_to_git(source, GitTarget(repo=url), tmp_path / "clone")


def test_a_push_the_server_refuses_fails_at_once_with_its_reason(tmp_path, repo):
    bare, url = repo
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'main is protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(GitPublishError) as failed:
        publish_to_git(publish_space(tmp_path / "output", "engineering", ENGINEERING), GitTarget(repo=url),
                       tmp_path / "clone")
    assert str(failed.value) == (f"git push on {url} failed: HEAD:refs/heads/main [remote rejected] "
                                 "(pre-receive hook declined)")
    assert len(commits(bare)) == 1
