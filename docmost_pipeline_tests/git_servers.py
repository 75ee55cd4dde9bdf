"""Real git servers on 127.0.0.1 for the git target's tests, and another engineer's clone that pushes.

``GitDaemon``: ``git daemon`` serving bare repositories over git:// with pushes enabled. ``GitHttpServer``:
``git http-backend`` (git's own smart-HTTP CGI program) behind a small threaded HTTP server that requires Basic auth
with one user name and token, and records what it was sent.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# git in the tests' own clones: no global or system configuration of the machine, a fixed identity
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0",
           "GIT_AUTHOR_NAME": "Other Engineer", "GIT_AUTHOR_EMAIL": "other@example.com",
           "GIT_COMMITTER_NAME": "Other Engineer", "GIT_COMMITTER_EMAIL": "other@example.com"}


def git(*args: str, cwd: Path | None = None, env: dict | None = None) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, env=env or GIT_ENV, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def bare_repo(path: Path, *, readme: bool = True) -> Path:
    """A bare repository whose default branch is ``main``; with a first commit holding a README unless told not."""
    git("init", "--quiet", "--bare", "--initial-branch=main", str(path))
    if readme:
        seed = path.parent / f"{path.name}-seed"
        git("clone", "--quiet", str(path), str(seed))
        (seed / "README.md").write_text("# Team docs\n")
        git("add", "README.md", cwd=seed)
        git("commit", "--quiet", "-m", "first commit", cwd=seed)
        git("push", "--quiet", "origin", "HEAD:refs/heads/main", cwd=seed)
    return path


class OtherClone:
    """Another engineer's clone of the repository, pushing their own commits."""

    def __init__(self, url: str, path: Path, env: dict | None = None) -> None:
        self.path, self.env = path, env or GIT_ENV
        git("clone", "--quiet", url, str(path), env=self.env)

    def commit_and_push(self, files: dict[str, str | None], message: str = "edit by another engineer",
                        branch: str = "main") -> str:
        """Fetch the branch, write (or with None delete) ``files``, commit, push; the new commit's sha."""
        git("fetch", "--quiet", "origin", cwd=self.path, env=self.env)
        git("checkout", "--quiet", "-B", branch, f"origin/{branch}", cwd=self.path, env=self.env)
        for relative, text in files.items():
            target = self.path / relative
            if text is None:
                target.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text)
        git("add", "--all", cwd=self.path, env=self.env)
        git("commit", "--quiet", "-m", message, cwd=self.path, env=self.env)
        git("push", "--quiet", "origin", f"HEAD:refs/heads/{branch}", cwd=self.path, env=self.env)
        return git("rev-parse", "HEAD", cwd=self.path, env=self.env).strip()


def branch_head(bare: Path, branch: str = "main") -> str | None:
    done = subprocess.run(["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], cwd=bare,
                          env=GIT_ENV, capture_output=True, text=True)
    return done.stdout.strip() or None


def show(bare: Path, spec: str) -> str:
    """``git show spec`` in the bare repository (a file at a commit, ``main:docs/x.md``)."""
    return git("show", spec, cwd=bare)


def files_at(bare: Path, folder: str, branch: str = "main") -> dict[str, bytes]:
    """Every file under ``folder`` on ``branch``: path relative to the folder -> bytes."""
    listed = git("ls-tree", "-r", "-z", "--name-only", branch, "--", folder, cwd=bare)
    found = {}
    for path in filter(None, listed.split("\0")):
        content = subprocess.run(["git", "show", f"{branch}:{path}"], cwd=bare, env=GIT_ENV, capture_output=True,
                                 check=True).stdout
        found[path[len(folder) + 1:]] = content
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class GitDaemon:
    """``git daemon`` on 127.0.0.1 serving every bare repository under ``base`` over git://, pushes enabled."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.port = _free_port()
        self.process: subprocess.Popen | None = None

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def __enter__(self) -> GitDaemon:
        self.process = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", "--enable=receive-pack", f"--base-path={self.base}",
             "--listen=127.0.0.1", f"--port={self.port}", "--informative-errors", str(self.base)],
            env=GIT_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError("git daemon did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def __exit__(self, *exc) -> None:
        self.stop()


class GitHttpServer:
    """``git http-backend`` over HTTP on 127.0.0.1, every request requiring Basic auth ``username:token``.

    ``requests`` records (method, path, whether the credentials were accepted) of each request; ``headers`` every
    request's headers, so a test can look for anything that should not have been sent."""

    def __init__(self, project_root: Path, username: str, token: str) -> None:
        self.project_root = project_root
        expected = "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()
        server = self
        self.requests: list[tuple[str, str, bool]] = []

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                self._serve()

            def do_POST(self) -> None:  # noqa: N802
                self._serve()

            def _serve(self) -> None:
                accepted = self.headers.get("Authorization") == expected
                server.requests.append((self.command, self.path, accepted))
                body = self._body()
                if not accepted:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self._cgi(body, username)

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _cgi(self, body: bytes, user: str) -> None:
                path, _, query = self.path.partition("?")
                env = {**GIT_ENV, "GIT_PROJECT_ROOT": str(server.project_root), "GIT_HTTP_EXPORT_ALL": "1",
                       "REQUEST_METHOD": self.command, "PATH_INFO": path, "QUERY_STRING": query,
                       "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                       "REMOTE_USER": user, "REMOTE_ADDR": "127.0.0.1",
                       "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
                       "GIT_PROTOCOL": self.headers.get("Git-Protocol", "")}
                done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True, timeout=120)
                head, _, payload = done.stdout.partition(b"\r\n\r\n")
                status, headers = 200, []
                for line in head.decode("latin-1").split("\r\n"):
                    name, _, value = line.partition(":")
                    if name.lower() == "status":
                        status = int(value.strip().split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/{name}"

    def __enter__(self) -> GitHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
