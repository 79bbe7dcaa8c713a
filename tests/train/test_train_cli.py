"""``repro train`` argument handling (training itself is exercised by the resume and DDP tests)."""
import argparse

import pytest

from repro.errors import ConfigError
from repro.train import cli


def parse(*argv):
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return p.parse_args(list(argv))


def test_parameters_reach_the_config():
    cfg = cli.config_from_args(parse("-p", "train_steps=7", "-p", "arch=resnet34", "--mode", "frames"))
    assert cfg.train.train_steps == 7 and cfg.train.arch == "resnet34"
    assert cli.config_from_args(parse("--preset", "paper")).train.arch == "resnet50"


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        cli.config_from_args(parse("-p", "train_steps"))
    with pytest.raises(ConfigError, match="unknown parameter"):
        cli.config_from_args(parse("-p", "trian_steps=3"))
    with pytest.raises(ConfigError, match="single --mode"):
        cli.main(parse("--mode", "frames", "--mode", "images", "--out", "x"))
    with pytest.raises(SystemExit):
        parse("--mode", "videos")
