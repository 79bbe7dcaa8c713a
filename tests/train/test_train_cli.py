"""``repro train`` argument handling (training itself is exercised by the resume and DDP tests)."""

import pytest

from repro.cli import build_parser
from repro.errors import ConfigError
from repro.train import cli


def parse(*argv):
    return build_parser("train").parse_args(["train", *argv])


@pytest.mark.parametrize(
    "params", [("-p", "train_steps=7", "-p", "arch=resnet34"), ("-p", "train_steps", "7", "-p", "arch", "resnet34")]
)
def test_parameters_reach_the_config(params):
    cfg = cli.config_from_args(parse(*params, "--mode", "frames"))
    assert cfg.train.train_steps == 7 and cfg.train.arch == "resnet34"
    assert cli.config_from_args(parse("--preset", "paper")).train.arch == "resnet50"


def test_bad_arguments_are_clear_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        parse("-p", "train_steps", "--fresh")
    assert exc.value.code == 2 and "expected NAME VALUE or NAME=VALUE" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="unknown parameter"):
        cli.config_from_args(parse("-p", "trian_steps=3"))
    with pytest.raises(ConfigError, match="single --mode"):
        cli.main(parse("--mode", "frames", "--mode", "images", "--out", "x"))
    with pytest.raises(SystemExit):
        parse("--mode", "videos")
