"""Drives one stack of a Python program through the Python Automation API's inline program and the
generated Python SDK (the wheel of sdk/python, installed in the test's virtual environment): no
Python language host, the real CLI, the plugin found on PATH. test/engine/plugin-python.e2e.test.ts
runs it once per step and asserts on the emulator.

    python story.py REQUEST.json

The request names the operation (init, up, preview, refresh, destroy), the stack's work directory,
the CLI's root, the stack config and the program's values. The operation's output goes to stdout; a
failure's message to stderr with exit status 1.
"""

import json
import sys

import pulumi
import pulumi_dps_enrollments as dps
from pulumi import automation as auto


def program_of(values):
    """The inline program: one enrollment, and a second once the test took one over by import."""

    def program():
        device = dps.IndividualEnrollment(
            "device",
            registration_id=values["registrationId"],
            attestation=dps.AttestationArgs(type="symmetricKey"),
            tags=values.get("tags") or {},
            provisioning_status=values.get("provisioningStatus"),
        )
        pulumi.export("etag", device.etag)
        imported = values.get("importedId")
        if imported:
            dps.IndividualEnrollment(
                "imported",
                registration_id=imported,
                attestation={"type": "symmetricKey"},
                opts=pulumi.ResourceOptions(import_=imported if values.get("importing") else None),
            )

    return program


def stack(request):
    command = auto.PulumiCommand(root=request["pulumiRoot"], skip_version_check=True)
    workspace = auto.LocalWorkspaceOptions(
        work_dir=request["workDir"],
        pulumi_command=command,
        project_settings=auto.ProjectSettings(name="plugin-python", runtime="python"),
    )
    s = auto.create_or_select_stack(
        stack_name="dev",
        project_name="plugin-python",
        program=program_of(request["program"]),
        opts=workspace,
    )
    config = request.get("config") or {}
    if config:
        s.set_all_config(
            {key: auto.ConfigValue(value=v["value"], secret=v.get("secret", False)) for key, v in config.items()}
        )
    return s


def run(request):
    s = stack(request)
    op = request["op"]
    if op == "init":
        return ""
    if op == "up":
        return s.up().stdout
    if op == "preview":
        return s.preview(diff=True).stdout
    if op == "refresh":
        return s.refresh().stdout
    if op == "destroy":
        return s.destroy().stdout
    raise ValueError(f"unknown operation {op!r}")


def main():
    if len(sys.argv) != 2:
        print("usage: story.py REQUEST.json", file=sys.stderr)
        sys.exit(2)
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    try:
        print(run(request), end="")
    except auto.CommandError as e:
        print(str(e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
