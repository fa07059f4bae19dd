"""Helpers that build small checkpoints for the model tests (no network needed).

* ``write_tiny_training_set`` writes ~40 short labelled replies, enough to train a
  community model for one epoch in a test (the real data is moderation/data/train.jsonl).
* ``install_albert_hf_cache`` lays the real albert-base-v2 config and SentencePiece
  tokenizer vendored in tests/fixtures/albert-base-v2 out as a Hugging Face hub cache, so that
  ``from_pretrained("albert-base-v2")`` works offline (see that folder's SOURCE.md).
* ``build_albert_checkpoint`` saves a randomly initialised ALBERT classifier in Detoxify's
  checkpoint format with the class names of Unitary's "original" models.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ALBERT_SOURCE = Path(__file__).resolve().parents[1] / "fixtures" / "albert-base-v2"
ALBERT_FILES = ("config.json", "spiece.model", "tokenizer_config.json")
ALBERT_REVISION = "0123456789abcdef0123456789abcdef01234567"
ORIGINAL_CLASSES = ("toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate")
# Detoxify renames three of them.
DETOXIFY_LABELS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")

# Short replies written for these tests: a few per label, parents on some of them.
TINY_ROWS: tuple[tuple[str | None, str, str], ...] = (
    (
        "I went no contact with my mother last month.",
        "That took so much courage. Proud of you.",
        "supportive",
    ),
    (None, "You deserve peace, and you are allowed to protect it.", "supportive"),
    ("My dad called me worthless again.", "He was wrong about you. You matter here.", "supportive"),
    (None, "Sending you a hug. Healing is not a straight line.", "supportive"),
    (
        "I broke NC at the funeral.",
        "Grief is complicated. Be gentle with yourself today.",
        "supportive",
    ),
    (None, "Has anyone found a therapist who understands family estrangement?", "neutral"),
    (
        "How do I block numbers on my phone?",
        "Settings, then blocked contacts, then add the number.",
        "neutral",
    ),
    (None, "Gray rock worked for me at family events, short boring answers.", "neutral"),
    (None, "The holiday meetup thread is pinned at the top of the board.", "neutral"),
    (
        "Should I send a letter?",
        "Some people find writing an unsent letter helps first.",
        "neutral",
    ),
    ("I broke NC yesterday.", "Pathetic. You folded the first time she cried.", "nc_shaming"),
    (None, "People who cut off family are just weak and want attention.", "nc_shaming"),
    (
        "I'm going low contact, not no contact.",
        "Low contact is for cowards who can't commit.",
        "nc_shaming",
    ),
    (None, "No sympathy for anyone who went crawling back.", "nc_shaming"),
    ("He hit me when I was twelve.", "What did you do to make him that angry?", "victim_blaming"),
    (None, "You stayed for years, so you let it happen.", "victim_blaming"),
    (
        "My ex screamed at me daily.",
        "Honestly you must have provoked him somehow.",
        "victim_blaming",
    ),
    (None, "If you had just listened to her, none of this would have happened.", "victim_blaming"),
    (
        "I haven't spoken to my mother in a year.",
        "You only get one mother. She won't be here forever.",
        "guilt_tripping",
    ),
    (None, "Think of the grandchildren you are keeping from them.", "guilt_tripping"),
    (
        "I'm skipping Christmas this year.",
        "How selfish. Your family needs you at the table.",
        "guilt_tripping",
    ),
    (None, "You will regret this at the funeral, mark my words.", "guilt_tripping"),
    ("I set a boundary with my sister.", "Sounds like you are the real narcissist here.", "darvo"),
    (None, "Going no contact is just the silent treatment, which is abuse.", "darvo"),
    (
        "My father lied about me to everyone.",
        "Your poor father is the victim of your cruelty.",
        "darvo",
    ),
    (None, "You are the one controlling everyone by refusing to talk.", "darvo"),
    (
        "My mother read my diary aloud at dinner.",
        "That is just normal parenting, get over it.",
        "invalidation",
    ),
    (None, "Every family fights. You're being dramatic.", "invalidation"),
    (
        "He locked me out overnight as a kid.",
        "That was ages ago. Stop living in the past.",
        "invalidation",
    ),
    (None, "It wasn't abuse, they were just strict.", "invalidation"),
    ("I'm new here.", "Nobody wants you here, you idiot.", "toxic"),
    (None, "Shut up, you disgusting loser.", "toxic"),
    ("Here is my story.", "What a stupid worthless post, go away.", "toxic"),
    (None, "I hope something terrible happens to you.", "toxic"),
    (None, "I don't see the point in going on anymore.", "crisis"),
    ("How is everyone doing?", "I've been giving my things away. It feels right.", "crisis"),
    (None, "I keep thinking everyone would be better off without me.", "crisis"),
    (None, "I hurt myself again last night and I'm scared.", "crisis"),
    (None, "My mother called me a selfish brat and I finally laughed.", "supportive"),
    (None, "Screw him. You owe that man nothing.", "supportive"),
)


def write_tiny_training_set(path: Path) -> Path:
    """Write TINY_ROWS as training JSONL at ``path``."""
    with path.open("w", encoding="utf-8") as handle:
        for number, (parent, text, label) in enumerate(TINY_ROWS, start=1):
            row = {
                "id": f"t-{number:03d}",
                "parent": parent,
                "text": text,
                "label": label,
                "note": "test",
            }
            handle.write(json.dumps(row) + "\n")
    return path


def install_albert_hf_cache(hf_home: Path) -> Path:
    """Lay out albert-base-v2 as an HF hub cache under ``hf_home``; returns the hub folder."""
    hub = hf_home / "hub"
    repo = hub / "models--albert-base-v2"
    snapshot = repo / "snapshots" / ALBERT_REVISION
    snapshot.mkdir(parents=True, exist_ok=True)
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(ALBERT_REVISION)
    for name in ALBERT_FILES:
        shutil.copyfile(ALBERT_SOURCE / name, snapshot / name)
    return hub


def build_albert_checkpoint(path: Path, *, seed: int = 7) -> Path:
    """Save a random-weight ALBERT classifier in Detoxify's format (needs the HF cache)."""
    import torch
    import transformers

    config = transformers.AlbertConfig.from_pretrained(
        "albert-base-v2", num_labels=len(ORIGINAL_CLASSES)
    )
    torch.manual_seed(seed)
    model = transformers.AlbertForSequenceClassification(config)
    checkpoint = {
        "config": {
            "arch": {
                "args": {
                    "model_type": "albert-base-v2",
                    "model_name": "AlbertForSequenceClassification",
                    "tokenizer_name": "AlbertTokenizer",
                    "num_classes": len(ORIGINAL_CLASSES),
                }
            },
            "dataset": {"args": {"classes": list(ORIGINAL_CLASSES)}},
        },
        "state_dict": model.state_dict(),
    }
    torch.save(checkpoint, path)
    return path
