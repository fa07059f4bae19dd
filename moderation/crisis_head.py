"""A second crisis score: logistic regression on frozen all-MiniLM-L6-v2 sentence embeddings.

The fine-tuned community model learns crisis together with six harm labels, and on writing
unlike its training rows it leans on topic words. A linear head on frozen, mean-pooled,
L2-normalised sentence embeddings (the sentence-transformers recipe for this encoder) keeps
the encoder's general sense of what a sentence means; it was measured to rank crisis posts
better on unseen real text (README's model card has the figures). The pipeline reports its
score as ``crisis_embedding`` beside the community model's ``crisis``; the policy escalates
when either reaches its threshold.

The head is trained with the community model (``moderation.training``) on the same rows and
stored in the same checkpoint, under ``nocontact.crisis_head``, as plain numbers (weights,
bias, the encoder's name) so that the safe ``weights_only`` loader reads it. The encoder is
the one the community model was fine-tuned from (the checkpoint's encoder folder), used
frozen: its weights are never changed.

torch and transformers are imported inside functions only (see DESIGN.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moderation.types import CRISIS_EMBEDDING

HEAD_KEY = "crisis_head"
SCORE_NAME = CRISIS_EMBEDDING
ENCODER_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# Bump when the head's recipe changes so checkpoints get a new head (the community model's
# weights are kept: only the head is refitted).
HEAD_RECIPE = 1
EMBED_MAX_TOKENS = 512
EMBED_BATCH = 32
# L2 penalty on the weights (1 / C of scikit-learn's LogisticRegression, per row); chosen by
# 5-fold cross-validation on the training rows (bench/crisis_head.py).
L2_PENALTY = 1.0 / 3.0
FIT_ITERATIONS = 200
# How the frozen encoder runs: "fp32" (always, to fit the head), or "int8" (dynamic
# quantisation of its linear layers, see SentenceEncoder) to serve it: MODERATION_CRISIS_ENCODER.
PRECISIONS = ("fp32", "int8")
SERVING_PRECISION = "int8"


class HeadError(ValueError):
    """Stored head numbers that do not make a head (wrong shape, not numbers)."""


@dataclass(frozen=True)
class HeadWeights:
    weights: tuple[float, ...]
    bias: float

    def to_dict(self, **meta: Any) -> dict[str, Any]:
        return {
            "encoder": ENCODER_NAME,
            "pooling": "mean, L2-normalised",
            "recipe": HEAD_RECIPE,
            "weights": list(self.weights),
            "bias": self.bias,
            **meta,
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> HeadWeights:
        weights = stored.get("weights")
        bias = stored.get("bias")
        if not isinstance(weights, list | tuple) or not weights:
            raise HeadError("crisis head: weights must be a non-empty list of numbers")
        if not all(isinstance(w, int | float) and not isinstance(w, bool) for w in weights):
            raise HeadError("crisis head: weights must be numbers")
        if not isinstance(bias, int | float) or isinstance(bias, bool):
            raise HeadError("crisis head: bias must be a number")
        return cls(tuple(float(w) for w in weights), float(bias))


class SentenceEncoder:
    """Frozen all-MiniLM-L6-v2: one mean-pooled, L2-normalised vector per text.

    ``precision="int8"`` runs the encoder's linear layers with dynamic int8 quantisation
    (weights stored as int8, activations quantised per row): about twice as fast on one CPU
    thread. The head is fitted on float32 vectors and served on int8 ones by default; on the
    validation sets that changed no decision and lost no crisis escalation, while a head refitted on
    int8 vectors ranked crisis rows slightly worse in cross-validation (README, Figures;
    bench/crisis_encoder_precision.py, bench/crisis_head.py --precision).
    """

    def __init__(self, folder: str | Path, precision: str = "fp32") -> None:
        from transformers import AutoModel, AutoTokenizer

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}")
        self.folder = Path(folder)
        self.precision = precision
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.folder))
        self.model = AutoModel.from_pretrained(str(self.folder)).eval()
        for param in self.model.parameters():
            param.requires_grad_(False)
        self.dimensions = int(self.model.config.hidden_size)
        if precision == "int8":
            self.model = _quantised(self.model)

    def embed(self, texts: Sequence[str]):
        """A float tensor of shape (len(texts), dimensions); texts batched by length."""
        import torch

        out = torch.zeros((len(texts), self.dimensions))
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), EMBED_BATCH):
                batch = order[start : start + EMBED_BATCH]
                inputs = self.tokenizer(
                    [texts[i] for i in batch],
                    padding=True,
                    truncation=True,
                    max_length=EMBED_MAX_TOKENS,
                    return_tensors="pt",
                )
                hidden = self.model(**inputs).last_hidden_state
                mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                out[batch] = torch.nn.functional.normalize(pooled, dim=1)
        return out


def _quantised(model: Any) -> Any:
    """The model with its linear layers replaced by dynamically quantised int8 ones."""
    import warnings

    import torch

    with warnings.catch_warnings():
        # torch announces that torch.ao.quantization will move to torchao; it still works.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.ao.quantization.quantize_dynamic(
            model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True
        )


class CrisisHead:
    """Scores texts with a fitted head over a frozen encoder."""

    def __init__(self, encoder: SentenceEncoder, weights: HeadWeights) -> None:
        if len(weights.weights) != encoder.dimensions:
            raise HeadError(
                f"crisis head: {len(weights.weights)} weights for a "
                f"{encoder.dimensions}-dimensional encoder"
            )
        import torch

        self.encoder = encoder
        self._weights = torch.tensor(weights.weights, dtype=torch.float32)
        self._bias = float(weights.bias)

    def scores(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        import torch

        vectors = self.encoder.embed(list(texts))
        with torch.inference_mode():
            return torch.sigmoid(vectors @ self._weights + self._bias).tolist()


def fit_head(vectors, targets: Sequence[float], *, l2: float = L2_PENALTY) -> HeadWeights:
    """Class-balanced logistic regression with an L2 penalty, fitted by L-BFGS.

    ``vectors`` is an (n, d) float tensor and ``targets`` n zeros and ones. The loss is the
    mean over rows of the class-weighted cross-entropy plus ``l2 / 2 * |w|^2 / n`` (the same
    optimum as scikit-learn's ``LogisticRegression(C=1/l2, class_weight="balanced")``).
    Deterministic: full-batch, no sampling.
    """
    import torch

    y = torch.tensor(list(targets), dtype=torch.float32)
    n = len(y)
    positives = float(y.sum())
    if n == 0 or positives in (0.0, float(n)):
        raise ValueError("fit_head needs both crisis and non-crisis rows")
    row_weight = torch.where(y > 0, n / (2 * positives), n / (2 * (n - positives)))
    x = vectors.to(torch.float32)
    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    optimiser = torch.optim.LBFGS(
        [w, b], lr=1.0, max_iter=FIT_ITERATIONS, line_search_fn="strong_wolfe"
    )

    def closure():
        optimiser.zero_grad()
        logits = x @ w + b
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            logits, y, weight=row_weight, reduction="sum"
        )
        loss = (loss + 0.5 * l2 * (w * w).sum()) / n
        loss.backward()
        return loss

    optimiser.step(closure)
    return HeadWeights(tuple(w.detach().tolist()), float(b.detach()))
