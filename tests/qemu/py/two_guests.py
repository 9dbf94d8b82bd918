#!/usr/bin/env python3
"""Two appliances on one private network: the client fetches the server's page.

An example of an appliance test with qemu/nucleus_vm.py: images built from
manifests with image/mkimage, both guests booted on a qemu/vnet network,
driven through their control ports (wait, exec, status, events, poweroff).
Run it alone (python3 tests/qemu/py/two_guests.py) or with qemu/runtests.
"""
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(TOP, "qemu"))
from nucleus_vm import VM, Network  # noqa: E402

SERVER = """
[interface.eth1]
address = 192.168.77.1/24

[service.web]
capabilities = NET_BIND_SERVICE
exec = /usr/sbin/httpd -f -p 80 -h /srv/www
volumes = /srv/www:/srv/www
ready = tcp:127.0.0.1:80
"""

CLIENT = """
[interface.eth1]
address = 192.168.77.2/24

[service.shell]
exec = /bin/sh -c 'while :; do sleep 1; done'
"""


def image(work, name, manifest, *files):
    path = os.path.join(work, name + ".ini")
    with open(path, "w") as f:
        f.write(manifest)
    out = os.path.join(work, name + ".cpio.gz")
    args = [os.path.join(TOP, "image", "mkimage"), "-m", path, "-o", out]
    for src, dest in files:
        args += ["-f", f"{src}:{dest}"]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    return out


def main():
    work = tempfile.mkdtemp(prefix="two-guests.", dir=os.environ.get("QT_DIR"))
    page = os.path.join(work, "index.html")
    with open(page, "w") as f:
        f.write("served across the private network\n")
    server_img = image(work, "server", SERVER, (page, "/srv/www/index.html"))
    client_img = image(work, "client", CLIENT)
    with Network(os.path.join(work, "net")) as net, \
            VM(server_img, "server", os.path.join(work, "server"), vnets=[net]) as server, \
            VM(client_img, "client", os.path.join(work, "client"), vnets=[net]) as client:
        with server.events(replay=True) as ev:
            server.wait_for("web", timeout=120)
            ev.until(lambda e: e.get("service") == "web" and e.get("to") == "ready", 10)
        client.wait_for("shell", timeout=120)
        assert client.service("shell")["state"] == "ready"
        got = client.succeed("shell", "wget", "-qO-", "http://192.168.77.1/")
        assert got == "served across the private network\n", repr(got)
        # the user network is another one: the server is not on it
        assert client.fail("shell", "wget", "-qO-", "-T", "2", "http://10.0.2.15/") != 0
        code, out, err = client.execute("shell", "sh", "-c", "exit 4")
        assert code == 4, (code, out, err)
        assert client.poweroff() == 0
        assert server.poweroff() == 0
    print("two guests: ok")


if __name__ == "__main__":
    main()
