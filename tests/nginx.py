"""nginx in front of the app's processes, as in production: Debian's binary with the
site of deploy/nginx.conf, rendered for plain HTTP on a free loopback port.

Everything nginx writes (pid, logs, temporary files) stays in the test's own folder, and
it runs in the foreground as a child of the test (`daemon off`), so no root and no
system nginx are involved.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port, wait_listening

TEMPLATE = ROOT / "deploy" / "nginx.conf"
# Added by the test's own http block, never by the site: which process served a request.
SERVED_BY = "X-Served-By"


def nginx_binary() -> str:
    """Debian's nginx; missing, the test fails in CI (which installs it) and skips
    elsewhere, saying how to get it."""
    found = shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None
    )
    if found is None:
        message = "nginx is missing: install Debian's (apt-get install nginx)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def render_site(template: str, *, regions: dict[str, str], values: dict[str, str]) -> str:
    """The template with each `# NAME:begin` ... `# NAME:end` region replaced and each
    @PLACEHOLDER@ filled in; a region or placeholder left over is an error."""
    for name, text in regions.items():
        pattern = re.compile(rf"^[ \t]*# {name}:begin\n.*?^[ \t]*# {name}:end\n", re.M | re.S)
        template, count = pattern.subn(lambda _match, text=text: text + "\n", template)
        assert count, f"deploy/nginx.conf has no region {name!r}"
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    # The template's comments name the placeholders; its directives must have none left.
    left = re.findall(r"^[^#\n]*(@[A-Z_]+@)", template, re.M)
    assert not left, f"placeholders left unfilled: {left}"
    return template


def _main_config(folder: Path, site: str) -> str:
    # As root (CI), workers would switch to `nobody`, who cannot read the test's folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""{user}daemon off;
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} info;
events {{ worker_connections 512; }}
http {{
    access_log {folder / "access.log"};
{temp}
    types {{ text/css css; text/javascript js; image/svg+xml svg; }}
    add_header {SERVED_BY} $upstream_addr always;
{site}
}}
"""


class Nginx:
    """nginx on `port`, proxying to the app processes on `upstream_ports`."""

    def __init__(self, folder: Path, upstream_ports: Sequence[int], static_root: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        site = render_site(
            TEMPLATE.read_text(),
            regions={
                "processes": "\n".join(f"server 127.0.0.1:{p};" for p in upstream_ports),
                "https": f"listen 127.0.0.1:{self.port};",
                "redirect": "",
            },
            values={"SERVER_NAME": "127.0.0.1", "STATIC_ROOT": str(static_root)},
        )
        (folder / "nginx.conf").write_text(_main_config(folder, site))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Nginx:
        command = [nginx_binary(), "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")]
        command += ["-e", str(self.folder / "error.log")]
        test = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
        assert test.returncode == 0, f"nginx refuses the rendered site:\n{test.stderr}"
        self.process = subprocess.Popen(command)
        wait_listening(
            self.process, self.port, "nginx", lambda: (self.folder / "error.log").read_text()
        )
        return self

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
