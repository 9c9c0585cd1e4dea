#!/usr/bin/env bash
# Real clusters for tests/test_clusters.py (issue 22): installs Debian's SLURM (slurm-wlm, with
# munge) when it is missing. The test module itself starts a private munge, slurmctld and slurmd
# and a Ray head (the venv's `ray start --head`) on free ports under a temporary folder, runs the
# README's Launchers commands against them, and stops them at the end.
set -euo pipefail
if [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/slurmd ] || [ ! -x /usr/sbin/munged ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq -o DPkg::Lock::Timeout=300 slurm-wlm munge >/dev/null
fi
