"""Does reading images from disk keep training busy? numeras's input pipeline next to Keras 3 on
TensorFlow, on a folder of JPEGs shaped like the book's chapter 8 cats-vs-dogs data.

Two measurements, each for numeras and (when it can be run) Keras 3 with the TensorFlow backend:

* ``pipeline``: images per second through ``image_dataset_from_directory(image_size, batch_size)``
  (decode, resize, batch; shuffled), for each ``--workers`` count, then again with the chapter's
  augmentation layers (RandomFlip, RandomRotation, RandomZoom) mapped over the batches with as many
  parallel calls, and prefetch. numeras: ``workers=`` and ``Dataset.map(num_parallel_calls=)``;
  TensorFlow: the dataset's private thread pool and ``num_parallel_calls`` set to the count. Wall
  and CPU seconds (all threads of the process) are both reported; on a shared machine the CPU
  seconds per image are the steadier number. The one-time start (indexing; numeras also checks
  every file) is reported apart.
* ``training``: one epoch of the chapter's small convnet (no augmentation) on ``--train-images``
  images read through the pipeline with prefetch, after one warm-up epoch of one batch. Two views of data
  starvation: ``wait``, the time between one train step's end and the next one's start as seen by a
  callback, over the epoch (numeras fetches the next batch there; Keras on TensorFlow fetches it
  inside its compiled step, so its callback sees ~0 there by construction), and ``slowdown``, how
  much longer the epoch took than the same epoch on the same batches already in memory.

    python benchmarks/input_pipeline.py                         # 2,000 images in a temp dir
    python benchmarks/input_pipeline.py --images 500 --train-images 64 --workers 1 2
    python benchmarks/input_pipeline.py --dir /data/cats_vs_dogs_small/train   # real images

The generated images are ``--source-size`` pixels a side (180 by default, as the chapter's resize
target, so the resize is a copy) or ``kaggle``: random sizes 300-500 x 250-500 like the Kaggle
photos, which makes the resize a real shrink. TensorFlow's side runs in a subprocess with
``--tf-python`` (default ``/work/kenv/bin/python``) and ``KERAS_BACKEND=tensorflow``; it is skipped
with a note when that interpreter cannot import TensorFlow.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

DEFAULT_TF_PYTHON = "/work/kenv/bin/python"


# --- the folder ---------------------------------------------------------------------------------


def write_folder(directory: pathlib.Path, images: int, source_size: str, seed: int = 0) -> None:
    """``images`` JPEGs split evenly into ``cat/`` and ``dog/`` under ``directory``."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    for index in range(images):
        animal = ("cat", "dog")[index % 2]
        folder = directory / animal
        folder.mkdir(parents=True, exist_ok=True)
        if source_size == "kaggle":
            width, height = int(rng.integers(300, 501)), int(rng.integers(250, 501))
        else:
            width = height = int(source_size)
        # Smooth colour fields plus a shape, so JPEG files have realistic sizes (pure noise would not).
        base = rng.integers(40, 216, size=3)
        ramp = np.linspace(-40, 40, width, dtype=np.float32)[None, :, None]
        noise = rng.normal(0, 12, size=(height, width, 3))
        pixels = np.clip(base + ramp + noise, 0, 255).astype(np.uint8)
        picture = Image.fromarray(pixels, "RGB")
        draw = ImageDraw.Draw(picture)
        box = (width // 5, height // 5, 3 * width // 5, 4 * height // 5)
        (draw.ellipse if animal == "cat" else draw.rectangle)(box, fill=tuple(int(v) for v in 255 - base))
        picture.save(folder / f"{animal}.{index // 2}.jpg", quality=90)


def count_images(directory: pathlib.Path) -> int:
    return sum(1 for path in directory.rglob("*") if path.suffix.lower() in (".jpg", ".jpeg", ".png"))


# --- one framework's measurements -----------------------------------------------------------------


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return wall - start[0], cpu - start[1]


class _Framework:
    """The few calls that differ between numeras and Keras 3 on TensorFlow."""

    def __init__(self, name: str):
        self.name = name
        if name == "numeras":
            import numeras as keras
            from numeras import layers
            from numeras.utils import image_dataset_from_directory
            from numeras.utils.dataset import Dataset

            self.Dataset = Dataset
        else:
            import keras
            import tensorflow as tf
            from keras import layers
            from keras.utils import image_dataset_from_directory

            self.tf = tf
        self.keras, self.layers, self.image_dataset_from_directory = keras, layers, image_dataset_from_directory

    def dataset(self, directory: pathlib.Path, image_size: tuple[int, int], batch_size: int, workers: int):
        kwargs = dict(image_size=image_size, batch_size=batch_size, shuffle=True, seed=0, verbose=False)
        if self.name == "numeras":
            return self.image_dataset_from_directory(directory, workers=workers, **kwargs)
        dataset = self.image_dataset_from_directory(directory, **kwargs)
        options = self.tf.data.Options()
        options.threading.private_threadpool_size = workers
        return dataset.with_options(options)

    def augmented(self, dataset, augmentation, workers: int):
        mapped = dataset.map(lambda x, y: (augmentation(x, training=True), y), num_parallel_calls=workers)
        return mapped.prefetch(2 if self.name == "numeras" else self.tf.data.AUTOTUNE)

    def in_memory(self, images: np.ndarray, labels: np.ndarray, batch_size: int):
        source = self.Dataset if self.name == "numeras" else self.tf.data.Dataset
        return source.from_tensor_slices((images, labels)).batch(batch_size)

    def augmentation(self):
        layers = self.layers
        return self.keras.Sequential([layers.RandomFlip("horizontal"), layers.RandomRotation(0.1), layers.RandomZoom(0.2)])

    def convnet(self, image_size: tuple[int, int]):
        keras, layers = self.keras, self.layers
        inputs = keras.Input(shape=image_size + (3,))
        x = layers.Rescaling(1.0 / 255)(inputs)
        for filters in (32, 64, 128, 256):
            x = layers.Conv2D(filters=filters, kernel_size=3, activation="relu")(x)
            x = layers.MaxPooling2D(pool_size=2)(x)
        x = layers.Conv2D(filters=256, kernel_size=3, activation="relu")(x)
        x = layers.Flatten()(x)
        outputs = layers.Dense(1, activation="sigmoid")(x)
        model = keras.Model(inputs=inputs, outputs=outputs)
        model.compile(loss="binary_crossentropy", optimizer="rmsprop", metrics=["accuracy"])
        return model


def _drain(dataset) -> int:
    images = 0
    for batch_images, _ in dataset:
        images += int(batch_images.shape[0])
    return images


def measure_pipeline(framework: _Framework, directory: pathlib.Path, args) -> list[dict]:
    image_size = (args.image_size, args.image_size)
    augmentation = framework.augmentation()
    rows = []
    # One untimed pass first: imports, thread pools, lazily built tables and the OS file cache
    # would otherwise all be charged to the first configuration.
    _drain(framework.augmented(framework.dataset(directory, image_size, args.batch_size, 1), augmentation, 1))
    for workers in args.workers:
        for augmented in (False, True):
            start = _clock()
            dataset = framework.dataset(directory, image_size, args.batch_size, workers)
            startup_wall, _ = _since(start)
            if augmented:
                dataset = framework.augmented(dataset, augmentation, workers)
            start = _clock()
            images = _drain(dataset)
            wall, cpu = _since(start)
            rows.append({
                "workers": workers, "augmented": augmented, "images": images, "startup_s": startup_wall,
                "wall_s": wall, "cpu_s": cpu, "images_per_s": images / wall, "cpu_ms_per_image": 1e3 * cpu / images,
            })
            print(f"  [{framework.name}] workers={workers} augmented={augmented}: {images / wall:7.1f} images/s, "
                  f"{1e3 * cpu / images:6.2f} CPU ms/image", file=sys.stderr, flush=True)
    return rows


def measure_training(framework: _Framework, directory: pathlib.Path, args) -> dict:
    image_size = (args.image_size, args.image_size)
    workers = max(args.workers)
    batches = max(1, args.train_images // args.batch_size)
    dataset = framework.dataset(directory, image_size, args.batch_size, workers).take(batches)
    model = framework.convnet(image_size)
    keras = framework.keras

    class StepClock(keras.callbacks.Callback):
        """Time outside train steps (fetching the next batch) and inside them, over one epoch."""

        def on_epoch_begin(self, epoch, logs=None):
            self.wait = self.step = 0.0
            self.last_end = time.perf_counter()

        def on_train_batch_begin(self, batch, logs=None):
            self.begin = time.perf_counter()
            self.wait += self.begin - self.last_end

        def on_train_batch_end(self, batch, logs=None):
            self.last_end = time.perf_counter()
            self.step += self.last_end - self.begin

    held = [(np.asarray(x), np.asarray(y)) for x, y in dataset]
    memory = framework.in_memory(np.concatenate([x for x, _ in held]), np.concatenate([y for _, y in held]), args.batch_size)
    # One untimed epoch on one batch: builds the model and whatever fit compiles or traces.
    model.fit(memory.take(1), epochs=1, verbose=0)
    clock = StepClock()
    start = _clock()
    model.fit(dataset, epochs=1, verbose=0, callbacks=[clock])
    wall, cpu = _since(start)
    result = {
        "batches": batches, "workers": workers, "epoch_wall_s": wall, "epoch_cpu_s": cpu,
        "wait_s": clock.wait, "step_s": clock.step, "wait_fraction": clock.wait / (clock.wait + clock.step),
    }
    if args.in_memory_baseline:
        start = _clock()
        model.fit(memory, epochs=1, verbose=0)
        memory_wall, memory_cpu = _since(start)
        result.update(memory_epoch_wall_s=memory_wall, memory_epoch_cpu_s=memory_cpu,
                      slowdown_fraction=max(0.0, wall - memory_wall) / wall)
    print(f"  [{framework.name}] training: {wall:.1f} s epoch, wait fraction {result['wait_fraction']:.3f}",
          file=sys.stderr, flush=True)
    return result


def measure(name: str, directory: pathlib.Path, args) -> dict:
    framework = _Framework(name)
    return {
        "framework": name, "pipeline": measure_pipeline(framework, directory, args),
        "training": measure_training(framework, directory, args) if args.train_images > 0 else None,
    }


# --- running both and reporting ---------------------------------------------------------------------


def run_tensorflow_side(directory: pathlib.Path, args) -> dict | str:
    """The TensorFlow measurements from a subprocess, or the reason they are missing."""
    python = args.tf_python
    if not python or not pathlib.Path(python).exists():
        return f"no TensorFlow interpreter at {python!r} (pass --tf-python)"
    env = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    check = subprocess.run([python, "-c", "import tensorflow, keras"], env=env, capture_output=True, text=True)
    if check.returncode != 0:
        return f"{python} cannot import tensorflow and keras: {check.stderr.strip().splitlines()[-1:]}"
    command = [python, __file__, "--framework", "tensorflow", "--dir", str(directory), "--json",
               "--image-size", str(args.image_size), "--batch-size", str(args.batch_size),
               "--train-images", str(args.train_images), "--workers", *map(str, args.workers)]
    if not args.in_memory_baseline:
        command.append("--no-in-memory-baseline")
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        return f"the TensorFlow run failed (exit {result.returncode}); its stderr is above"
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_report(results: list[dict], notes: list[str], directory: pathlib.Path, args) -> None:
    print(f"\nfolder: {directory} ({count_images(directory)} images), image_size {args.image_size}, "
          f"batch {args.batch_size}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print("\nimages/s through image_dataset_from_directory (wall), CPU ms per image, start-up s")
    print(f"{'framework':<11}{'workers':>8}{'augment':>9}{'images/s':>10}{'CPU ms/img':>12}{'start s':>9}")
    for result in results:
        for row in result["pipeline"]:
            print(f"{result['framework']:<11}{row['workers']:>8}{'yes' if row['augmented'] else 'no':>9}"
                  f"{row['images_per_s']:>10.1f}{row['cpu_ms_per_image']:>12.2f}{row['startup_s']:>9.2f}")
    trained = [result for result in results if result["training"]]
    if trained:
        print("\none epoch of the chapter-8 convnet through the pipeline (prefetch); wait = outside train steps")
        print(f"{'framework':<11}{'batches':>8}{'epoch s':>9}{'CPU s':>8}{'wait s':>8}{'wait %':>8}"
              f"{'in-memory s':>13}{'CPU s':>8}{'slowdown %':>12}")
        for result in trained:
            row = result["training"]
            memory = (f"{row['memory_epoch_wall_s']:>13.1f}{row['memory_epoch_cpu_s']:>8.1f}{100 * row['slowdown_fraction']:>12.1f}"
                      if "memory_epoch_wall_s" in row else "")
            print(f"{result['framework']:<11}{row['batches']:>8}{row['epoch_wall_s']:>9.1f}{row['epoch_cpu_s']:>8.1f}"
                  f"{row['wait_s']:>8.2f}{100 * row['wait_fraction']:>8.1f}{memory}")
    for note in notes:
        print(f"note: {note}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="folder of class subfolders of images; generated there if missing or empty "
                        "(default: a temporary folder, deleted at the end)")
    parser.add_argument("--images", type=int, default=2000, help="images to generate (default 2000)")
    parser.add_argument("--source-size", default="180", help="generated image side in pixels, or 'kaggle' for random photo sizes")
    parser.add_argument("--image-size", type=int, default=180, help="resize target, square (default 180)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--train-images", type=int, default=2000, help="images in the training epoch (0: skip it)")
    parser.add_argument("--no-in-memory-baseline", dest="in_memory_baseline", action="store_false",
                        help="skip the second epoch on in-memory batches")
    parser.add_argument("--tf-python", default=DEFAULT_TF_PYTHON, help="a Python with tensorflow and keras ('' to skip)")
    parser.add_argument("--framework", choices=["numeras", "tensorflow"], default=None, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    args = parser.parse_args(argv)
    if args.source_size != "kaggle" and not args.source_size.isdigit():
        parser.error(f"--source-size must be a number of pixels or 'kaggle', received {args.source_size!r}")
    if min(args.workers) < 1:
        parser.error(f"--workers must be positive, received {args.workers}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.framework:  # one side only (how the TensorFlow subprocess is run)
        print(json.dumps(measure(args.framework, pathlib.Path(args.dir), args)))
        return
    temporary = None
    if args.dir:
        directory = pathlib.Path(args.dir)
    else:
        temporary = directory = pathlib.Path(tempfile.mkdtemp(prefix="numeras_input_pipeline_"))
    try:
        if not directory.exists() or count_images(directory) == 0:
            start = time.perf_counter()
            write_folder(directory, args.images, args.source_size)
            print(f"wrote {args.images} JPEGs to {directory} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
        results, notes = [measure("numeras", directory, args)], []
        tensorflow = run_tensorflow_side(directory, args) if args.tf_python else "TensorFlow side skipped (--tf-python '')"
        if isinstance(tensorflow, str):
            notes.append(tensorflow)
        else:
            results.append(tensorflow)
        if args.json:
            print(json.dumps({"results": results, "notes": notes}))
        else:
            print_report(results, notes, directory, args)
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    main()
