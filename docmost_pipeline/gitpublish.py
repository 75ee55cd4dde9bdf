"""The git target (docs as code): a published space tree committed into ``<GIT_PUBLISH_PATH>/<space>`` of a git
repository and pushed.

No Dagster here. One working clone per repository and branch lives in the pipeline's working data
(``OUTPUT_DIR/.pipeline/git/``), used under a lock by one space sync at a time. A sync starts from the remote
branch as just fetched, makes the space's folder exactly the published tree (the stamp ``_publish.json`` left out:
it names this host), and commits once when that changed anything. A rejected push (someone else pushed) is met by
fetching again and redoing the sync on top of what was fetched, which keeps every change of others outside the
folder and resolves any change inside it in favour of the published tree; at most ``push_attempts`` times.

Git runs as the ``git`` command line (present wherever git is, and the reference implementation of every transport
and credential helper). A token reaches git only through a credential helper given in the environment of each git
process (``GIT_CONFIG_*``), never through the URL or ``.git/config``; every error text is redacted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from docmost_pipeline.alerts import redact
from docmost_pipeline.publish.lock import LockTimeout, SpaceLock
from docmost_pipeline.publish.stamp import STAMP_NAME

PAGE_SUFFIXES = (".md", ".mdx")
DEFAULT_BRANCH = "main"
LOCK_TIMEOUT = 600.0
GIT_TIMEOUT = 600.0
# Answers git's "get" with the user name and token from this process' environment; a stored helper is never asked.
_CREDENTIAL_HELPER = ('!f() { test "$1" = get && printf "username=%s\\npassword=%s\\n" '
                      '"$DOCMOST_GIT_USERNAME" "$DOCMOST_GIT_TOKEN"; }; f')
_USERINFO_RE = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)
_RETRYABLE_PUSH = ("[rejected]", "failed to update ref", "cannot lock ref", "incorrect old value")


class GitPublishError(Exception):
    """Publishing to git failed; the message is one line, with no secret in it."""


@dataclass(frozen=True)
class GitTarget:
    """Where and as whom to publish (the GIT_PUBLISH_* settings)."""

    repo: str
    branch: str | None = None  # None: the remote's default branch, else main
    path: str = "docs"
    author_name: str = "Docmost pipeline"
    author_email: str = "docmost-pipeline@localhost"
    username: str = "x-access-token"
    token: str | None = field(default=None, repr=False)
    push_attempts: int = 5

    @property
    def display_repo(self) -> str:
        return describe_repo(self.repo)

    def folder(self, space: str) -> str:
        return f"{self.path}/{space}" if self.path else space


@dataclass(frozen=True)
class SpaceSource:
    """What was published: the space, its version directory and where it came from."""

    space: str
    name: str
    tree: Path
    version: str
    source_sha256: str | None = None
    pages_live: int | None = None
    docmost_url: str | None = None


@dataclass(frozen=True)
class Changes:
    """What a commit changes in the space's folder: pages (``.md``/``.mdx``) by kind, and all files."""

    added: int = 0
    changed: int = 0
    renamed: int = 0
    removed: int = 0
    files: int = 0

    def summary(self) -> str:
        return f"{self.added} added, {self.changed} changed, {self.renamed} renamed, {self.removed} removed"


@dataclass(frozen=True)
class GitSyncResult:
    branch: str
    folder: str
    commit: str | None  # our commit; None when the folder already equalled the tree
    head: str | None  # the remote branch's head afterwards
    changes: Changes
    pushed: bool
    attempts: int
    seconds: float


def describe_repo(repo: str) -> str:
    """The repository as it may be shown: any user name or password in a URL hidden."""
    return _USERINFO_RE.sub(r"\1***@", repo)


