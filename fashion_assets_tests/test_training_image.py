"""The GPU image stays consistent with the package: hash-locked pins inside the package's
ranges, torch matching the base image, a non-root user, the entrypoint as its command."""

import importlib.util
import re
import tomllib

from packaging.requirements import Requirement

from fashion_assets_tests.helpers import locked_pins
from fashion_assets_tests.pipeline import REPO

IMAGE = REPO / "training_image"


def _locked() -> dict[str, str]:
    return locked_pins(IMAGE / "requirements.lock")


def test_lock_pins_versions_the_package_accepts():
    locked = _locked()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    shared = 0
    for line in project:
        req = Requirement(line)
        name = req.name.lower().replace("_", "-")
        if name in locked:
            shared += 1
            assert req.specifier.contains(locked[name], prereleases=True), (
                f"{name} {locked[name]} vs {req}"
            )
    assert shared >= 10
    for needed in ("unsloth", "unsloth-zoo", "trl", "peft", "dagster-pipes", "bitsandbytes"):
        assert needed in locked


def test_dockerfile_base_user_and_command():
    dockerfile = (IMAGE / "Dockerfile").read_text()
    base = re.search(
        r"^FROM --platform=linux/amd64 pytorch/pytorch:([\d.]+)-cuda", dockerfile, re.M
    )
    assert base and _locked()["torch"] == base.group(1)
    assert "build-essential" in dockerfile and "--require-hashes" in dockerfile
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and users[-1] not in ("root", "0")
    command = re.search(r'^CMD \["python", "-m", "([\w.]+)"\]', dockerfile, re.M).group(1)
    assert importlib.util.find_spec(command) is not None
