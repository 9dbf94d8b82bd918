"""nucleus_vm - drive nucleus-init guests from Python tests.

    import sys; sys.path.insert(0, "qemu")
    from nucleus_vm import VM, Network

    with Network() as net:
        with VM("server.cpio.gz", vnets=[net]) as server, \\
             VM("client.cpio.gz", vnets=[net]) as client:
            server.wait_for("web")
            client.wait_for("shell")
            page = client.succeed("shell", "wget", "-qO-", "http://192.168.77.1/")
            assert "hello" in page
            assert server.poweroff() == 0

A VM is qemu/run in the background with the guest's control port (--ctl);
everything below goes through `nucleusctl --connect` on it: waits are
nucleusctl's event-driven `wait`, commands run inside a service as its
exec probes do. Nothing here sleeps a fixed time, except the short polls
for qemu/run's own files to appear.
"""
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUCLEUSCTL = os.environ.get("NUCLEUSCTL", os.path.join(TOP, "build", "nucleusctl"))


class Failed(AssertionError):
    """A command or a wait in a guest did not succeed; the message says why."""


class Network:
    """A private virtual network (qemu/vnet): the guests on it see each other only."""

    def __init__(self, workdir=None):
        self.dir = workdir or tempfile.mkdtemp(prefix="nvnet.")
        self._own = workdir is None
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([os.path.join(TOP, "qemu", "vnet"), self.dir],
                                     stdin=subprocess.DEVNULL)
        _poll(lambda: os.path.exists(os.path.join(self.dir, "hub.sock")), 10,
              "the network hub did not start")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(5)
        if self._own:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _poll(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise Failed(what)
        time.sleep(0.05)


class VM:
    """One guest: an image, disks, port forwards, networks, and its control port."""

    def __init__(self, image, name="vm", workdir=None, disks=(), ports=(), vnets=(),
                 mem=256, timeout=300, extra=()):
        self.image = image
        self.name = name
        self.dir = workdir or tempfile.mkdtemp(prefix="nvm.")
        self._own = workdir is None
        os.makedirs(self.dir, exist_ok=True)
        self.args = ["-i", image, "--timeout", str(timeout), "--mem", str(mem)]
        for d in disks:
            self.args += ["-d", d]
        for p in ports:
            self.args += ["-p", p]
        for n in vnets:
            self.args += ["--vnet", n.dir if isinstance(n, Network) else n]
        self.args += list(extra)
        self.ctl = os.path.join(self.dir, "ctl.sock")
        self.console_log = os.path.join(self.dir, "console.log")
        self.proc = None
        self.exit_status = None

    # ---- life ----

    def start(self):
        self.proc = subprocess.Popen(
            [os.path.join(TOP, "qemu", "run")] + self.args +
            ["--ctl", self.ctl, "--log", self.console_log,
             "--qmp", os.path.join(self.dir, "qmp.sock"),
             "--pidfile", os.path.join(self.dir, "qemu.pid")],
            stdin=subprocess.DEVNULL, stdout=open(os.path.join(self.dir, "run.log"), "w"),
            stderr=subprocess.STDOUT)
        _poll(lambda: os.path.exists(self.ctl) or self.proc.poll() is not None, 30,
              f"{self.name}: no control port socket")
        if self.proc.poll() is not None:
            raise Failed(f"{self.name}: qemu/run ended at once:\n{self.run_log()}")
        return self

    def wait_exit(self, timeout=60):
        """qemu/run's exit status: 0 powered off cleanly, 2 panic, 3 reboot, 124 timeout."""
        try:
            self.exit_status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failed(f"{self.name}: still running after {timeout}s")
        return self.exit_status

    def poweroff(self, timeout=60):
        """A clean shutdown asked over the control port; qemu/run's exit status."""
        self.ctl_run("poweroff")
        return self.wait_exit(timeout)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            try:
                with open(os.path.join(self.dir, "qemu.pid")) as f:
                    os.kill(int(f.read()), signal.SIGKILL)
            except (OSError, ValueError):
                self.proc.kill()
            self.proc.wait(10)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.kill()
        if self._own and not any(exc):
            shutil.rmtree(self.dir, ignore_errors=True)

    # ---- the control port ----

    def ctl_run(self, *words, stdin=None, timeout=120):
        """nucleusctl --connect; (exit code, stdout, stderr)."""
        r = subprocess.run([NUCLEUSCTL, "--connect", self.ctl] + list(words),
                           input=stdin, capture_output=True, timeout=timeout,
                           text=isinstance(stdin, str) or stdin is None)
        return r.returncode, r.stdout, r.stderr

    def wait_for(self, *names, state=None, timeout=60):
        """Until every service in names is ready (or exited, for a oneshot), or state."""
        words = ["wait", "--timeout", f"{timeout}s"]
        if state:
            words += ["--state", state]
        code, out, err = self.ctl_run(*words, *names, timeout=timeout + 30)
        if code != 0:
            raise Failed(f"{self.name}: wait {' '.join(names)}: exit {code}: {err.strip()}")

    def execute(self, service, *cmd, stdin=None, timeout=120):
        """cmd inside service, as its exec probes run: (status, stdout, stderr)."""
        return self.ctl_run("exec", service, "--", *cmd, stdin=stdin, timeout=timeout)

    def succeed(self, service, *cmd, **kw):
        """cmd's stdout; Failed unless it exits 0 (the NixOS driver's succeed)."""
        code, out, err = self.execute(service, *cmd, **kw)
        if code != 0:
            raise Failed(f"{self.name}: {' '.join(cmd)} in {service}: exit {code}:\n{out}{err}")
        return out

    def fail(self, service, *cmd, **kw):
        """cmd's status; Failed if it exits 0."""
        code, out, err = self.execute(service, *cmd, **kw)
        if code == 0:
            raise Failed(f"{self.name}: {' '.join(cmd)} in {service} succeeded:\n{out}")
        return code

    def status(self):
        """`nucleusctl status --json` as a dict."""
        code, out, err = self.ctl_run("status", "--json")
        if code != 0:
            raise Failed(f"{self.name}: status: exit {code}: {err}")
        return json.loads(out)

    def service(self, name):
        return next(s for s in self.status()["services"] if s["name"] == name)

    def events(self, replay=False):
        """A running `nucleusctl events`: iterate it for dicts; .close() it."""
        return Events(self, replay)

    # ---- the rest ----

    def console(self):
        try:
            with open(self.console_log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def run_log(self):
        try:
            with open(os.path.join(self.dir, "run.log"), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


class Events:
    """`nucleusctl events` in the background; each item one event as a dict."""

    def __init__(self, vm, replay):
        words = ["events"] + (["--replay"] if replay else [])
        self.proc = subprocess.Popen([NUCLEUSCTL, "--connect", vm.ctl] + words,
                                     stdout=subprocess.PIPE, bufsize=0)
        self.buf = b""

    def next(self, timeout=60):
        """The next event, or None when the time ran out or the stream ended."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def until(self, pred, timeout=60):
        """The first event pred accepts; Failed when the time runs out first."""
        deadline = time.monotonic() + timeout
        while True:
            ev = self.next(max(0, deadline - time.monotonic()))
            if ev is None:
                raise Failed("no such event in time")
            if pred(ev):
                return ev

    def close(self):
        self.proc.terminate()
        self.proc.wait(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