class Git:
    """``git`` in the working clone, with the author, the credentials and no prompt, in each process' environment."""

    def __init__(self, target: GitTarget, work_tree: Path) -> None:
        self.target = target
        self.work_tree = work_tree
        self.secrets = [target.token] if target.token else []
        env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GCM_INTERACTIVE="never", LC_ALL="C",
                   GIT_AUTHOR_NAME=target.author_name, GIT_AUTHOR_EMAIL=target.author_email,
                   GIT_COMMITTER_NAME=target.author_name, GIT_COMMITTER_EMAIL=target.author_email)
        # SSH: fail rather than wait for a passphrase or a host key answer nobody can give
        env.setdefault("GIT_SSH_COMMAND", "ssh -o BatchMode=yes")
        if target.token:
            # an empty value first empties the list of helpers, so only ours answers
            env.update(GIT_CONFIG_COUNT="2", GIT_CONFIG_KEY_0="credential.helper", GIT_CONFIG_VALUE_0="",
                       GIT_CONFIG_KEY_1="credential.helper", GIT_CONFIG_VALUE_1=_CREDENTIAL_HELPER,
                       DOCMOST_GIT_USERNAME=target.username, DOCMOST_GIT_TOKEN=target.token)
        self.env = env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        try:
            done = subprocess.run(["git", *args], cwd=self.work_tree, env=self.env, capture_output=True, text=True,
                                  timeout=GIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise GitPublishError(f"git {args[0]} on {self.target.display_repo}: no answer within "
                                  f"{GIT_TIMEOUT:g} s") from None
        except FileNotFoundError:
            raise GitPublishError("the git command is not installed (needed by GIT_PUBLISH_REPO)") from None
        if check and done.returncode != 0:
            raise GitPublishError(self.error(args[0], done))
        return done

    def error(self, command: str, done: subprocess.CompletedProcess) -> str:
        """git's own reason, redacted, on one line: a push's refusal (``!`` line of ``--porcelain``), else its last
        ``fatal:``/``error:`` line, else its last line."""
        text = self.redact(f"{done.stdout or ''}\n{done.stderr or ''}")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        refused = [" ".join(line.split("\t")[1:]) for line in lines if line.startswith("!")]
        reasons = [line for line in lines if line.startswith(("fatal:", "error:"))]
        reason = (refused[:1] or reasons[-1:] or lines[-1:] or [f"exit status {done.returncode}"])[0]
        hint = ""
        if re.search(r"Authentication failed|could not read (Username|Password)|terminal prompts disabled|"
                     r"\b40[13]\b", text):
            hint = " (check GIT_PUBLISH_TOKEN and GIT_PUBLISH_USERNAME, or the git credential helper)"
        return f"git {command} on {self.target.display_repo} failed: {reason}{hint}"

    def redact(self, text: str) -> str:
        return describe_repo(redact(text, self.secrets))


def publish_to_git(source: SpaceSource, target: GitTarget, clone_dir: Path, *,
                   logger: logging.Logger | None = None) -> GitSyncResult:
    """Commit ``source.tree`` into ``<target.path>/<space>`` of the target branch and push it (see the module doc).

    Raises GitPublishError (one line, no secret) when git fails or the push stays rejected ``push_attempts`` times.
    Nothing outside ``clone_dir`` (and its lock file) is written.
    """
    log = logger or logging.getLogger(__name__)
    started = time.monotonic()
    _check_tree(source.tree)
    try:
        with SpaceLock(clone_dir.with_name(clone_dir.name + ".lock"), timeout=LOCK_TIMEOUT,
                       operation=f"git publish {source.space}"):
            git = open_clone(target, clone_dir)
            branch = target.branch or remote_default_branch(git)
            return _sync_and_push(git, source, branch, log, started)
    except LockTimeout as exc:
        raise GitPublishError(f"git publish of {source.space}: {exc}") from None


def _sync_and_push(git: Git, source: SpaceSource, branch: str, log, started: float) -> GitSyncResult:
    folder = git.target.folder(source.space)
    attempts = git.target.push_attempts
    for attempt in range(1, attempts + 1):
        base = fetch_branch(git, branch)
        checkout(git, branch, base)
        mirror_tree(source.tree, git.work_tree / folder)
        git.run("add", "--all", "--force", "--", folder)  # --force: the repository's .gitignore never drops a page
        changes = staged_changes(git, folder)
        if changes.files == 0:
            log.info(f"git: {folder} on {branch} already equals version {source.version}; nothing to commit")
            return GitSyncResult(branch, folder, None, base, changes, False, attempt, _since(started))
        git.run("commit", "--quiet", "--no-verify", "-m", commit_message(source, changes))
        commit = git.run("rev-parse", "HEAD").stdout.strip()
        if push(git, branch):
            log.info(f"git: pushed {commit[:12]} to {branch} ({folder}: pages {changes.summary()})")
            return GitSyncResult(branch, folder, commit, commit, changes, True, attempt, _since(started))
        log.warning(f"git: push to {branch} rejected (attempt {attempt} of {attempts}): someone else pushed; "
                    "fetching and redoing the commit on top of theirs")
    raise GitPublishError(f"git push of {folder} to {git.target.display_repo} ({branch}) was rejected {attempts} "
                          "times: others kept pushing to the branch; the next sync tries again "
                          "(GIT_PUBLISH_PUSH_ATTEMPTS)")


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


def clone_dir_for(git_root: Path, target: GitTarget) -> Path:
    """The working clone of ``target`` under ``git_root``: one per repository and branch setting."""
    key = hashlib.sha256(f"{target.repo}\n{target.branch or ''}".encode()).hexdigest()[:16]
    return git_root / key


def open_clone(target: GitTarget, clone_dir: Path) -> Git:
    """The working clone, made (``git init`` + remote, so an empty repository works too) when missing or broken."""
    git = Git(target, clone_dir)
    if (clone_dir / ".git").is_dir():
        remote = git.run("config", "--get", "remote.origin.url", check=False)
        if remote.returncode == 0 and remote.stdout.strip() == target.repo:
            return git
    if clone_dir.exists():
        shutil.rmtree(clone_dir)
    clone_dir.mkdir(parents=True)
    git.run("init", "--quiet")
    git.run("remote", "add", "origin", target.repo)
    # the clone is ours alone: no hooks of a template, no automatic gc in the middle of a sync
    git.run("config", "gc.auto", "0")
    git.run("config", "core.hooksPath", "/dev/null")
    return git


def remote_default_branch(git: Git) -> str:
    """The branch the remote's HEAD names; ``main`` when it names none (an empty repository)."""
    listed = git.run("ls-remote", "--symref", "origin", "HEAD").stdout
    match = re.search(r"^ref: refs/heads/(\S+)\s+HEAD$", listed, re.MULTILINE)
    return match.group(1) if match else DEFAULT_BRANCH


def fetch_branch(git: Git, branch: str) -> str | None:
    """Fetch the remote branch; its head commit, or None when the branch does not exist yet."""
    tracking = f"refs/remotes/origin/{branch}"
    done = git.run("fetch", "--quiet", "--no-tags", "origin", f"+refs/heads/{branch}:{tracking}", check=False)
    if done.returncode != 0:
        if "couldn't find remote ref" in done.stderr:
            git.run("update-ref", "-d", tracking, check=False)
            return None
        raise GitPublishError(git.error("fetch", done))
    return git.run("rev-parse", tracking).stdout.strip()


def checkout(git: Git, branch: str, base: str | None) -> None:
    """The work tree exactly at ``base`` (or empty, on an unborn ``branch``), nothing else in it."""
    if base is not None:
        git.run("checkout", "--quiet", "--force", "-B", branch, base)
    else:
        git.run("symbolic-ref", "HEAD", f"refs/heads/{branch}")
        git.run("update-ref", "-d", f"refs/heads/{branch}", check=False)
        git.run("read-tree", "--empty")
    git.run("clean", "-ffdxq")


def push(git: Git, branch: str) -> bool:
    """Push HEAD to the branch: True when pushed, False when rejected because the branch moved; raises otherwise."""
    done = git.run("push", "--porcelain", "origin", f"HEAD:refs/heads/{branch}", check=False)
    if done.returncode == 0:
        return True
    output = done.stdout + done.stderr
    if any(marker in output for marker in _RETRYABLE_PUSH):
        return False
    raise GitPublishError(git.error("push", done))


def _check_tree(tree: Path) -> None:
    if not tree.is_dir():
        raise GitPublishError(f"the published tree {tree} is missing")


def _tree_entries(tree: Path) -> tuple[set[Path], dict[Path, os.stat_result]]:
    """Directories and regular files of a published tree, relative; the stamp left out. Refuses anything else."""
    directories: set[Path] = set()
    files: dict[Path, os.stat_result] = {}
    for dirpath, dirnames, filenames in os.walk(tree):
        relative_dir = Path(dirpath).relative_to(tree)
        for name in dirnames + filenames:
            relative = relative_dir / name
            info = os.lstat(tree / relative)
            if stat.S_ISDIR(info.st_mode):
                directories.add(relative)
            elif stat.S_ISREG(info.st_mode):
                if relative != Path(STAMP_NAME):
                    files[relative] = info
            else:
                raise GitPublishError(f"refusing to publish {tree} to git: {relative} is not a regular file")
    return directories, files


def mirror_tree(tree: Path, folder: Path) -> None:
    """Make ``folder`` hold exactly the files of ``tree``: extra entries removed, differing files rewritten, equal
    ones left alone (git then hashes only what changed)."""
    directories, files = _tree_entries(tree)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for dirpath, dirnames, filenames in os.walk(folder):
        relative_dir = Path(dirpath).relative_to(folder)
        for name in list(dirnames):
            if (folder / relative_dir / name).is_symlink() or relative_dir / name not in directories:
                _remove(folder / relative_dir / name)
                dirnames.remove(name)
        for name in filenames:
            if relative_dir / name not in files or (folder / relative_dir / name).is_symlink():
                _remove(folder / relative_dir / name)
    for relative in sorted(directories, key=lambda p: len(p.parts)):
        (folder / relative).mkdir(exist_ok=True)
    for relative, info in files.items():
        _copy_if_different(tree / relative, folder / relative, info)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def _copy_if_different(source: Path, destination: Path, info: os.stat_result) -> None:
    executable = bool(info.st_mode & stat.S_IXUSR)
    try:
        mine = os.lstat(destination)
        if (mine.st_size == info.st_size and bool(mine.st_mode & stat.S_IXUSR) == executable
                and destination.read_bytes() == source.read_bytes()):
            return
    except FileNotFoundError:
        pass
    shutil.copyfile(source, destination)
    os.chmod(destination, 0o755 if executable else 0o644)


def staged_changes(git: Git, folder: str) -> Changes:
    """What the index changes under ``folder`` against HEAD (renames detected), pages counted by kind."""
    has_head = git.run("rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode == 0
    base = ["HEAD"] if has_head else [git.run("hash-object", "-t", "tree", "/dev/null").stdout.strip()]
    listed = git.run("diff", "--cached", "--name-status", "-M", "-z", *base, "--", folder).stdout
    fields = listed.split("\0")
    counts = {"A": 0, "M": 0, "R": 0, "D": 0}
    files = 0
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index][0]
        paths = fields[index + 1: index + (3 if status in "RC" else 2)]
        index += 1 + len(paths)
        files += 1
        kind = {"T": "M", "C": "A"}.get(status, status)
        if kind in counts and any(p.endswith(PAGE_SUFFIXES) for p in paths):
            counts[kind] += 1
    return Changes(added=counts["A"], changed=counts["M"], renamed=counts["R"], removed=counts["D"], files=files)


def commit_message(source: SpaceSource, changes: Changes) -> str:
    """Subject naming the space and the page counts; body naming the Docmost source and the published version."""
    lines = [
        f"docs({source.space}): sync from Docmost (pages: {changes.added} added, {changes.changed} changed, "
        f"{changes.removed} removed)",
        "",
        f"Space: {source.name} ({source.space})",
        f"Pages: {changes.summary()}"
        + (f"; {source.pages_live} live" if source.pages_live is not None else ""),
        f"Files changed: {changes.files} (pages and attachments)",
        f"Docmost: {describe_repo(source.docmost_url) if source.docmost_url else 'unknown'}",
        f"Published version: {source.version}",
    ]
    if source.source_sha256:
        lines.append(f"Source digest: {source.source_sha256}")
    return "\n".join(lines) + "\n"


def read_marker(path: Path) -> dict | None:
    """What the last successful git publish of a space recorded (see :func:`write_marker`), or None."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_marker(path: Path, target: GitTarget, version: str, result: GitSyncResult) -> None:
    """Record that ``version`` is in the target's branch, so an unchanged sync need not ask the remote again."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"repo": target.repo, "branch": result.branch, "folder": result.folder, "version": version,
            "head": result.head}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(temporary, path)


def already_published(marker: dict | None, target: GitTarget, space: str, version: str) -> bool:
    """Whether ``marker`` says ``version`` of the space is already in the target's folder and branch."""
    if not marker:
        return False
    same_place = (marker.get("repo"), marker.get("folder")) == (target.repo, target.folder(space))
    same_branch = target.branch is None or marker.get("branch") == target.branch
    return same_place and same_branch and marker.get("version") == version
