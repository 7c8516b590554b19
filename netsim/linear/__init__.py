"""Linear-model theory of sloppiness (thesis chapter 5): closed forms, bounds and simulations.

Names follow the thesis's symbols. ``core``: the convention of STUDIES_THESIS D.1 (scaled
design with ``A A^T = K``, sloppy spectrum ``lambda_i^K = exp(-c (i-1))``), ``K_d``, ``K_T``
(5.2.4), ``P(T)`` and its parts (5.2.5) in closed form, brute-force moment sums, the
Lyapunov limit and the 95%-of-trace dimensionality. ``bounds``: (5.2.7), (5.2.8), (5.2.10),
Lemmas 5.2.1-5.2.3, (5.3.2). ``variants``: SGD as Langevin dynamics (5.3.1), kernel machines,
weight decay, the deep linear kernel (5.3.3). ``simulate``: gradient descent, minibatch SGD,
Langevin, weight decay and deep linear networks, and the Monte Carlo ``P(N, T)`` (5.2.3).
"""
from .bounds import *  # noqa: F401,F403
from .bounds import __all__ as _bounds
from .core import *  # noqa: F401,F403
from .core import __all__ as _core
from .simulate import *  # noqa: F401,F403
from .simulate import __all__ as _simulate
from .variants import *  # noqa: F401,F403
from .variants import __all__ as _variants

__all__ = [*_core, *_bounds, *_variants, *_simulate]
