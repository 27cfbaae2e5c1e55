"""The fit data on the device: the vote patterns as a sparse one-hot design with weights.

Every method fits on a :class:`Design` (not on the rows of ``L``): the distinct vote patterns,
each with the number of rows it stands for, so a fit costs the same for 10^4 or 10^8 rows with
the same patterns.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import torch

from explicate.runtime.label_model.stats import ABSTAIN

_DENSE_OVERLAP = 400  # m*k up to which co-vote counts go through dense BLAS chunks


class Design:
    """One-hot votes of the patterns as sparse CSR, with weights.

    ``X`` is ``[p, m*k]`` (column ``j*k + a`` is 1 where LF j votes a), ``XT`` its transpose and
    ``c`` the number of rows each pattern stands for; ``n`` is their sum.
    """

    def __init__(self, patterns: np.ndarray, weights: np.ndarray, k: int, dev: torch.device):
        p, m = patterns.shape
        self.p, self.m, self.k = p, m, k
        self.patterns = patterns
        # int32 indices: half the memory of int64, and torch's CSR kernels take them.
        rows, cols = (a.astype(np.int32) for a in np.nonzero(patterns != ABSTAIN))
        colidx = cols * np.int32(k) + patterns[rows, cols].astype(np.int32)
        del cols
        crow = np.zeros(p + 1, dtype=np.int32)
        np.cumsum(np.bincount(rows, minlength=p), out=crow[1:])
        small = np.int16 if m * k < 2**15 else np.int32  # numpy radix-sorts 16-bit keys
        order = np.argsort(colidx.astype(small), kind="stable")
        crow_t = np.zeros(m * k + 1, dtype=np.int32)
        np.cumsum(np.bincount(colidx, minlength=m * k), out=crow_t[1:])
        ones = torch.ones(rows.shape[0], dtype=torch.float32, device=dev)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            self.X = torch.sparse_csr_tensor(
                torch.from_numpy(crow).to(dev),
                torch.from_numpy(colidx).to(dev),
                ones,
                size=(p, m * k),
            )
            self.XT = torch.sparse_csr_tensor(
                torch.from_numpy(crow_t).to(dev),
                torch.from_numpy(rows[order]).to(dev),
                ones,
                size=(m * k, p),
            )
        del order
        self.c = torch.from_numpy(weights.astype(np.float32)).to(dev)
        self.n = float(weights.sum())
        self.rows, self.colidx = rows, colidx
        self.mv_cache: tuple[Any, torch.Tensor] | None = None

    @property
    def device(self) -> torch.device:
        """Where the design's tensors live."""
        return self.c.device

    def logits(self, W: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        """``[p, k]``: sum over the votes of each pattern of ``W[(j, a)]``, plus ``bias``."""
        return self.X @ W + bias

    def class_votes(self, q: torch.Tensor) -> torch.Tensor:
        """``[m, k(y), k(a)]``: weighted mass of posterior class y on rows where LF j votes a."""
        G = self.c[:, None] * q
        V = self.XT @ G  # [(j, a), y]
        return V.reshape(self.m, self.k, self.k).permute(0, 2, 1)

    def votes_per_pattern(self) -> torch.Tensor:
        """int ``[p]``: how many LFs vote in each pattern."""
        return torch.diff(self.X.crow_indices())

    def subset(self, limit: int, seed: int) -> Design:
        """A design of at most ``limit`` patterns drawn (seeded) in proportion to their weight,
        standing for the same number of rows; ``self`` where it is small enough already."""
        if self.p <= limit:
            return self
        c = self.c.cpu().numpy().astype(np.float64)
        rng = np.random.default_rng(seed)
        pick = np.searchsorted(np.cumsum(c), rng.random(limit) * c.sum(), side="right")
        draws = np.bincount(np.minimum(pick, self.p - 1), minlength=self.p)
        keep = np.flatnonzero(draws)
        return Design(self.patterns[keep], draws[keep] * (self.n / limit), self.k, self.device)

    def overlaps(self) -> np.ndarray:
        """float64 ``[m*k, m*k]``: weighted co-vote counts ``X^T diag(c) X``."""
        mk = self.m * self.k
        if mk <= _DENSE_OVERLAP:
            return self._dense_overlaps()
        c = self.c.cpu().numpy().astype(np.float64)
        import scipy.sparse as sp  # only for wide designs; keeps scipy off the import path

        Xs = sp.csr_matrix(
            (np.ones(self.rows.shape[0]), (self.rows, self.colidx)), shape=(self.p, mk)
        )
        return np.asarray((Xs.T @ Xs.multiply(c[:, None])).toarray())

    def _dense_overlaps(self) -> np.ndarray:
        """:meth:`overlaps` through dense one-hot chunks and BLAS."""
        mk, dev = self.m * self.k, self.device
        out = torch.zeros(mk, mk, dtype=torch.float32, device=dev)
        rows_t = torch.from_numpy(self.rows).to(dev, torch.int64)
        cols_t = torch.from_numpy(self.colidx).to(dev, torch.int64)
        step = 1 << 14
        bounds = np.searchsorted(self.rows, np.arange(0, self.p + step, step))
        for i, s in enumerate(range(0, self.p, step)):
            e = min(self.p, s + step)
            lo, hi = int(bounds[i]), int(bounds[i + 1])
            D = torch.zeros(e - s, mk, dtype=torch.float32, device=dev)
            D[rows_t[lo:hi] - s, cols_t[lo:hi]] = 1.0
            out += D.T @ (D * self.c[s:e, None])
        return out.double().cpu().numpy()

    def pairwise(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Both-vote counts ``B`` and agreement counts ``A`` (``[m, m]``) and overlaps ``O``."""
        m, k = self.m, self.k
        ov = self.overlaps().reshape(m, k, m, k)
        B = ov.sum((1, 3))
        A = np.einsum("iaja->ij", ov)
        return B, A, ov.reshape(m * k, m * k)


def mv_init(d: Design, fixed_pi: torch.Tensor | None, w: np.ndarray) -> torch.Tensor:
    """Soft majority-vote labels per pattern, each LF's vote counting ``w[j]`` (uncovered
    patterns: the class balance or uniform). Cached on the design."""
    key = (None if fixed_pi is None else tuple(fixed_pi.tolist()), w.tobytes())
    if d.mv_cache is not None and d.mv_cache[0] == key:
        return d.mv_cache[1]
    q = _mv_soft(d, fixed_pi, w)
    d.mv_cache = (key, q)
    return q


def _mv_soft(d: Design, fixed_pi: torch.Tensor | None, w: np.ndarray) -> torch.Tensor:
    """The computation behind :func:`mv_init`."""
    k, dev = d.k, d.device
    wt = torch.from_numpy(np.repeat(w, k)).to(dev)
    W = torch.eye(k, device=dev).repeat(d.m, 1) * wt[:, None]  # vote a -> w for a
    counts = d.logits(W, torch.zeros(k, device=dev))
    tot = counts.sum(1, keepdim=True)
    base = fixed_pi if fixed_pi is not None else torch.full((k,), 1.0 / k, device=dev)
    return torch.where(tot > 0, (counts + 1e-2) / (tot + 1e-2 * k), base.expand_as(counts))


def one_coin_theta(alpha: torch.Tensor, k: int) -> torch.Tensor:
    """Confusions ``[m, k, k+1]`` of LFs right with probability ``alpha`` and wrong uniformly
    (the abstain column is zero: abstaining carries no information)."""
    m = alpha.shape[0]
    off = (1 - alpha) / (k - 1)
    eye = torch.eye(k, device=alpha.device, dtype=torch.bool)
    theta = torch.where(eye, alpha[:, None, None], off[:, None, None])
    return torch.cat([theta, torch.zeros(m, k, 1, device=alpha.device)], dim=2)
