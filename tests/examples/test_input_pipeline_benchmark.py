"""benchmarks/input_pipeline.py's numeras side on a tiny folder: every configuration reads every
image once (no timing is asserted; speed is measured by running the benchmark)."""

import importlib.util
import json
import pathlib

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "input_pipeline.py"


def _load():
    spec = importlib.util.spec_from_file_location("input_pipeline_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numeras_side_reads_every_image_in_every_configuration(tmp_path, capsys):
    bench = _load()
    folder = tmp_path / "images"
    bench.main(["--dir", str(folder), "--images", "10", "--source-size", "kaggle", "--image-size", "24",
                "--batch-size", "4", "--workers", "1", "2", "--train-images", "0", "--tf-python", "", "--json"])
    assert sorted(path.name for path in (folder / "cat").iterdir()) == [f"cat.{i}.jpg" for i in range(5)]
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["notes"] == ["TensorFlow side skipped (--tf-python '')"]
    (numeras,) = report["results"]
    assert numeras["framework"] == "numeras" and numeras["training"] is None
    rows = numeras["pipeline"]
    assert [(row["workers"], row["augmented"]) for row in rows] == [(1, False), (1, True), (2, False), (2, True)]
    assert all(row["images"] == 10 and row["images_per_s"] > 0 and row["cpu_ms_per_image"] >= 0 for row in rows)
