"""backend.split_products: row-split products give the plain product's result, small products are not
split, the thread count obeys OMP_NUM_THREADS, and a forked child gets a pool of its own."""

from __future__ import annotations

import multiprocessing
import os

import numpy as np
import pytest

from numeras.backend import split_products


@pytest.fixture
def three_threads(monkeypatch):
    """Every product split (no size threshold) over three threads, whatever this machine has."""
    monkeypatch.setattr(split_products, "MIN_WORK", 0)
    monkeypatch.setattr(split_products, "threads", lambda: 3)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rows", [1, 2, 7, 100])
def test_matmul_matches_the_plain_product(three_threads, dtype, rows):
    rng = np.random.default_rng(rows)
    left = rng.standard_normal((rows, 5)).astype(dtype)
    right = rng.standard_normal((5, 6)).astype(dtype)
    got = split_products.matmul(left, right)
    assert got.dtype == np.dtype(dtype) and got.shape == (rows, 6)
    np.testing.assert_allclose(got, left @ right, rtol=1e-6 if dtype == "float32" else 1e-13)


def test_matmul_accepts_a_transposed_right_hand_side(three_threads):
    rng = np.random.default_rng(0)
    left, weights = rng.standard_normal((50, 8)), rng.standard_normal((3, 8))
    np.testing.assert_allclose(split_products.matmul(left, weights.T), left @ weights.T, rtol=1e-13)


@pytest.mark.parametrize("rows", [1, 2, 7, 100])
def test_matmul_transposed_matches_the_plain_product(three_threads, rows):
    rng = np.random.default_rng(rows)
    left = rng.standard_normal((rows, 4))
    right = rng.standard_normal((rows, 9))[:, 2:]  # a column slice, as the recurrent op passes
    np.testing.assert_allclose(split_products.matmul_transposed(left, right), left.T @ right, rtol=1e-12, atol=1e-12)


def test_small_products_run_as_one_call(monkeypatch):
    monkeypatch.setattr(split_products, "threads", lambda: 4)

    def no_pool(workers):
        raise AssertionError("a product under MIN_WORK was handed to the thread pool")

    monkeypatch.setattr(split_products, "_executor", no_pool)
    left, right = np.ones((64, 8)), np.ones((8, 8))
    assert 64 * 8 * 8 < split_products.MIN_WORK
    np.testing.assert_array_equal(split_products.matmul(left, right), left @ right)
    np.testing.assert_array_equal(split_products.matmul_transposed(left, left), left.T @ left)


def test_thread_count_obeys_omp_num_threads(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert split_products.threads() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert 1 <= split_products.threads() <= split_products.MAX_THREADS


def _product_in_child(queue):
    left = np.arange(12.0).reshape(6, 2)
    queue.put(split_products.matmul(left, np.eye(2)).tolist())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_forked_child_builds_its_own_pool(three_threads):
    split_products.matmul(np.ones((6, 2)), np.eye(2))  # the parent's pool exists now
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_product_in_child, args=(queue,))
    child.start()
    result = queue.get(timeout=60)
    child.join(timeout=60)
    assert child.exitcode == 0
    assert result == np.arange(12.0).reshape(6, 2).tolist()
