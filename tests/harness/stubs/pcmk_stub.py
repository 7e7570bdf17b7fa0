#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Test double for Pacemaker's crm_attribute, attrd_updater, crm_node and crm_mon.

Installed as symlinks named after the three tools in a directory prepended to
PATH (see install()), one directory per test host. Attributes live in a JSON
state file that plays the cluster-wide CIB/attrd, so both test "hosts" share
one file. The agent gives its children a minimal environment, so the state
file and the local node name come from `stub.conf` (JSON: {"state": path,
"node": name}) next to the symlinks; PGTWIN_STUB_STATE / PGTWIN_STUB_NODE in
the environment take precedence. Every call is appended to <state>.calls
(JSON lines) so tests can check what the agent did.

State layout:
  {"forever": {node: {name: value}},   # crm_attribute -l forever (nodes section)
   "reboot":  {node: {name: value}},   # crm_attribute -l reboot / attrd_updater
   "private": [[node, name], ...],     # reboot attributes never written to the CIB
   "nodes": [name, ...],               # optional; crm_node -l lists them ("<id> <name>
                                       # member"); absent: crm_node -l fails as
                                       # where no cluster runs (exit 102)
   "membership": {node: state}}        # optional; crm_mon's view of each node:
                                       # "member" (default), "offline" (clean),
                                       # "unclean" or "pending"

Behaviour modelled on Pacemaker 2.1:
  * crm_attribute -G for a missing attribute: exit 105 (CRM_EX_NOSUCH),
    "Error performing operation: No such device or address" on stderr.
  * crm_attribute --promotion uses "master-<OCF_RESOURCE_INSTANCE>" and the
    reboot lifetime; without -N the local node.
  * attrd_updater -Q prints `name="N" host="H" value="V"`; missing: exit 105,
    "Could not query value of N: attribute does not exist".
  * attrd_updater -D sets the value to "" (attrd cannot remove attributes).
  * crm_attribute -G cannot see private (attrd_updater -p) attributes.
  * crm_mon -1 --output-as=xml prints <nodes> only: the local node and every
    node the state names, each online unless "membership" says otherwise.
