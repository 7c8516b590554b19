"""Shared fixtures of the test suite."""
import pytest


@pytest.fixture
def one_thread():
    """Run a test with one torch and one BLAS thread.

    On two shared cores two threads spin against each other; one is far faster at the small sizes
    of these tests. Use with ``pytestmark = pytest.mark.usefixtures("one_thread")``.
    """
    import threadpoolctl
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpoolctl.threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


@pytest.fixture
def figures_closed():
    """Draw on the non-interactive Agg backend and close every figure after the test.

    For the tests of the chapters' figures modules: ``pytestmark = pytest.mark.usefixtures("figures_closed")``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield
    plt.close("all")
