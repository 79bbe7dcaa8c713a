import pytest

from repro.config import (
    CommandLineParser,
    Config,
    ConfigError,
    add_parameter_option,
    coerce,
    config_from_args,
    describe_parameters,
    from_notebook_parameters,
    leaf_sections,
)


def test_leaf_names_are_unique_and_cover_every_section():
    where = leaf_sections()
    assert set(where.values()) == {"run", "samples", "video", "tracks", "train", "invariance", "segmentation"}
    assert len(where) == len(Config.smoke().flat())


def test_paper_preset_holds_the_supplement_and_moco_v2_values():
    p = Config.paper().flat()
    assert p["arch"] == "resnet50" and p["image_size"] == 224
    assert (p["lr"], p["batch_size"], p["queue_size"], p["moco_momentum"], p["temperature"]) == (
        0.03,
        256,
        65536,
        0.999,
        0.2,
    )
    assert p["mlp"] and p["cosine"] and p["epochs"] == 200 and p["train_steps"] == 0
    assert p["max_proposals"] == 300
    assert (p["num_chunks"], p["chunk_len"], p["pair_gap"]) == (4, 60, 40)
    assert len(p["trackingnet_splits"]) == 12


def test_smoke_differs_from_paper_only_where_scale_demands():
    s, p = Config.smoke().flat(), Config.paper().flat()
    assert s["temperature"] == p["temperature"] and s["feature_dim"] == p["feature_dim"]
    assert s["chunk_len"] < p["chunk_len"] and s["queue_size"] < p["queue_size"]


def test_preset_unknown_name():
    with pytest.raises(ConfigError, match="unknown preset 'papr'.*smoke, paper"):
        Config.preset("papr")


def test_replace_checks_names_and_types():
    c = Config.smoke().replace(chunk_len="30", modes=["images"], lr=1, mlp="false")
    assert c.video.chunk_len == 30 and c.train.modes == ("images",) and c.train.lr == 1.0
    assert c.train.mlp is False
    with pytest.raises(ConfigError, match="(?s)unknown parameter.*chunk_lenn.*valid parameters"):
        Config.smoke().replace(chunk_lenn=3)
    with pytest.raises(ConfigError, match="'chunk_len' expects int"):
        Config.smoke().replace(chunk_len=2.5)
    with pytest.raises(ConfigError, match="'mlp' expects bool"):
        Config.smoke().replace(mlp="maybe")
    with pytest.raises(ConfigError, match="expects int"):
        coerce("seed", True)


def test_describe_parameters_lists_types_and_defaults():
    text = describe_parameters(["chunk_len", "lr"])
    assert "chunk_len: int = 24" in text and "lr: float = 0.03" in text


def test_notebook_parameters_apply_on_top_of_the_preset():
    cfg = from_notebook_parameters("smoke", chunk_len=30)
    assert cfg.video.chunk_len == 30 and cfg.train.arch == Config.smoke().train.arch
    cfg = from_notebook_parameters("paper", chunk_len=60, pair_gap=40)
    assert cfg.train.arch == "resnet50"


def test_paper_preset_with_smoke_literals_is_refused():
    """`papermill -p preset paper` alone would keep the smoke literals of the parameters cell."""
    with pytest.raises(ConfigError, match="repro run NOTEBOOK --preset paper"):
        from_notebook_parameters("paper", chunk_len=24, pair_gap=8)


def parameter_parser() -> CommandLineParser:
    p = CommandLineParser(prog="repro test")
    p.add_argument("names", nargs="*")
    p.add_argument("--preset", default="smoke")
    add_parameter_option(p)
    return p


@pytest.mark.parametrize(
    "argv",
    [
        ["-p", "chunk_len", "30", "-p", "pair_gap", "10"],  # papermill's form
        ["-p", "chunk_len=30", "-p", "pair_gap=10"],  # one word
        ["-pchunk_len=30", "--param", "pair_gap", "10"],
        ["--param=chunk_len=30", "--parameter", "pair_gap=10"],
        ["-p", "chunk_len = 30", "-ppair_gap", "10"],
    ],
)
def test_both_parameter_forms_give_the_same_config(argv):
    args = parameter_parser().parse_args(argv)
    assert args.param == [["chunk_len", "30"], ["pair_gap", "10"]]
    cfg = config_from_args(args)
    assert (cfg.video.chunk_len, cfg.video.pair_gap) == (30, 10)


def test_a_parameter_leaves_positionals_and_values_alone():
    args = parameter_parser().parse_args(["-p", "chunk_len=30", "03", "-p", "trackingnet_root", "/d/a=b"])
    assert args.param == [["chunk_len", "30"], ["trackingnet_root", "/d/a=b"]] and args.names == ["03"]
    assert parameter_parser().parse_args(["03", "--", "-p"]).names == ["03", "-p"]
    assert parameter_parser().parse_args(["-p", "lr", "-0.5"]).param == [["lr", "-0.5"]]


@pytest.mark.parametrize(
    "argv, shown",
    [
        (["-p", "chunk_len"], "'-p chunk_len'"),
        (["-p", "=30"], "'-p =30'"),
        (["-p", "chunk_len", "--preset", "paper"], "'-p chunk_len'"),
        (["-p"], "'-p'"),
    ],
)
def test_a_malformed_parameter_is_a_usage_error(argv, shown, capsys):
    with pytest.raises(SystemExit) as exc:
        parameter_parser().parse_args(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "expected NAME VALUE or NAME=VALUE" in err and shown in err
    assert "Traceback" not in err
