"""The title tokenizer: a BPE vocabulary learned from the catalogue's own titles.

Shop titles mix Korean, brand names in brackets, sizes and sales tags ("[당일발송]", "1+1"); a
tokenizer trained on them keeps the frequent pieces ("기모", "오버핏", "와이드") whole instead of
spelling them out. It is saved as the `tokenizers` JSON and versioned by a hash of that JSON.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from .tokens import SPECIAL_TOKENS


def train_title_tokenizer(titles: Iterable[str], vocab_size: int = 4000) -> Tokenizer:
    """Train a BPE tokenizer on `titles` (NFKC, lower-cased, split on spaces and punctuation).

    The special tokens take ids 0-2 ([PAD], [UNK], [MASK]), the same ids the attribute
    vocabulary uses, so masking works alike in every token group."""
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=False)]
    )
    tokenizer.decoder = decoders.BPEDecoder()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=2, special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )  # fmt: skip
    tokenizer.train_from_iterator(sorted(titles), trainer=trainer)
    return tokenizer


def tokenizer_version(tokenizer: Tokenizer) -> str:
    """A short content hash of the tokenizer's JSON: equal vocabularies, equal versions."""
    return hashlib.sha256(tokenizer.to_str().encode()).hexdigest()[:12]


def encode_titles(tokenizer: Tokenizer, titles: Sequence[str], max_len: int) -> list[list[int]]:
    """Token ids of each title, cut to `max_len`."""
    return [e.ids[:max_len] for e in tokenizer.encode_batch(list(titles))]