Anything else: a message on stderr and exit 64, so a changed agent argv shows.
"""

import fcntl
import json
import os
import sys

EX_NOSUCH = 105
EX_USAGE = 64


class Usage(Exception):
    """The argv is not one the test double knows."""


def _config(key):
    """stub.conf next to the invoked symlink, overridden by the environment."""
    env = os.environ.get({"state": "PGTWIN_STUB_STATE", "node": "PGTWIN_STUB_NODE"}[key])
    if env:
        return env
    conf = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])), "stub.conf")
    try:
        with open(conf) as f:
            return json.load(f).get(key)
    except (OSError, ValueError):
        return None


def _state_path():
    path = _config("state")
    if not path:
        raise Usage("no state file: set PGTWIN_STUB_STATE or write stub.conf")
    return path


class State:
    """The JSON state file under an exclusive lock for the whole call."""

    def __enter__(self):
        path = _state_path()
        self._lock = open(path + ".lock", "a+")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self._path = path
        try:
            with open(path) as f:
                self.data = json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            self.data = {}
        for key in ("forever", "reboot"):
            self.data.setdefault(key, {})
        self.data.setdefault("private", [])
        self.dirty = False
        return self

    def __exit__(self, *exc):
        if self.dirty:
            tmp = self._path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.data, f, indent=1, sort_keys=True)
            os.replace(tmp, self._path)
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()

    def get(self, scope, node, name):
        return self.data[scope].get(node, {}).get(name)

    def set(self, scope, node, name, value, private=False):
        self.data[scope].setdefault(node, {})[name] = value
        pair = [node, name]
        if scope == "reboot":
            if private and pair not in self.data["private"]:
                self.data["private"].append(pair)
            if not private and pair in self.data["private"]:
                self.data["private"].remove(pair)
        self.dirty = True

    def delete(self, scope, node, name):
        self.data[scope].get(node, {}).pop(name, None)
        if scope == "reboot" and [node, name] in self.data["private"]:
            self.data["private"].remove([node, name])
        self.dirty = True

    def is_private(self, node, name):
        return [node, name] in self.data["private"]


def _local_node():
    node = _config("node")
    if not node:
        raise Usage("no local node: set PGTWIN_STUB_NODE or write stub.conf")
    return node


# Option name -> (canonical key, takes a value).
_CRM_ATTRIBUTE_OPTS = {
    "-N": ("node", True), "--node": ("node", True),
    "-n": ("name", True), "--name": ("name", True),
    "-l": ("lifetime", True), "--lifetime": ("lifetime", True),
    "-t": ("lifetime", True), "--type": ("lifetime", True),
    "-v": ("update", True), "--update": ("update", True),
    "-G": ("query", False), "--query": ("query", False),
    "-D": ("delete", False), "--delete": ("delete", False),
    "-q": ("quiet", False), "--quiet": ("quiet", False),
    "-p": ("promotion", False), "--promotion": ("promotion", False),
}

_ATTRD_OPTS = {
    "-n": ("name", True), "--name": ("name", True),
    "-N": ("node", True), "--node": ("node", True),
    "-U": ("update", True), "--update": ("update", True),
    "-Q": ("query", False), "--query": ("query", False),
    "-D": ("delete", False), "--delete": ("delete", False),
    "-p": ("private", False), "--private": ("private", False),
    "-l": ("lifetime", True), "--lifetime": ("lifetime", True),
}


def parse(argv, table):
    """Parses argv with `table`; accepts --opt=value and joined short options."""
    opts = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        value = None
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 2:
            arg, value = arg[:2], arg[2:]
        if arg not in table:
            raise Usage(f"unsupported argument {argv[i]!r}")
        key, takes = table[arg]
        if key == "promotion" and value is not None:
            opts["promotion_rsc"] = value
            value = None
        if takes and value is None:
            i += 1
            if i >= len(argv):
                raise Usage(f"{arg} needs a value")
            value = argv[i]
        elif not takes and value is not None:
            raise Usage(f"{arg} takes no value")
        if key in opts:
            raise Usage(f"{arg} given twice")
        opts[key] = value if takes else True
        i += 1
    return opts


def _one_command(opts, commands):
    given = [c for c in commands if c in opts]
    if len(given) != 1:
        raise Usage(f"exactly one of {commands} is required")
    return given[0]


def crm_attribute(argv):
    opts = parse(argv, _CRM_ATTRIBUTE_OPTS)
    command = _one_command(opts, ("update", "query", "delete"))
    node = opts.get("node") or _local_node()
    if opts.get("promotion"):
        if "name" in opts:
            raise Usage("--promotion and --name together")
        rsc = opts.get("promotion_rsc") or os.environ.get("OCF_RESOURCE_INSTANCE")
        if not rsc:
            raise Usage("--promotion without OCF_RESOURCE_INSTANCE")
        name = "master-" + rsc
        lifetime = opts.get("lifetime", "reboot")
    else:
        name = opts.get("name")
        if not name or "node" not in opts:
            raise Usage("node attributes need -n and -N (cluster options are not modelled)")
        # Pacemaker: a node attribute without -l/-t goes to the nodes section.
        lifetime = opts.get("lifetime", "forever")
    lifetime = {"status": "reboot", "nodes": "forever"}.get(lifetime, lifetime)
    if lifetime not in ("reboot", "forever"):
        raise Usage(f"unsupported lifetime {lifetime!r}")
    with State() as st:
        if command == "update":
            st.set(lifetime, node, name, opts["update"])
            return 0
        if command == "delete":
            st.delete(lifetime, node, name)
            return 0
        value = st.get(lifetime, node, name)
        if value is None or (lifetime == "reboot" and st.is_private(node, name)):
            print("Error performing operation: No such device or address", file=sys.stderr)
            return EX_NOSUCH
        scope = "status" if lifetime == "reboot" else "nodes"
        print(value if opts.get("quiet") else f"scope={scope}  name={name} value={value}")
        return 0


def attrd_updater(argv):
    opts = parse(argv, _ATTRD_OPTS)
    command = _one_command(opts, ("update", "query", "delete"))
    name = opts.get("name")
    if not name:
        raise Usage("attrd_updater needs -n")
    node = opts.get("node") or _local_node()
    with State() as st:
        if command == "update":
            st.set("reboot", node, name, opts["update"], private=bool(opts.get("private")))
            return 0
        if command == "delete":
            if st.get("reboot", node, name) is not None:
                st.set("reboot", node, name, "", private=st.is_private(node, name))
            return 0
        value = st.get("reboot", node, name)
        if value is None:
            print(f"Could not query value of {name}: attribute does not exist", file=sys.stderr)
            return EX_NOSUCH
        print(f'name="{name}" host="{node}" value="{value}"')
        return 0


def crm_node(argv):
    if argv in (["-n"], ["--name"]):
        print(_local_node())
        return 0
    if argv in (["-l"], ["--list"]):
        with State() as st:
            nodes = st.data.get("nodes")
        if nodes is None:
            # What crm_node prints where no cluster runs.
            print("error: Could not connect to controller: Transport endpoint is not connected",
                  file=sys.stderr)
            return 102
        for i, name in enumerate(nodes, start=1):
            print(f"{i} {name} member")
        return 0
    raise Usage(f"unsupported crm_node argv {argv!r}")


# crm_mon's node flags per membership state of the stub.
_MEMBERSHIP_FLAGS = {
    "member": ("true", "false", "false"),    # online, pending, unclean
    "offline": ("false", "false", "false"),
    "unclean": ("false", "false", "true"),
    "pending": ("true", "true", "false"),
}


def crm_mon(argv):
    if sorted(argv) != sorted(["-1", "--output-as=xml"]):
        raise Usage(f"unsupported crm_mon argv {argv!r}")
    local = _local_node()
    with State() as st:
        membership = st.data.get("membership", {})
        names = {local, *membership, *st.data["forever"], *st.data["reboot"]}
    lines = ['<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">', "  <nodes>"]
    for i, name in enumerate(sorted(names), start=1):
        state = membership.get(name, "member")
        if state not in _MEMBERSHIP_FLAGS:
            raise Usage(f"unknown membership state {state!r} for {name}")
        online, pending, unclean = _MEMBERSHIP_FLAGS[state]
        lines.append(f'    <node name="{name}" id="{i}" online="{online}" standby="false" '
                     f'maintenance="false" pending="{pending}" unclean="{unclean}" type="member"/>')
    lines += ["  </nodes>", '  <status code="0" message="OK"/>', "</pacemaker-result>"]
    print("\n".join(lines))
    return 0


TOOLS = {"crm_attribute": crm_attribute, "attrd_updater": attrd_updater, "crm_node": crm_node,
         "crm_mon": crm_mon}


def _record(tool, argv, rc):
    path = _config("state")
    if not path:
        return
    entry = {"tool": tool, "argv": argv, "rc": rc,
             "node": _config("node"),
             "resource": os.environ.get("OCF_RESOURCE_INSTANCE")}
    with open(path + ".calls", "a") as f:
        f.write(json.dumps(entry) + "\n")


def install(directory, state, node):
    """Creates the tool symlinks and stub.conf in `directory`; returns it."""
    os.makedirs(directory, exist_ok=True)
    target = os.path.abspath(__file__)
    for tool in TOOLS:
        link = os.path.join(directory, tool)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(target, link)
    with open(os.path.join(directory, "stub.conf"), "w") as f:
        json.dump({"state": str(state), "node": node}, f)
    return directory


def main():
    tool = os.path.basename(sys.argv[0])
    argv = sys.argv[1:]
    if tool not in TOOLS:
        print(f"pcmk_stub: invoked as unknown tool {tool!r}", file=sys.stderr)
        return EX_USAGE
    try:
        rc = TOOLS[tool](argv)
    except Usage as err:
        print(f"{tool} (pgtwin test double): {err}; argv={argv!r}", file=sys.stderr)
        rc = EX_USAGE
    _record(tool, argv, rc)
    return rc


if __name__ == "__main__":
    sys.exit(main())
