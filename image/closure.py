#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""image/closure.py - what image/mkimage needs from Debian packages and ELF files.

    closure.py resolve --cache DIR [--offline] [-p PKG]... [-b PATH[:DEST]]...
    closure.py users   --manifest M --passwd F --group F [--pkg-users F]
                       --out-passwd F --out-group F
    closure.py check   --manifest M --entries F

resolve prints the image entries (PATH TAB TYPE TAB MODE TAB ARG, as mkimage
keeps them) for -p packages and -b programs, then lines "#user NAME HOME" for
the system users the packages' maintainer scripts would create, "#pkg NAME
VERSION", "#lib PATH" for what the closure added, on stdout. A package's
files are all taken (but docs, man pages, info, lintian and bash-completion);
from the packages it depends on only what its files need: the targets of its
symlinks, its programs' ELF interpreter and DT_NEEDED libraries, transitively,
each looked up in the package that holds the file, then in that package's
Depends, breadth first. Debian puts every library a program links against
in a direct dependency (shlibs), so maintainer-script dependencies (perl,
debconf, adduser) are downloaded to be searched but contribute nothing.

users merges the manifest's user/group names and the packages' system users
into passwd and group files with stable ids (see ID_BASE).

check verifies every service's exec program, its interpreter and its
libraries are in the image, and prints one line per thing missing.
"""
import argparse
import glob
import os
import re
import shlex
import struct
import subprocess
import sys
import zlib

LIB_DIRS = ["lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu", "lib64", "usr/lib64", "lib", "usr/lib"]
LEFT_OUT = ("usr/share/doc/", "usr/share/man/", "usr/share/info/", "usr/share/lintian/",
            "usr/share/bash-completion/")
# Ids of users and groups mkimage adds: base-passwd's fixed ids for the names
# Debian fixes (www-data 33, ...), else ID_BASE + crc32(name) % ID_SPAN, the
# next free one on a collision: the same name gets the same id in every build.
ID_BASE, ID_SPAN = 20000, 40000
BASE_PASSWD = "/usr/share/base-passwd"


def die(msg):
    print("mkimage: " + msg, file=sys.stderr)
    sys.exit(1)


# ---- ELF: interpreter, DT_NEEDED, RUNPATH ----

def elf_info(path):
    """(interp, needed, runpath) of a 64-bit little-endian ELF file, or None."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if data[:4] != b"\x7fELF":
        return None
    if data[4] != 2 or data[5] != 1:
        die(f"{path}: only 64-bit little-endian ELF files are supported")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    interp, dyn, loads = None, None, []
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from(
            "<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == 3:
            interp = data[p_offset:p_offset + p_filesz].split(b"\0")[0].decode()
        elif p_type == 2:
            dyn = (p_offset, p_filesz)
        elif p_type == 1:
            loads.append((p_vaddr, p_offset, p_filesz))
    needed, runpath, strtab = [], [], None
    entries = []
    if dyn:
        for off in range(dyn[0], dyn[0] + dyn[1], 16):
            tag, val = struct.unpack_from("<qQ", data, off)
            if tag == 0:
                break
            entries.append((tag, val))
    for tag, val in entries:
        if tag == 5:
            for vaddr, offset, size in loads:
                if vaddr <= val < vaddr + size:
                    strtab = val - vaddr + offset

    def string(o):
        end = data.index(b"\0", strtab + o)
        return data[strtab + o:end].decode()
    if strtab is not None:
        for tag, val in entries:
            if tag == 1:
                needed.append(string(val))
            elif tag in (15, 29):
                runpath += [d for d in string(val).split(":") if d]
    return interp, needed, runpath


# ---- a root: the files a package or the host holds ----

class Tree:
    """Files under a directory, looked up by image path (no leading /)."""

    def __init__(self, top, name):
        self.top, self.name = top, name

    def real(self, p):
        return os.path.join(self.top, p)


def norm(p):
    return os.path.normpath("/" + p).lstrip("/")


class Image:
    """What goes in: image path -> (type, mode, arg); and where it came from."""

    def __init__(self):
        self.entry, self.origin, self.libs = {}, {}, []

    def has(self, p):
        return p in self.entry

    def add_file(self, p, src, mode, origin):
        if p not in self.entry:
            self.entry[p] = ("file", mode, src)
            self.origin[p] = origin

    def add_link(self, p, target, origin):
        if p not in self.entry:
            self.entry[p] = ("slink", "0777", target)
            self.origin[p] = origin


def resolve_in(tree, p, depth=0):
    """The final image path of p inside tree (symlinks followed), or None."""
    parts, cur = norm(p).split("/"), ""
    for i, part in enumerate(parts):
        cur = f"{cur}/{part}".lstrip("/")
        rp = tree.real(cur)
        if os.path.islink(rp):
            if depth > 20:
                return None
            t = os.readlink(rp)
            base = "" if t.startswith("/") else os.path.dirname(cur)
            rest = "/".join(parts[i + 1:])
            return resolve_in(tree, norm(os.path.join(base, t, rest)), depth + 1)
        if not os.path.lexists(rp):
            return None
    return cur


# ---- Debian packages: download once, extract once ----

class Debs:
    def __init__(self, cache, offline):
        self.cache, self.offline = cache, offline
        self.trees, self.versions, self.deps_of = {}, {}, {}
        os.makedirs(os.path.join(cache, "debs"), exist_ok=True)
        os.makedirs(os.path.join(cache, "index"), exist_ok=True)

    def deb_file(self, name):
        """The cached .deb of name (downloaded the first time), or None if no such package."""
        idx = os.path.join(self.cache, "index", name)
        if os.path.exists(idx):
            fn = open(idx).read().strip()
            if os.path.exists(os.path.join(self.cache, "debs", fn)):
                return fn
        if self.offline:
            die(f"package {name} is not in the cache {self.cache} (offline)")
        r = subprocess.run(["apt-get", "download", "--print-uris", name], capture_output=True, text=True)
        line = r.stdout.strip().splitlines()[-1:] if r.returncode == 0 else []
        if not line:
            # a virtual package or none by that name (not cached: apt may know it tomorrow)
            if re.search(r"Unable to locate|no installation candidate|Can't select|virtual", r.stderr):
                return None
            die(f"package {name}: apt-get download --print-uris failed: {r.stderr.strip()}")
        fn = shlex.split(line[0])[1]
        r = subprocess.run(["apt-get", "download", "-q", name], cwd=os.path.join(self.cache, "debs"),
                           capture_output=True, text=True)
        if r.returncode or not os.path.exists(os.path.join(self.cache, "debs", fn)):
            die(f"package {name}: apt-get download failed: {r.stderr.strip()}")
        with open(idx, "w") as f:
            f.write(fn + "\n")
        return fn

    def tree(self, name):
        """The extracted files of package name, or None if there is no such package."""
        if name in self.trees:
            return self.trees[name]
        fn = self.deb_file(name)
        if not fn:
            self.trees[name] = None
            return None
        x = os.path.join(self.cache, "x", fn[:-4])
        if not os.path.exists(os.path.join(x, ".done")):
            deb = os.path.join(self.cache, "debs", fn)
            subprocess.run(["rm", "-rf", x], check=True)
            os.makedirs(x)
            for args in (["-x", deb, os.path.join(x, "root")], ["-e", deb, os.path.join(x, "control")]):
                r = subprocess.run(["dpkg-deb"] + args, capture_output=True, text=True)
                if r.returncode:
                    die(f"package {name}: dpkg-deb {args[0]} {deb}: {r.stderr.strip()}")
            open(os.path.join(x, ".done"), "w").close()
        t = Tree(os.path.join(x, "root"), name)
        t.control = os.path.join(x, "control")
        fields = parse_control(os.path.join(t.control, "control"))
        self.versions[name] = fields.get("Version", "?")
        deps = []
        for key in ("Pre-Depends", "Depends"):
            for alt in filter(None, (a.strip() for a in fields.get(key, "").split(","))):
                deps.append([re.sub(r"[\s(:].*", "", a.strip()) for a in alt.split("|")])
        self.deps_of[name] = deps
        self.trees[name] = t
        return t

    def dep_trees(self, name):
        """The trees of name's dependencies (the first alternative that exists)."""
        out = []
        for alts in self.deps_of.get(name, []):
            for a in alts:
                t = self.tree(a)
                if t:
                    out.append(t)
                    break
        return out


def parse_control(path):
    fields, key = {}, None
    for line in open(path, encoding="utf-8", errors="replace"):
        if line[:1] in " \t" and key:
            fields[key] += " " + line.strip()
        elif ":" in line:
            key, v = line.split(":", 1)
            fields[key] = v.strip()
    return fields


# ---- the closure ----

class Closure:
    def __init__(self, debs, image):
        self.debs, self.image = debs, image
        self.queue = []

    def take(self, tree, p):
        """Puts tree's p (a file or a symlink; its parents' links too) into the image."""
        if self.image.has(p):
            return
        rp = tree.real(p)
        if os.path.islink(rp):
            t = os.readlink(rp)
            self.image.add_link(p, t, tree.name)
            target = norm(t if t.startswith("/") else os.path.join(os.path.dirname(p), t))
            self.queue.append((tree, ("path", target)))
        elif os.path.isfile(rp):
            mode = "%04o" % (os.stat(rp).st_mode & 0o7777)
            self.image.add_file(p, rp, mode, tree.name)
            info = elf_info(rp)
            if info:
                interp, needed, runpath = info
                if interp:
                    self.queue.append((tree, ("path", norm(interp))))
                dirs = [norm(d.replace("$ORIGIN", "/" + os.path.dirname(p))) for d in runpath] + LIB_DIRS
                for n in needed:
                    self.queue.append((tree, ("lib", n, dirs)))

    def find(self, tree, need):
        """The image path need resolves to in tree, or None."""
        cands = [need[1]] if need[0] == "path" else [f"{d}/{need[1]}" for d in need[2]]
        for c in cands:
            # a link in a parent (lib64 -> lib) is the tree's business: take the links on the way
            if resolve_in(tree, c):
                return c
        return None

    def in_image(self, need):
        cands = [need[1]] if need[0] == "path" else [f"{d}/{need[1]}" for d in need[2]]
        return any(self.image.has(c) for c in cands)

    def provider(self, tree, need):
        """Breadth first over the Depends of the package that holds the needing file."""
        seen, level = {tree.name}, [tree]
        while level:
            for t in level:
                c = self.find(t, need)
                if c:
                    return t, c
            nxt = []
            for t in level:
                for d in self.debs.dep_trees(t.name) if t.name in self.debs.deps_of else []:
                    if d.name not in seen:
                        seen.add(d.name)
                        nxt.append(d)
            level = nxt
        return None, None

    def take_path(self, tree, c):
        """c with the symlinks of its parent directories, each from tree."""
        parts, cur = c.split("/"), ""
        for part in parts[:-1]:
            cur = f"{cur}/{part}".lstrip("/")
            if os.path.islink(tree.real(cur)):
                self.take(tree, cur)
                rest = "/".join(parts[len(cur.split("/")):])
                self.queue.append((tree, ("path", norm(os.path.join(resolve_in(tree, cur) or cur, rest)))))
                return
        self.take(tree, c)

    def run(self):
        while self.queue:
            tree, need = self.queue.pop(0)
            if self.in_image(need):
                continue
            t, c = self.provider(tree, need)
            if not t:
                what = need[1] if need[0] == "path" else f"the library {need[1]}"
                die(f"{tree.name}: needs {what}, found in no package it depends on")
            if need[0] == "lib":
                self.image.libs.append(f"{c} ({t.name})")
            self.take_path(t, c)


def package_users(tree):
    """System users and groups a package's maintainer scripts create: [(kind, name, home)]."""
    out = []
    for script in ("preinst", "postinst"):
        path = os.path.join(tree.control, script)
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8", errors="replace").read().replace("\\\n", " ")
        var = dict(re.findall(r"^\s*([A-Za-z_]\w*)=[\"']?([\w./-]+)[\"']?\s*$", text, re.M))
        for line in text.splitlines():
            line = re.sub(r"\$\{?(\w+)\}?", lambda m: var.get(m.group(1), m.group(0)), line)
            words = line.split("||")[0].split(";")[0].split()
            if not words or words[0] not in ("adduser", "addgroup", "useradd", "groupadd"):
                continue
            names = [w for w in words[1:] if not w.startswith("-") and "$" not in w]
            home = words[words.index("--home") + 1] if "--home" in words[:-1] else "/nonexistent"
            # options with a value: the word after them is not a name
            for opt in ("--home", "--ingroup", "--gecos", "--shell", "--uid", "--gid", "-d", "-g", "-s", "-u"):
                if opt in words[:-1]:
                    v = words[words.index(opt) + 1]
                    if v in names:
                        names.remove(v)
            if not names:
                continue
            kind = "group" if words[0] in ("addgroup", "groupadd") else "user"
            out.append((kind, names[-1], home))
    return out


def cmd_resolve(a):
    debs = Debs(a.cache, a.offline)
    image = Image()
    cl = Closure(debs, image)
    host = Tree("/", "host")
    users = []
    for name in a.p:
        t = debs.tree(name)
        if not t:
            die(f"-p {name}: no such Debian package (apt-get download knows none by that name)")
        for dirpath, dirs, files in os.walk(t.top):
            dirs.sort()
            for f in sorted(files) + sorted(d for d in dirs if os.path.islink(os.path.join(dirpath, d))):
                p = os.path.relpath(os.path.join(dirpath, f), t.top)
                if not p.startswith(LEFT_OUT):
                    cl.take(t, p)
        print(f"#pkg\t{name}\t{debs.versions[name]}")
        users += package_users(t)
    cl.run()
    # the users of every package something came from (redis-tools creates redis)
    used = {o for o in image.origin.values()} - set(a.p)
    for name in sorted(used):
        if debs.trees.get(name):
            users += package_users(debs.trees[name])
    for spec in a.b:
        src, _, dest = spec.partition(":")
        if not os.path.isfile(src):
            die(f"-b {spec}: {src} is not a file")
        dest = norm(dest or "usr/local/bin/" + os.path.basename(src))
        info = elf_info(src)
        if info is None:
            die(f"-b {spec}: {src} is not an ELF program")
        image.add_file(dest, os.path.realpath(src), "0755", "-b")
        host_closure(image, src, dest, info, host)
        print(f"#prog\t{dest}\t{src}")
    for p in sorted(image.entry):
        t, m, arg = image.entry[p]
        print(f"{p}\t{t}\t{m}\t{arg}")
    seen = set()
    for kind, name, home in users:
        if (kind, name) not in seen:
            seen.add((kind, name))
            print(f"#{kind}\t{name}\t{home}")
    for lib in image.libs:
        print(f"#lib\t{lib}")


def ld_conf_dirs():
    dirs = []

    def read(path):
        try:
            lines = open(path).read().splitlines()
        except OSError:
            return
        for line in lines:
            line = line.split("#")[0].strip()
            if line.startswith("include "):
                for g in sorted(glob.glob(line.split(None, 1)[1])):
                    read(g)
            elif line:
                dirs.append(norm(line))
    read("/etc/ld.so.conf")
    return dirs


def host_closure(image, src, dest, info, host):
    """A host program's interpreter and libraries, where its loader in the image finds them."""
    extra = ld_conf_dirs()
    todo = [(os.path.abspath(src), dest, info)]
    while todo:
        hpath, ipath, (interp, needed, runpath) = todo.pop(0)
        if interp and not image.has(norm(interp)):
            if not os.path.exists(interp):
                die(f"{src}: its interpreter {interp} is not on this machine")
            image.add_file(norm(interp), os.path.realpath(interp), "0755", "-b")
        for n in needed:
            found = None
            for d in runpath:
                hd = d.replace("$ORIGIN", os.path.dirname(hpath))
                idir = d.replace("$ORIGIN", "/" + os.path.dirname(ipath))
                if os.path.exists(os.path.join(hd, n)):
                    found = (os.path.join(hd, n), norm(os.path.join(idir, n)))
                    break
            for d in ([] if found else LIB_DIRS + extra):
                if os.path.exists(os.path.join("/", d, n)):
                    # the loader of the image looks in LIB_DIRS only (no ld.so.cache)
                    found = (os.path.join("/", d, n), norm(f"{d if d in LIB_DIRS else LIB_DIRS[1]}/{n}"))
                    break
            if not found:
                die(f"{src}: needs the library {n}, which is on no library path of this machine")
            if image.has(found[1]):
                continue
            image.add_file(found[1], os.path.realpath(found[0]), "0755", "-b")
            image.libs.append(f"{found[1]} (host {found[0]})")
            todo.append((found[0], found[1], elf_info(found[0]) or (None, [], [])))


# ---- users and groups ----

def read_db(path):
    rows = []
    if path and os.path.exists(path):
        for line in open(path):
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                rows.append(line.split(":"))
    return rows


def stable_id(name, taken):
    i = ID_BASE + zlib.crc32(name.encode()) % ID_SPAN
    while i in taken:
        i = ID_BASE + (i - ID_BASE + 1) % ID_SPAN
    return i


def manifest_identities(path):
    """user = and group = values of the manifest's services: (users, groups)."""
    users, groups = set(), set()
    for line in open(path, encoding="utf-8", errors="replace"):
        m = re.match(r"\s*(user|group)\s*=\s*([^;#\s]+)", line)
        if m and not m.group(2).isdigit():
            (users if m.group(1) == "user" else groups).add(m.group(2).split(":")[0])
            if m.group(1) == "user" and ":" in m.group(2):
                groups.add(m.group(2).split(":")[1])
    return users, groups


def cmd_users(a):
    pw, gr = read_db(a.passwd), read_db(a.group)
    master_pw = {r[0]: r for r in read_db(f"{BASE_PASSWD}/passwd.master")}
    master_gr = {r[0]: r for r in read_db(f"{BASE_PASSWD}/group.master")}
    users, groups = manifest_identities(a.manifest)
    homes = {}
    for line in open(a.pkg_users) if a.pkg_users else []:
        kind, name, home = line.rstrip("\n").split("\t")
        (users if kind == "user" else groups).add(name)
        homes[name] = home
    groups |= users  # every user added gets its own group
    have_g = {r[0] for r in gr}
    taken = {int(r[2]) for r in gr if len(r) > 2 and r[2].isdigit()}
    added = []
    for g in sorted(groups - have_g):
        gid = int(master_gr[g][2]) if g in master_gr else stable_id(g, taken)
        taken.add(gid)
        gr.append([g, "x", str(gid), ""])
        added.append(f"group {g}:{gid}")
    gid_of = {r[0]: r[2] for r in gr}
    have_u = {r[0] for r in pw}
    taken = {int(r[2]) for r in pw if len(r) > 2 and r[2].isdigit()}
    for u in sorted(users - have_u):
        if u in master_pw:
            uid, home = int(master_pw[u][2]), master_pw[u][5]
        else:
            uid, home = stable_id(u, taken), homes.get(u, "/nonexistent")
        taken.add(uid)
        pw.append([u, "x", str(uid), gid_of[u], u, home, "/usr/sbin/nologin"])
        added.append(f"user {u}:{uid}")
    for path, rows in ((a.out_passwd, pw), (a.out_group, gr)):
        with open(path, "w") as f:
            f.write("".join(":".join(r) + "\n" for r in rows))
        os.chmod(path, 0o644)
    for x in added:
        print(x)


# ---- the check of the image made ----

class EntryTree(Tree):
    """The image as mkimage's entry list: image path -> (type, mode, arg)."""

    def __init__(self, path, root=""):
        super().__init__(None, "image")
        self.e = {}
        for line in open(path):
            p, t, m, arg = (line.rstrip("\n").split("\t") + ["", "", ""])[:4]
            self.e[p] = (t, m, arg)
        self.root = norm(root) if root else ""

    def at(self, p):
        return norm(f"{self.root}/{p}") if self.root else norm(p)

    def resolve(self, p, depth=0):
        parts, cur = norm(p).split("/"), ""
        for i, part in enumerate(parts):
            cur = f"{cur}/{part}".lstrip("/")
            ent = self.e.get(self.at(cur))
            if not ent:
                return None
            if ent[0] == "slink":
                if depth > 20:
                    return None
                base = "" if ent[2].startswith("/") else os.path.dirname(cur)
                return self.resolve(norm(os.path.join(base, ent[2], "/".join(parts[i + 1:]))), depth + 1)
        return cur

    def source(self, p):
        ent = self.e.get(self.at(p))
        return ent[2] if ent and ent[0] == "file" else None


def exec_program(value):
    try:
        words = shlex.split(value)
    except ValueError:
        words = value.split()
    return words[0] if words else None


def manifest_services(path):
    """{service: {key: value}} of the manifest, enough for the check."""
    svc, cur = {}, None
    for line in open(path, encoding="utf-8", errors="replace"):
        s = line.strip()
        m = re.match(r"\[service\.([^\]]+)\]", s)
        if m:
            cur = svc.setdefault(m.group(1), {})
        elif s.startswith("["):
            cur = None
        elif cur is not None and "=" in s and not s.startswith((";", "#")):
            k, v = s.split("=", 1)
            cur[k.strip()] = v.strip()
    return svc


def check_program(tree, prog, what, missing, depth=0):
    final = tree.resolve(prog)
    if not final:
        missing.append(f"{what}: {prog} is not in the image")
        return
    src = tree.source(final)
    if not src:
        missing.append(f"{what}: {prog} is not a file in the image")
        return
    with open(src, "rb") as f:
        head = f.read(256)
    if head.startswith(b"#!") and depth < 4:
        interp = head[2:].split(b"\n")[0].split()
        if interp:
            check_program(tree, interp[0].decode(), f"{what} (the interpreter of {prog})", missing, depth + 1)
        return
    info = elf_info(src)
    if not info:
        return
    todo, seen = [(final, info)], set()
    while todo:
        p, (interp, needed, runpath) = todo.pop()
        if interp and not tree.resolve(interp):
            missing.append(f"{what}: {prog} needs its ELF interpreter {interp}, not in the image")
        dirs = [norm(d.replace("$ORIGIN", "/" + os.path.dirname(p))) for d in runpath] + LIB_DIRS
        for n in needed:
            hit = next((r for r in (tree.resolve(f"{d}/{n}") for d in dirs) if r), None)
            if not hit:
                missing.append(f"{what}: {prog} needs the library {n}, not in the image")
            elif hit not in seen:
                seen.add(hit)
                sub = elf_info(tree.source(hit) or "")
                if sub:
                    todo.append((hit, sub))


# What an isolated service on the image's root sees of it (isolate/mount.c)
VISIBLE = ("bin/", "sbin/", "lib/", "lib64/", "lib32/", "libx32/", "usr/", "etc/")


def check_visible(tree, prog, volumes, what, missing):
    final = tree.resolve(prog)
    dests = [norm(v.split(":")[1]) for v in volumes.replace(",", " ").split() if v.count(":") >= 1]
    if not final or final.startswith(VISIBLE):
        return
    if any(norm(prog) == d or norm(prog).startswith(d + "/") for d in dests):
        return
    missing.append(f"{what}: {prog} is outside what an isolated service sees of the image "
                   "(/bin, /sbin, /lib*, /usr, /etc): put it under /usr/local, or bind it with volumes")


def cmd_check(a):
    svcs = manifest_services(a.manifest)
    missing = []
    for name, keys in sorted(svcs.items()):
        root = keys.get("root", "host")
        tree = EntryTree(a.entries, "" if root in ("host", "") else root)
        if root not in ("host", "") and not tree.resolve("."):
            missing.append(f"service {name}: its root {root} is not in the image")
            continue
        prog = exec_program(keys.get("exec", ""))
        if prog:
            check_program(tree, prog, f"service {name}: exec", missing)
        if prog and root in ("host", "") and keys.get("isolate", "yes") != "no":
            check_visible(tree, prog, keys.get("volumes", ""), f"service {name}: exec", missing)
    for m in missing:
        print(m)
    sys.exit(1 if missing else 0)


def main():
    ap = argparse.ArgumentParser(prog="closure.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("resolve")
    r.add_argument("--cache", required=True)
    r.add_argument("--offline", action="store_true")
    r.add_argument("-p", action="append", default=[])
    r.add_argument("-b", action="append", default=[])
    u = sub.add_parser("users")
    for o in ("--manifest", "--passwd", "--group", "--out-passwd", "--out-group"):
        u.add_argument(o, required=True)
    u.add_argument("--pkg-users")
    c = sub.add_parser("check")
    c.add_argument("--manifest", required=True)
    c.add_argument("--entries", required=True)
    a = ap.parse_args()
    {"resolve": cmd_resolve, "users": cmd_users, "check": cmd_check}[a.cmd](a)


if __name__ == "__main__":
    main()
