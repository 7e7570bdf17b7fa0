# SPDX-License-Identifier: GPL-2.0-or-later
"""The integration tier's harness, shared by its two modes and bench/modes.

  lab.py            VM-mode hosts (network namespaces), commands, reaper, teardown
  container_lab.py  container-mode hosts and lab (builds on lab.py)
  dockerd.py        a real docker engine per host (the container-docker tier)
  agent.py          the agent run as Pacemaker runs it; notify replay; assertions
  modes.py          VmMode / ContainerMode: session set-up, template, lab
  topology.py       the lab's names and addresses, from lab/topology (also read
                    by the cluster tier's labkit)
  stubs/            the Pacemaker test double (crm_attribute, attrd_updater,
                    crm_node, crm_mon), also used by tests/ocf-tester
  in-node           runs a command in a host's namespace with cgroups mounted
  cleanup.sh        leftovers of an interrupted run, per mode
  official-entrypoint.sh  the entrypoint of the official-behaviour test images
                          (lab/build-test-image)
"""
